import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.text import slugify

# Slugs that would shadow a fixed URL under /projects/.
RESERVED_SLUGS = frozenset({"new"})


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

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

    def with_cover(self) -> "ProjectQuerySet":
        """Fetch what a gallery tile shows in two queries, however many projects."""
        first_picture = Picture.objects.order_by("position", "id")[:1]
        return self.select_related("category", "cover").prefetch_related(
            Prefetch("pictures", queryset=first_picture, to_attr="first_pictures")
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
            return self.cover
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
            pictures = list(
                Picture.objects.filter(project_id=self.project_id)
                .select_for_update()
                .in_display_order()
                .only("id", "position")
            )
            index = next(i for i, picture in enumerate(pictures) if picture.pk == self.pk)
            target = min(max(index + offset, 0), len(pictures) - 1)
            pictures.insert(target, pictures.pop(index))
            changed = []
            for position, picture in enumerate(pictures):
                if picture.position != position:
                    picture.position = position
                    changed.append(picture)
            Picture.objects.bulk_update(changed, ["position"])
            self.position = target

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and not self.position:
            self.position = self.project.next_picture_position()
        super().save(*args, **kwargs)
