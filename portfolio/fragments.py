"""
The parts of the public pages every visitor sees alike, rendered once and kept.

They are kept under the **content version**: a number the database itself bumps, in the same
transaction, on every INSERT, UPDATE or DELETE of a category, project or picture (triggers,
migration 0003; on PostgreSQL once per statement). Whoever writes and however (a form, the
admin, the renditions task, a queryset .update(), raw SQL, another process on another
machine), the next request reads a new number, looks up a new key and renders afresh: an entry
is never stale, only unused, and nothing is ever invalidated. A request reads the version in a
query it runs anyway (the gallery's categories, the project page's project), so a kept page
costs that one query and nothing else.

The cost is on the writing side: every write to those tables updates that one row, so
writes to them wait for each other until commit. A portfolio is written by a few owners and
the renditions task, a few writes a second at most: that waiting is never noticed.

Never kept: anything that differs per visitor (an editor's grid with its tools, CSRF tokens,
the CSP nonce, the sign-in links); fragments are rendered without the request, so they cannot
depend on it. Left out of the keys, because they are fixed for a process's life: the
templates, the settings (MEDIA_URL, the storage, the language) and the URLconf with its script
prefix. A cache shared between processes must be emptied, or given a new KEY_PREFIX, when a
release changes them, or after a database is restored from a backup (its numbers start again
from the backup's) (settings.CACHES).
"""

from django.core.cache import caches


def gallery_key(version: int | None, *, category_id: int | None, page: str) -> str | None:
    """The gallery grid: its heading, the category filter, the tiles and the page links."""
    if version is None:
        return None
    if page != "last":
        try:
            # As ListView reads it, so "2" and "02" share a grid and junk gets none.
            page = str(int(page))
        except ValueError:
            return None
    return f"gallery:{version}:{category_id or ''}:{page}"


def picture_grid_key(version: int | None, project_id: int) -> str | None:
    """A project's pictures as a visitor sees them."""
    if version is None:
        return None
    return f"picture-grid:{version}:{project_id}"


def get(key: str | None) -> str | None:
    """The kept fragment, or None."""
    return None if key is None else caches["template_fragments"].get(key)


def keep(key: str | None, html: str) -> str:
    """Keep `html` under `key` (if the page has one) and return it."""
    if key is not None:
        caches["template_fragments"].set(key, html)
    return html
