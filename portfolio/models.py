import uuid
from functools import cache, cached_property, partial
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, models, transaction
from django.db.models import Prefetch, Q
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils.text import slugify

from portfolio import images

# Slugs that would shadow a fixed URL under /projects/.
RESERVED_SLUGS = frozenset({"new"})

# The content version: a number the database itself bumps, in the same transaction, on every
# write to the tables the public pages show (triggers, migration 0003). Equal numbers mean
# equal content, whoever wrote and however: portfolio/fragments.py keys its cache by it.
CONTENT_VERSION_SQL = "SELECT number FROM portfolio_content_version"


def lock_public_content() -> None:
    """
    Hold, until the transaction ends, the lock every write to the public content takes first.

    The triggers take it by bumping the version before a statement touches any row, so a
    transaction that reads rows to rewrite them takes it the same way, and never deadlocks
    with a writer holding it. Rows cannot change under it: every writer waits.
    """
    with connection.cursor() as cursor:
        cursor.execute("UPDATE portfolio_content_version SET number = number + 1")


class CategoryQuerySet(models.QuerySet):
    def with_published_projects(self) -> "CategoryQuerySet":
        """
        Categories that have a published project.

        EXISTS probes project_category_idx once per category, where a join with
        DISTINCT would read every published project: constant as the gallery grows.
        """
        published = Project.objects.filter(category=models.OuterRef("pk"), is_published=True)
        return self.filter(models.Exists(published))

    def for_gallery(self) -> tuple[int | None, list["Category"]]:
        """
        The content version and the categories with published projects, in one query.

        The gallery reads the version first to find its cached grid, and needs the
        categories either way (filter bar, title): one row even with no categories.
        """
        sql, params = _filter_bar_sql()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ({CONTENT_VERSION_SQL}), category.* FROM (SELECT 1) AS gallery "
                f"LEFT JOIN ({sql}) AS category ON TRUE ORDER BY category.name",
                params,
            )
            rows = cursor.fetchall()
        version = rows[0][0]
        return version, [
            Category(pk=pk, name=name, slug=slug) for _, pk, name, slug in rows if pk is not None
        ]


@cache
def _filter_bar_sql() -> tuple[str, tuple]:
    # The same for a process's life: building and compiling it was most of a kept gallery's time.
    categories = Category.objects.with_published_projects().values_list("pk", "name", "slug")
    return categories.query.sql_with_params()


class Category(models.Model):
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


class ProjectQuerySet(models.QuerySet):
    def published(self) -> "ProjectQuerySet":
        return self.filter(is_published=True)

    def visible_to(self, user) -> "ProjectQuerySet":
        """Published projects, plus drafts their owner (or staff) may preview."""
        if user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(Q(is_published=True) | Q(owner=user))
        return self.published()

    def editable_by(self, user) -> "ProjectQuerySet":
        if user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(owner=user)
        return self.none()

    def with_content_version(self) -> "ProjectQuerySet":
        """Read the content version along (as `content_version`): no query of its own."""
        return self.annotate(content_version=RawSQL(CONTENT_VERSION_SQL, ()))

    def with_cover(self) -> "ProjectQuerySet":
        """Fetch what a gallery tile shows in two queries, however many projects."""
        return self.select_related("category", "cover").prefetch_related(
            Prefetch(
                "pictures", queryset=Picture.objects.firsts_of_projects(), to_attr="first_pictures"
            )
        )


class Project(models.Model):
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
    is_published = models.BooleanField(
        "published", default=False, help_text="Drafts are seen only by their owner and staff."
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

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # The gallery: published projects, newest first, optionally in one category.
            models.Index(fields=["is_published", "-created", "-id"], name="project_gallery_idx"),
            models.Index(
                fields=["category", "is_published", "-created", "-id"],
                name="project_category_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portfolio:project-detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is reserved, choose another."})
        if self.cover_id and self.cover.project_id != self.pk:
            raise ValidationError({"cover": "The cover must be one of this project's pictures."})

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    @property
    def cover_picture(self) -> "Picture | None":
        """The chosen cover, else the first picture."""
        if self.cover_id:
            cover = self.cover
            if cover.project_id == self.pk:
                cover.project = self  # Its alt text names the project: spare it a query.
            return cover
        if hasattr(self, "first_pictures"):
            return self.first_pictures[0] if self.first_pictures else None
        return self.pictures.first()

    def add_picture(self, image: File, *, original_filename: str = "") -> "Picture":
        """Store a picture's file and its row together: if the row fails, the file goes too."""
        picture = Picture(project=self, original_filename=original_filename)
        try:
            with transaction.atomic():
                picture.photo.save(image.name, image, save=True)
        except BaseException:
            if picture.photo.name:
                picture.photo.storage.delete(picture.photo.name)
            raise
        return picture

    def next_picture_position(self) -> int:
        last = self.pictures.aggregate(last=models.Max("position"))["last"]
        return 0 if last is None else last + 1

    def _unique_slug(self) -> str:
        base = slugify(self.title)[:200] or "project"
        if base in RESERVED_SLUGS:
            base = f"{base}-project"
        slug, suffix = base, 2
        while Project.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, suffix = f"{base}-{suffix}", suffix + 1
        return slug


