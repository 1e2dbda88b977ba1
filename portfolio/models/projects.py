"""Categories and projects: what the gallery lists and who may see and change each."""

from collections.abc import Collection, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify

from portfolio.cache import PublicContent, PublicContentQuerySet
from portfolio.models.people import Profile
from portfolio.models.steps import SteppedQuerySet

if TYPE_CHECKING:
    from portfolio.models.pictures import Picture

RESERVED_SLUGS = frozenset({"new"})


def columns_save_writes(instance: models.Model, kept_elsewhere: Collection[str]) -> list[str]:
    """
    The update_fields of a loaded instance's save(): every column it loaded but those another
    writer keeps, which an instance loaded before that writer ran must not write back.
    """
    deferred = instance.get_deferred_fields()
    return [
        field.name
        for field in instance._meta.concrete_fields
        if not field.primary_key
        and field.name not in kept_elsewhere
        and field.attname not in deferred
    ]


# A place in the gallery's order: the project's creation in microseconds since 1970, its id.


class Visibility(models.TextChoices):
    """Who sees a project, its pages and its files (portfolio/access.py serves the files)."""

    PUBLIC = "public", "Public: in the gallery, for everyone"
    UNLISTED = "unlisted", "Unlisted: only through a share link"
    PRIVATE = "private", "Private: only you (and staff)"

    @property
    def short_label(self) -> str:
        return self.label.partition(":")[0]


class Downloads(models.TextChoices):
    """What a visitor may download: of a public project, or through a share link."""

    NONE = "none", "No downloads"
    WEB = "web", "Web size (the largest rendition)"
    ORIGINALS = "originals", "Originals"

    @property
    def allows_originals(self) -> bool:
        return self == Downloads.ORIGINALS

    @property
    def allows_any(self) -> bool:
        return self != Downloads.NONE


class CategoryQuerySet(PublicContentQuerySet):
    def with_public_projects(self) -> "CategoryQuerySet":
        """
        Categories that have a public project.

        EXISTS probes project_category_idx once per category, where a join with
        DISTINCT would read every public project: constant as the gallery grows.
        """
        public = Project.objects.filter(category=models.OuterRef("pk")).public()
        return self.filter(models.Exists(public))


class Category(PublicContent):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('portfolio:gallery')}?category={self.slug}"


class ProjectQuerySet(SteppedQuerySet, PublicContentQuerySet):
    step_order = ("-created", "-id")  # Meta.ordering: the studio lists them in steps.

    def public(self) -> "ProjectQuerySet":
        """What the gallery, its category filter, the sitemap and the feed list."""
        return self.filter(visibility=Visibility.PUBLIC)

    def visible_to(self, user) -> "ProjectQuerySet":
        """
        The projects whose page `user` may open: public ones, plus their own (staff: all).

        Unlisted projects are reached by their share links (models/sharing.py), not here.
        """
        if user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(Q(visibility=Visibility.PUBLIC) | Q(owner=user))
        return self.public()

    def editable_by(self, user) -> "ProjectQuerySet":
        if user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(owner=user)
        return self.none()

    def lock(self, *, deleting: bool = False) -> list[int]:
        """
        Lock these projects' rows until the transaction ends; return the ids of those left.

        What serialises every change to a project's pictures' order (adding, moving,
        deleting) and its deletion. Taken before any write of the transaction, in id order:
        the page cache's row comes last (portfolio/cache.py), so no two writers wait for
        each other. To delete, the lock a DELETE takes, so pictures being added (through
        their foreign key) are waited for and deleted too, never left to fail the commit.
        """
        projects = self
        if self.query.annotations or self.query.group_by:
            # FOR UPDATE refuses GROUP BY and outer joins (an annotated queryset): lock the
            # same rows by id.
            ids = list(self.values_list("pk", flat=True))
            projects = self.model._base_manager.db_manager(self.db).filter(pk__in=ids)
        locked = projects.select_for_update(no_key=not deleting).order_by("pk")
        return list(locked.values_list("pk", flat=True))

    def delete(self) -> tuple[int, dict[str, int]]:
        with transaction.atomic(using=self.db):
            self.lock(deleting=True)
            return super().delete()

    def count_pictures(self, *, changed: bool) -> int:
        """
        Set these projects' picture_count from their pictures, counted afresh: for writes that
        go around Picture (the migration that added it, raw SQL) or touch many at once. When
        their pictures `changed`, so did they (`updated`: the sitemap's and the feed's date).
        """
        picture_model = Project._meta.get_field("pictures").related_model
        pictures = picture_model.objects.filter(project=models.OuterRef("pk")).order_by()
        counted = pictures.values("project").annotate(total=models.Count("pk")).values("total")
        touched = {"updated": timezone.now()} if changed else {}
        return self.update(picture_count=Coalesce(models.Subquery(counted), 0), **touched)

    def touch(self) -> int:
        """Date these projects' last change now: their pictures' images arrived where shown."""
        return self.update(updated=timezone.now())

    def add_to_picture_count(self, added: int) -> int:
        """
        Add `added` (negative: removed) to these projects' picture_count, in the database: a
        project changes when a picture comes or goes.
        """
        return self.update(picture_count=models.F("picture_count") + added, updated=timezone.now())

    def with_cover(self) -> "ProjectQuerySet":
        """Fetch what a gallery tile shows in two queries, however many projects."""
        return self.select_related("category", "cover").prefetch_related("first_picture")


