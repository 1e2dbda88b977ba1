"""
The page cache: visitors who are not signed in get the gallery and project pages rendered once.

A kept page is keyed by its address, its htmx variant and the **content version**: one row in
the database that every write to what the public pages show changes, in the writing
transaction. The models tell it through one call, content_changed(), made here only, after
each write: `PublicContent.save()`, every deletion (cascades included, through `post_delete`)
and `PublicContentQuerySet`'s update() (bulk_update() too) and bulk_create(). Raw SQL,
`loaddata` and migrations' historical models are not seen. Work of many transactions that
pages may show half done (a project's files moved in batches) announces itself once, at its
end: content_changed_once().

Each request reads the version in one query, so every process sharing the database sees a
write at once: an entry is never stale, only unused, and each process keeps its own pages in
memory (settings.CACHES["pages"]). A page is kept only when nothing in it was made for one
requester: no signed-in user, no pending message, no CSRF token, no CSP nonce, no cookie, and
status 200.
"""

import hashlib
import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial, wraps

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, models, router, transaction
from django.db.models.signals import class_prepared, post_delete
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.template.response import SimpleTemplateResponse

VERSION_ID = 1
# Pages this large (a sitemap file of 1,000 addresses: 100-220 kB of XML) are kept
# compressed, to about a tenth: each process keeps up to 500 pages.
COMPRESSED_FROM_BYTES = 64 * 1024


class ContentVersion(models.Model):
    """The one row whose number changes with every write to the public content."""

    # Random, not counted: after a database is restored from a backup, a new write never
    # comes back to a number that processes kept pages under before the restore.
    number = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=VERSION_ID), name="one_content_version")
        ]

    def __str__(self) -> str:
        return str(self.number)


def content_version(using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The current number, or None when the row is missing (emptied by a test's flush)."""
    # Plain SQL: building and compiling this query with the ORM costs 20 times running it,
    # and every visitor's request runs it.
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT number FROM {ContentVersion._meta.db_table} WHERE id = %s", [VERSION_ID]
        )
        row = cursor.fetchone()
    return row[0] if row else None


# The databases whose changes wait for the end of a content_changed_once() block, or None.
_changes_held: ContextVar[set[str] | None] = ContextVar("content_changes_held", default=None)


@contextmanager
def content_changed_once() -> Iterator[None]:
    """
    Hold back the version changes of the writes inside, and make one at the end (an error
    included): for work of many transactions, each of which leaves every page right (a move's
    batches), so that kept pages are thrown away once, not once a write.
    """
    if _changes_held.get() is not None:  # Already inside one: the outer one announces.
        yield
        return
    held = _changes_held.set(set())
    try:
        yield
    finally:
        changed = _changes_held.get()
        _changes_held.reset(held)
        for using in sorted(changed):
            content_changed(using)


def content_changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """
    Give the content a new version, in the caller's transaction (at the end of the
    content_changed_once() block it is in, if any).

    Called after the write it announces, so this row is the last lock a writer takes: after
    the rows it writes and any it locked first (Project.lock()), in the same order for every
    writer, so two never wait for each other (no deadlock on PostgreSQL). Locking is not its
    job: it serialises nothing but the writes' last step.
    """
    held = _changes_held.get()
    if held is not None:
        held.add(using)
        return
    number = secrets.randbits(63)
    versions = ContentVersion.objects.using(using).filter(pk=VERSION_ID)
    if not versions.update(number=number):
        # The row was emptied (a test's flush): make it again, whoever else is racing to.
        ContentVersion.objects.using(using).bulk_create(
            [ContentVersion(pk=VERSION_ID, number=number)], ignore_conflicts=True
        )
        versions.update(number=number)


# What writes the public content -----------------------------------------------------------


class PublicContent(models.Model):
    """A model whose rows the public pages show: saving one changes the content version."""

    class Meta:
        abstract = True

    def save(self, **kwargs) -> None:
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            super().save(**kwargs)
            content_changed(using)


class PublicContentQuerySet(models.QuerySet):
    """The querysets of PublicContent models: their bulk writes change the version too."""

    # bulk_update() writes through update(); delete() sends post_delete for every row.

    def update(self, **kwargs) -> int:
        with transaction.atomic(using=self.db):
            updated = super().update(**kwargs)
            content_changed(self.db)
        return updated

    def bulk_create(self, objs, *args, **kwargs) -> list:
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            content_changed(self.db)
        return created


def deleting_public_content_changes_the_version(sender, using: str, **kwargs) -> None:
    # Sent for every row a deletion removes, a queryset's and a cascade's too, inside the
    # deletion's transaction, once the rows of its model are deleted.
    content_changed(using)


@receiver(class_prepared, dispatch_uid="watch_deletions_of_public_content")
def watch_deletions_of_public_content(sender, **kwargs) -> None:
    # For these models only: a receiver for every model would stop Django deleting the rows
    # of the others (sessions, task results) without loading them first.
    if issubclass(sender, PublicContent):
        post_delete.connect(
            deleting_public_content_changes_the_version,
            sender=sender,
            dispatch_uid=f"deleting_{sender._meta.label_lower}_changes_the_version",
        )


# The pages ---------------------------------------------------------------------------------


class CachedForVisitorsMixin:
    """Answer visitors who are not signed in with the page kept for the current content."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return kept_or_made(request, partial(super().dispatch, request, *args, **kwargs))


def cached_for_visitors(view):
    """The same for a function view (the sitemap's, Django's own)."""

    @wraps(view)
    def answer(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return kept_or_made(request, partial(view, request, *args, **kwargs))

    return answer


def kept_or_made(request: HttpRequest, make) -> HttpResponse:
    """The page kept for this request, or the one make() returns, kept if it may be."""
    key = page_key(request)
    if key is None:
        return make()
    kept = caches["pages"].get(key)
    if kept is not None:
        return kept.response() if isinstance(kept, CompressedPage) else kept
    # Read the version first: what renders after it is at least as new as it says.
    response = make()
    if isinstance(response, SimpleTemplateResponse) and response.status_code == 200:
        response.add_post_render_callback(partial(keep_page, request, key))
    return response


def page_key(request: HttpRequest) -> str | None:
    """Where this request's page is kept, or None when it is made for this requester alone."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.user.is_authenticated or len(get_messages(request)):
        return None
    version = content_version()
    if version is None:
        return None
    # htmx asks the same address for a fragment, unless it restores its history.
    htmx = [request.headers.get(name, "") for name in ("HX-Request", "HX-History-Restore-Request")]
    address = f"{htmx} {request.build_absolute_uri()}"
    digest = hashlib.md5(address.encode(), usedforsecurity=False).hexdigest()
    return f"page:{version}:{digest}"


def keep_page(request: HttpRequest, key: str, response: SimpleTemplateResponse) -> None:
    """Keep the rendered page, unless rendering it used something of this request's."""
    # A kept copy carries no cookie, and would hand one requester's token or nonce to all.
    made_for_this_request = (
        response.cookies or get_nonce(request) or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    )
    if not made_for_this_request:
        kept = HttpResponse(response.content, headers=response.headers)
        if len(kept.content) >= COMPRESSED_FROM_BYTES:
            kept = CompressedPage(kept)
        caches["pages"].set(key, kept)


class CompressedPage:
    """A large page as kept: its bytes compressed, its headers."""

    def __init__(self, page: HttpResponse) -> None:
        self.content = zlib.compress(page.content, 1)
        self.headers = dict(page.headers)

    def response(self) -> HttpResponse:
        return HttpResponse(zlib.decompress(self.content), headers=self.headers)
