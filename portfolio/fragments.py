"""
Cache keys for the fragments of the public pages that are rendered once and then reused.

A key is a hash of exactly the values its fragment shows, read by the queries the page runs
on every request anyway. Whatever an owner changes, wherever it is changed (a form, the admin,
the renditions task, a queryset .update() in another process on another machine), the next
request reads the new values and so looks up a new key: an entry is never stale, only unused,
and nothing ever needs invalidating. Fragments that differ per visitor (an editor's tools,
CSRF tokens, the CSP nonce) are never cached; the templates say which parts are.

Left out of the keys, because they are fixed for a process's life: the templates, the
settings (MEDIA_URL, the storage, the language) and the URLconf with its script prefix. A
cache shared between processes must be emptied, or given a new KEY_PREFIX, when a release
changes them (settings.CACHES).
"""

import hashlib
from collections.abc import Iterable

from django.core.paginator import Page

from portfolio.models import Category, Picture, Project


def gallery_key(
    *, categories: Iterable[Category], selected_category: Category | None, page: Page
) -> str:
    """The gallery grid: its heading, the category filter, the tiles and the page links."""
    return _digest(
        [_category(category) for category in categories],
        selected_category and _category(selected_category),
        page.number,
        page.paginator.num_pages,
        [_tile(project) for project in page.object_list],
    )


def picture_grid_key(project: Project, pictures: Iterable[Picture]) -> str:
    """A project's pictures as a visitor sees them (alt text falls back on the title)."""
    return _digest(project.pk, project.title, [_picture(picture) for picture in pictures])


def _category(category: Category) -> tuple:
    return (category.pk, category.slug, category.name)


def _tile(project: Project) -> tuple:
    cover = project.cover_picture
    return (
        project.pk,
        project.slug,
        project.title,
        project.category and project.category.name,
        cover and _picture(cover),
    )


def _picture(picture: Picture) -> tuple:
    # Everything an <img>, its srcset and the lightbox link are made from.
    return (
        picture.pk,
        picture.photo.name,
        picture.width,
        picture.height,
        picture.caption,
        picture.renditions,
    )


def _digest(*values) -> str:
    # SHA-256, not the md5 Django's cache tag hashes its arguments with: an owner chooses some
    # of these values and must not be able to make two different pages share a key.
    return hashlib.sha256(repr(values).encode()).hexdigest()