def picture_upload_to(picture: "Picture", filename: str) -> str:
    """
    Store under projects/<project id>/<random hex><extension>.

    The random name means two uploads of photo.jpg never collide, nobody can
    guess the address of a picture, and nothing the client chose ends up in a path.
    """
    extension = PurePath(filename).suffix.lower()
    if not (2 <= len(extension) <= 6 and extension[1:].isalnum() and extension.isascii()):
        extension = ""
    return f"projects/{picture.project_id}/{uuid.uuid4().hex}{extension}"


class PictureQuerySet(models.QuerySet):
    def in_display_order(self) -> "PictureQuerySet":
        return self.order_by("position", "id")

    def firsts_of_projects(self) -> "PictureQuerySet":
        """
        Each project's first picture in display order.

        A correlated subquery on picture_order_idx. A sliced Prefetch gives the same with a
        window function, whose compilation in Python cost the gallery 0.6 ms more a request.
        """
        first = Picture.objects.filter(project=models.OuterRef("project_id")).in_display_order()
        return self.filter(pk=models.Subquery(first.values("pk")[:1]))

    def needing_renditions(self) -> "PictureQuerySet":
        """Pictures whose renditions are missing or were made for other settings."""
        return self.exclude(photo="").exclude(renditions_spec=images.rendition_spec())


# Written only by Picture.make_renditions() (and reset when the file changes).
RENDITION_FIELDS = ("renditions", "renditions_spec")