class FirstPicture:
    """
    Project.first_picture: its first picture in display order, None if it has none. Read on
    its own, one query each time; prefetched (`prefetch_related("first_picture")`, Django's
    protocol for a related object), one query for every project listed, which looks each
    project's first up on picture_order_idx. A filter or a window over the pictures of the
    projects listed read every one of them: a studio listing a wedding of 20,000 pictures
    took 137 ms on PostgreSQL.
    """

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, project, owner=None):
        if project is None:
            return self
        if self.is_cached(project):
            return project.__dict__[self.name]
        # Not kept: an editor's change to the order is seen by the next read.
        return project.pictures.in_display_order().first()

    def __set__(self, project, picture) -> None:
        if picture is not None and picture.project_id == project.pk:
            picture.project = project  # Its alt text names the project: spare it a query.
        project.__dict__[self.name] = picture

    def is_cached(self, project) -> bool:
        return self.name in project.__dict__

    def get_prefetch_querysets(self, projects, querysets=None) -> tuple:
        picture_model = Project._meta.get_field("pictures").related_model
        first = picture_model.objects.filter(project=models.OuterRef("pk")).in_display_order()
        firsts = Project.objects.filter(pk__in=[project.pk for project in projects]).values(
            first=models.Subquery(first.values("pk")[:1])
        )
        pictures = (querysets[0] if querysets else picture_model.objects).filter(pk__in=firsts)
        # The pictures, what matches them to projects on each side, one each, set through
        # this descriptor (__set__).
        return (pictures, attrgetter("project_id"), attrgetter("pk"), True, self.name, True)