class Picture(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pictures")
    photo = models.ImageField(
        upload_to=picture_upload_to, width_field="width", height_field="height"
    )
    # Stored on the row so a page can size every <img> without opening a file.
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    caption = models.CharField(
        max_length=300, blank=True, help_text="Describes the picture; used as its alt text."
    )
    original_filename = models.CharField(
        max_length=255, blank=True, editable=False, help_text="As uploaded, for display only."
    )
    position = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    # The responsive sizes made from the photo, smallest first: [{"width", "height", "name"}].
    # On the row so a page knows them without a query or a storage call.
    renditions = models.JSONField(default=list, blank=True, editable=False)
    # The settings they were made for (images.rendition_spec()); when that changes, outdated.
    renditions_spec = models.CharField(max_length=100, blank=True, editable=False)

    objects = PictureQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["project", "position", "id"], name="picture_order_idx")]

    def __str__(self) -> str:
        return self.caption or self.original_filename or f"Picture {self.pk}"

    def get_absolute_url(self) -> str:
        return f"{self.project.get_absolute_url()}#picture-{self.pk}"

    @property
    def alt_text(self) -> str:
        return self.caption or f"Picture from {self.project.title}"

    def move(self, offset: int) -> None:
        """Move this picture `offset` places (negative: earlier), renumbering its project's."""
        with transaction.atomic():
            # Not SELECT ... FOR UPDATE: row locks taken before the content's lock could
            # deadlock with a writer holding it (the renditions task, say).
            lock_public_content()
            pictures = list(
                Picture.objects.filter(project_id=self.project_id)
                .in_display_order()
                .only("id", "position")
            )
            index = next((i for i, picture in enumerate(pictures) if picture.pk == self.pk), None)
            if index is None:
                return  # Deleted since it was loaded (another tab): nothing left to move.
            target = min(max(index + offset, 0), len(pictures) - 1)
            pictures.insert(target, pictures.pop(index))
            changed = []
            for position, picture in enumerate(pictures):
                if picture.position != position:
                    picture.position = position
                    changed.append(picture)
            Picture.objects.bulk_update(changed, ["position"])
            self.position = target

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        picture = super().from_db(db, field_names, values, **kwargs)
        picture._remember_stored_photo()
        return picture

    def save(self, *args, update_fields=None, **kwargs) -> None:
        if self._state.adding and not self.position:
            self.position = self.project.next_picture_position()
        photo_changed = self._photo_changed()
        stale_renditions = set()
        if photo_changed:
            if not self._state.adding:
                # From the row, not this instance: the task may have recorded them since it loaded.
                stored = Picture.objects.filter(pk=self.pk).first()
                stale_renditions = stored.all_rendition_names() if stored else set()
            self.renditions, self.renditions_spec = [], ""
            self.__dict__.pop("_rendition_urls", None)
            if update_fields is not None:
                update_fields = {*update_fields, *RENDITION_FIELDS}
        elif not self._state.adding and update_fields is None:
            # The renditions task owns those columns: saving an instance loaded before it
            # ran (an edited caption) must not write its stale, empty list back.
            deferred = self.get_deferred_fields()
            update_fields = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in RENDITION_FIELDS
                and field.attname not in deferred
            ]
        super().save(*args, update_fields=update_fields, **kwargs)
        self._remember_stored_photo()
        if photo_changed:
            using = kwargs.get("using") or transaction.DEFAULT_DB_ALIAS
            if stale_renditions:
                transaction.on_commit(
                    partial(
                        images.delete_renditions, self.photo.storage, sorted(stale_renditions)
                    ),
                    using=using,
                )
            if self.photo:
                transaction.on_commit(partial(enqueue_renditions, self.pk), using=using)

    @property
    def has_renditions(self) -> bool:
        return bool(self.renditions)

    @property
    def renditions_outdated(self) -> bool:
        return bool(self.photo) and self.renditions_spec != images.rendition_spec()

    @property
    def rendition_names(self) -> list[str]:
        return [rendition["name"] for rendition in self.renditions]

    def all_rendition_names(self) -> set[str]:
        """
        The renditions recorded on this instance, and every name they may have under the
        current settings: what to delete with the photo. A worker may have made and recorded
        them after this instance was loaded.
        """
        names = set(self.rendition_names)
        if self.photo and self.width and self.height:
            names |= images.possible_rendition_names(self.photo.name, self.width, self.height)
        return names

    def make_renditions(self) -> bool:
        """
        (Re)make and record the renditions of the current photo, replacing older ones.

        Return False, leaving nothing behind, when the picture was deleted or its
        photo replaced meanwhile.
        """
        storage, photo_name, spec = self.photo.storage, self.photo.name, images.rendition_spec()
        stale = set(self.rendition_names)
        records = images.save_renditions(storage, photo_name, spec)
        # Recorded only if the row still holds the photo they were made from.
        recorded = Picture.objects.filter(pk=self.pk, photo=photo_name).update(
            renditions=records, renditions_spec=spec
        )
        made = {record["name"] for record in records}
        if not recorded:
            images.delete_renditions(storage, made)
            return False
        images.delete_renditions(storage, stale - made)
        self.renditions, self.renditions_spec = records, spec
        self.__dict__.pop("_rendition_urls", None)
        return True

    def rendition_url(self, width: int | None = None) -> str:
        """The smallest rendition at least `width` wide, else the largest, else the photo."""
        if not self.renditions:
            return self.photo.url
        for rendition_width, url in self._rendition_urls:
            if width is not None and rendition_width >= width:
                return url
        return self._rendition_urls[-1][1]

    @property
    def srcset(self) -> str:
        return ", ".join(f"{url} {width}w" for width, url in self._rendition_urls)

    @property
    def src(self) -> str:
        """A middle rendition, for browsers that ignore srcset; the photo until there is one."""
        if not self.renditions:
            return self.photo.url
        return self._rendition_urls[len(self._rendition_urls) // 2][1]

    @property
    def large_url(self) -> str:
        """What the lightbox shows: the largest rendition, the photo until there is one."""
        return self.rendition_url()

    @property
    def display_width(self) -> int:
        """The width as shown (orientation applied): the largest rendition's, else the file's."""
        return self.renditions[-1]["width"] if self.renditions else self.width

    @property
    def display_height(self) -> int:
        return self.renditions[-1]["height"] if self.renditions else self.height

    @cached_property
    def _rendition_urls(self) -> list[tuple[int, str]]:
        # storage.url() builds an address, no network: cheap for local files and public buckets.
        storage = self.photo.storage
        return [
            (rendition["width"], storage.url(rendition["name"])) for rendition in self.renditions
        ]

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self.__dict__.pop("_rendition_urls", None)
        self._remember_stored_photo()

    def _photo_changed(self) -> bool:
        if self._state.adding:
            return bool(self.photo)
        if "photo" not in self.__dict__:
            return False  # Deferred and never touched.
        stored = getattr(self, "_stored_photo_name", None)
        return not self.photo._committed or (stored is not None and self.photo.name != stored)

    def _remember_stored_photo(self) -> None:
        # Read from __dict__: a deferred photo must not cost a query here.
        photo = self.__dict__.get("photo")
        self._stored_photo_name = getattr(photo, "name", photo)


def enqueue_renditions(picture_id: int) -> None:
    from portfolio.tasks import make_renditions

    make_renditions.enqueue(picture_id)


@receiver(post_delete, sender=Picture, dispatch_uid="delete_renditions_with_their_picture")
def delete_renditions_with_their_picture(sender, instance: Picture, using: str, **kwargs) -> None:
    """Delete the renditions once the deletion commits, as django-cleanup does the photo."""
    if names := instance.all_rendition_names():
        transaction.on_commit(
            partial(images.delete_renditions, instance.photo.storage, sorted(names)), using=using
        )