class Project(PublicContent):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=220,
        unique=True,
        blank=True,
        help_text="The project's address: /projects/<slug>/. Made from the title when empty.",
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="projects"
    )
    description = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=10,
        choices=Visibility,
        default=Visibility.PRIVATE,
        db_default=Visibility.PRIVATE,
    )
    downloads = models.CharField(
        "visitors may download",
        max_length=10,
        choices=Downloads,
        default=Downloads.NONE,
        db_default=Downloads.NONE,
        help_text="For everyone who sees a public project. Each share link has its own.",
    )
    show_camera_details = models.BooleanField(
        default=False,
        help_text="Show each picture's camera, lens and exposure under it in the viewer.",
    )
    cover = models.ForeignKey(
        "Picture",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Shown in the gallery. The first picture when empty.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # When it was first made public: what the feed dates it by (portfolio/discovery/feeds.py).
    published = models.DateTimeField(null=True, blank=True, editable=False)
    # Kept by Picture's writes under this project's lock: a page of a project of 20,000
    # pictures says how many it has without counting them (9 ms on PostgreSQL).
    picture_count = models.PositiveIntegerField(
        "pictures", default=0, db_default=0, editable=False
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # The admin's list, all projects newest first.
            models.Index(fields=["-created", "-id"], name="project_created_idx"),
            # The feed: public projects, as they were first made public.
            models.Index(fields=["visibility", "-published", "-id"], name="project_feed_idx"),
            # The gallery: public projects, newest first, optionally in one category.
            models.Index(fields=["visibility", "-created", "-id"], name="project_gallery_idx"),
            models.Index(
                fields=["category", "visibility", "-created", "-id"],
                name="project_category_idx",
            ),
            # The sitemap's index: the latest change of a public project (its pictures' too).
            models.Index(fields=["visibility", "-updated"], name="project_updated_idx"),
            # And its count of the public projects and their pictures, each file's first
            # project and a file of pictures' running count: read from this index alone, not
            # from the projects' rows.
            models.Index(
                fields=["id", "picture_count"],
                condition=models.Q(visibility=Visibility.PUBLIC),
                name="project_public_totals_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portfolio:project-detail", kwargs={"slug": self.slug})

    @property
    def cursor(self) -> str:
        """Its place in the projects' order (newest first), for after() and before()."""
        return Project.objects.cursor_of(self)

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def visibility_choices(self) -> list[tuple[str, str]]:
        return Visibility.choices

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is reserved, choose another."})
        if self.cover_id and self.cover.project_id != self.pk:
            raise ValidationError({"cover": "The cover must be one of this project's pictures."})

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs) -> "Project":
        project = super().from_db(db, field_names, values, **kwargs)
        # What visibility_changed() compares with: the files move when the visibility does.
        project._stored_visibility = project.__dict__.get("visibility")
        return project

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            # Pictures keep picture_count: an instance loaded before an upload finished (an
            # edit form's) must not write its stale number back.
            kwargs["update_fields"] = columns_save_writes(self, ["picture_count"])
        if not self.slug:
            self.slug = self._unique_slug()
        if self.is_public and self.published is None:
            self.published = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "published"}
        super().save(*args, **kwargs)
        self._stored_visibility = self.visibility

    def visibility_changed(self) -> bool:
        """
        Whether its visibility differs from the one it was loaded (or last saved) with: its
        files move then (portfolio/signals.py asks, as it is saved).
        """
        return self.visibility != getattr(self, "_stored_visibility", None)

    first_picture = FirstPicture()

    @property
    def cover_picture(self) -> "Picture | None":
        """The picture that stands for the project: the chosen cover, else the first one."""
        if not self.cover_id:
            return self.first_picture
        cover = self.cover
        if cover.project_id == self.pk:
            cover.project = self  # Its alt text names the project: spare it a query.
        return cover

    @property
    def cover_picture_id(self) -> int | None:
        """The id of cover_picture, without loading a chosen cover."""
        if not self.cover_id:
            return getattr(self.first_picture, "pk", None)
        return self.cover_id

    def add_picture(self, image: File, *, original_filename: str = "") -> "Picture":
        """
        Store a picture's file, then its row: if the row fails, the file goes too.

        Raise Project.DoesNotExist, leaving nothing behind, when the project was deleted
        since it was loaded (while its upload was in flight).
        """
        picture = self.pictures.model(project=self, original_filename=original_filename)
        committed = []
        try:
            # The file first, outside the transaction: writers never wait for the storage.
            picture.photo.save(image.name, image, save=False)
            with transaction.atomic():
                # Runs first of what waits for the commit: a worker stopped during the
                # renditions that follow (SystemExit) must not take a committed row's file.
                transaction.on_commit(lambda: committed.append(True))
                # Kept until this commits: the project seen now is still there then, and the
                # position read stays free.
                if not self.lock():
                    raise Project.DoesNotExist(f"Project {self.pk} was deleted meanwhile.")
                picture.save()
        except BaseException:
            if picture.photo.name and not committed:
                picture.photo.storage.delete(picture.photo.name)
            raise
        return picture

    def credit_defaults(self) -> dict[str, str]:
        """The owner's credit (their profile) for the fields an uploaded file lacks."""
        profile = Profile.objects.filter(user_id=self.owner_id).first()
        return profile.credit_defaults() if profile else {}

    @cached_property
    def camera_details_in_originals(self) -> bool:
        """
        Whether the owner's downloaded originals keep their camera details (their profile);
        asked once per project, not once per picture of a ZIP.
        """
        return Profile.objects.filter(
            user_id=self.owner_id, camera_details_in_originals=True
        ).exists()

    def lock(self, *, deleting: bool = False) -> bool:
        """
        Lock this project's row for the caller's transaction (ProjectQuerySet.lock); whether
        it is still there.
        """
        projects = Project.objects.using(self._state.db).filter(pk=self.pk)
        return bool(projects.lock(deleting=deleting))

    def delete(self, using=None, keep_parents=False) -> tuple[int, dict[str, int]]:
        with transaction.atomic(using=using or self._state.db):
            self.lock(deleting=True)
            return super().delete(using=using, keep_parents=keep_parents)

    def next_picture_position(self) -> int:
        """
        The place after this project's last picture, kept for the caller's transaction.

        It takes the project's lock, so no other transaction reads the same place before this
        one commits (SQLite's immediate transactions hold the one write lock anyway).
        """
        self.lock()
        last = self.pictures.aggregate(last=models.Max("position"))["last"]
        return 0 if last is None else last + 1

    def arrange(self, picture_ids: Sequence[int]) -> None:
        """
        Put these pictures of this project in the given order, in the places they hold now.

        The places they hold, sorted, are given out in turn: what an upload sent in name
        order and stored in the order its requests finished ends in name order, and every
        other picture stays where it is. Raise ValueError, changing nothing, when an id is
        given twice or is not one of this project's pictures; Project.DoesNotExist when the
        project was deleted since it was loaded.
        """
        ids = list(picture_ids)
        if len(set(ids)) != len(ids):
            raise ValueError("Each picture may be given only once.")
        with transaction.atomic(using=self._state.db):
            # As every change to the order: never renumbered from another's stale view.
            if not self.lock():
                raise Project.DoesNotExist(f"Project {self.pk} was deleted meanwhile.")
            pictures = self.pictures.filter(pk__in=ids).only("id", "position").in_bulk()
            if len(pictures) != len(ids):
                raise ValueError("Only this project's pictures can be arranged.")
            places = sorted(picture.position for picture in pictures.values())
            changed = []
            for pk, place in zip(ids, places, strict=True):
                picture = pictures[pk]
                if picture.position != place:
                    picture.position = place
                    changed.append(picture)
            # Through PublicContentQuerySet.update(): the page cache sees the new order.
            self.pictures.model.objects.bulk_update(changed, ["position"])

    def _unique_slug(self) -> str:
        base = slugify(self.title)[:200] or "project"
        if base in RESERVED_SLUGS:
            base = f"{base}-project"
        slug, suffix = base, 2
        while Project.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, suffix = f"{base}-{suffix}", suffix + 1
        return slug
