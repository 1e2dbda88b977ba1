"""Pictures: one stored photo of a project, its place in the project and its renditions."""

import uuid
from collections.abc import Iterator
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.urls import reverse

from portfolio.access import original_storage
from portfolio.cache import PublicContent, PublicContentQuerySet
from portfolio.images.fields import PHOTO_IS_STORED_FOR_GOOD, PhotoChangedError, PictureField
from portfolio.images.metadata import CREDIT_FIELDS, camera_line, credit_xmp
from portfolio.images.placeholders import Placeholder
from portfolio.images.renditions import rendition_spec
from portfolio.models.projects import Project, columns_save_writes
from portfolio.models.steps import SteppedQuerySet


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


class PictureQuerySet(SteppedQuerySet, PublicContentQuerySet):
    step_order = ("position", "id")

    def in_display_order(self) -> "PictureQuerySet":
        return self.order_by(*self.step_order)

    def after(self, cursor: str) -> "PictureQuerySet":
        """
        Those after the picture the cursor names, from where it is now: the owner may have
        moved pictures since its step was shown (a move renumbers the others), and the next
        step still starts right after it. From the place the cursor says when it is gone.
        """
        position, pk = self.parse_cursor(cursor)
        now = self.filter(pk=pk).order_by().values("position")[:1]
        place = Coalesce(models.Subquery(now), models.Value(position))
        return self.after_values(place, pk).order_by(*self.step_order)

    def iterate_in_display_order(self, rows_per_query: int) -> Iterator["Picture"]:
        """
        These pictures in display order, read `rows_per_query` rows a query: a keyset on
        (position, id), so each query is as cheap as the first (no growing OFFSET), only one
        batch is held, and no statement stays open between batches (an hour-long ZIP).
        """
        pictures = self.in_display_order()
        batch = list(pictures[:rows_per_query])
        while batch:
            yield from batch
            if len(batch) < rows_per_query:
                return
            last = batch[-1]
            batch = list(pictures.after_values(last.position, last.pk)[:rows_per_query])

    def delete(self) -> tuple[int, dict[str, int]]:
        with transaction.atomic(using=self.db):
            # The order of their projects' pictures changes: under the projects' lock. Only
            # the rows of the projects locked: one moved meanwhile into another stays.
            projects = Project.objects.using(self.db).filter(pk__in=self.values("project_id"))
            locked = projects.lock()
            mine = self.filter(project_id__in=locked)
            deleted = super(PictureQuerySet, mine).delete()
            Project.objects.using(self.db).filter(pk__in=locked).count_pictures(changed=True)
            return deleted

    def update(self, **kwargs) -> int:
        if {"project", "project_id"} & kwargs.keys():
            # Their projects' counts, orders, covers and files follow a move: Picture.save().
            raise TypeError("Move pictures to another project with Picture.save(), one by one.")
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs) -> list:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            # Their projects locked first, as every writer does (portfolio/cache.py).
            projects = Project.objects.using(self.db).filter(
                pk__in={picture.project_id for picture in objs}
            )
            projects.lock()
            created = super().bulk_create(objs, *args, **kwargs)
            projects.count_pictures(changed=True)
        for picture in created:
            picture._stored_project_id = picture.project_id  # As if loaded: a move is seen.
        return created

    def needing_renditions(self) -> "PictureQuerySet":
        """Pictures whose renditions are missing or were made for other settings."""
        return self.exclude(photo="").exclude(renditions_spec=rendition_spec())


# Written only by the renditions task (portfolio/tasks.py), never by Picture.save().
RENDITION_FIELDS = ("renditions", "renditions_spec", "renditions_public", "placeholder", "card")


class Picture(PublicContent):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pictures")
    # Every file passes the gate (images/gate.py), in forms and on save: images/fields.py.
    # The original, never on a public URL whatever the project (portfolio/access.py).
    photo = PictureField(
        upload_to=picture_upload_to,
        storage=original_storage,
        width_field="width",
        height_field="height",
        metadata_field="metadata",
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
    # The settings they were made for (rendition_spec()); when that changes, outdated.
    renditions_spec = models.CharField(max_length=100, blank=True, editable=False)
    # Whether the renditions are in the public storage, as those of a public project are once
    # moved there (tasks.py): portfolio/access.py hands out their URLs accordingly.
    renditions_public = models.BooleanField(default=False, editable=False)
    # A few colours shown until the image arrives (images/placeholders.py), and the stored
    # name of the 1200 × 630 link-preview card: made with the renditions, from their decode,
    # and stored with them.
    placeholder = models.CharField(max_length=100, blank=True, editable=False)
    card = models.CharField(max_length=255, blank=True, editable=False)
    # The "web size" download, made with the renditions: a JPEG 2048 px on its long edge.
    web_size = models.CharField(max_length=255, blank=True, editable=False)
    # The point that matters, as fractions of the width and height: every crop keeps it.
    focal_x = models.FloatField(
        default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    focal_y = models.FloatField(
        default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    # What the metadata policy keeps of the uploaded file (images/metadata.py), written by
    # the gate as the photo is stored: {"camera": {make, model, lens, …}, "credit": {…}}.
    # After the photo: its pre_save writes this before the row's values are read.
    metadata = models.JSONField(default=dict, blank=True, editable=False)

    objects = PictureQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["project", "position", "id"], name="picture_order_idx")]

    def __str__(self) -> str:
        return self.caption or self.original_filename or f"Picture {self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        picture = super().from_db(db, field_names, values, **kwargs)
        # What the card was cropped around, to remake it when the owner moves the point.
        picture._stored_focal_point = (
            picture.__dict__.get("focal_x"),
            picture.__dict__.get("focal_y"),
        )
        # Its project's visibility decides where its renditions live: a new project may move them.
        picture._stored_project_id = picture.__dict__.get("project_id")
        return picture

    def get_absolute_url(self) -> str:
        """Its own page (the project page opens it in the lightbox at #picture-<pk>)."""
        return reverse(
            "portfolio:picture-detail", kwargs={"slug": self.project.slug, "pk": self.pk}
        )

    @property
    def alt_text(self) -> str:
        return self.caption or f"Picture from {self.project.title}"

    def neighbours(self) -> tuple["Picture | None", "Picture | None"]:
        """The pictures before and after this one in its project's display order."""
        siblings = Picture.objects.filter(project_id=self.project_id)
        same_place = models.Q(position=self.position)
        before = siblings.filter(
            models.Q(position__lt=self.position) | same_place & models.Q(pk__lt=self.pk)
        ).order_by("-position", "-id")
        after = siblings.filter(
            models.Q(position__gt=self.position) | same_place & models.Q(pk__gt=self.pk)
        ).in_display_order()
        neighbours = before.first(), after.first()
        for picture in neighbours:
            if picture is not None:
                picture.project = self.project  # their URLs name it: no query for it
        return neighbours

    def move(self, offset: int) -> None:
        """Move this picture `offset` places (negative: earlier), renumbering its project's."""
        self._place(lambda index: index + offset)

    def move_to(self, position: int) -> None:
        """Move this picture to `position` (from 0, clamped), renumbering its project's."""
        self._place(lambda index: position)

    def _place(self, target_of) -> None:
        """Move this picture from its index to target_of(index), under its project's lock."""
        with transaction.atomic():
            # Two moves at once (two tabs) never renumber from the same stale order.
            Project.objects.filter(pk=self.project_id).lock()
            pictures = list(
                Picture.objects.filter(project_id=self.project_id)
                .in_display_order()
                .only("id", "position")
            )
            index = next((i for i, picture in enumerate(pictures) if picture.pk == self.pk), None)
            if index is None:
                return  # Deleted since it was loaded (another tab): nothing left to move.
            target = min(max(target_of(index), 0), len(pictures) - 1)
            pictures.insert(target, pictures.pop(index))
            changed = []
            for position, picture in enumerate(pictures):
                if picture.position != position:
                    picture.position = position
                    changed.append(picture)
            Picture.objects.bulk_update(changed, ["position"])
            self.position = target

    def delete(self, using=None, keep_parents=False) -> tuple[int, dict[str, int]]:
        using = using or self._state.db
        with transaction.atomic(using=using):
            # Its project's order changes (and its cover may go): under the lock of the project
            # it is in now (another tab may have moved or deleted it since it was loaded),
            # which a move out of that project waits for.
            rows = Picture.objects.using(using).filter(pk=self.pk)
            while (project_id := rows.values_list("project_id", flat=True).first()) is not None:
                Project.objects.using(using).filter(pk=project_id).lock()
                if rows.filter(project_id=project_id).exists():
                    break
            if project_id is None:
                return 0, {}  # Deleted meanwhile: nothing to delete or count.
            self.project_id = project_id
            deleted = super().delete(using=using, keep_parents=keep_parents)
            self._count_in_project(-1, using=using)
            return deleted

    def _count_in_project(self, added: int, using=None, project_id=None) -> None:
        """Its project's picture_count, in the database and on the project it holds."""
        project_id = project_id or self.project_id
        projects = Project.objects.using(using or self._state.db).filter(pk=project_id)
        projects.add_to_picture_count(added)
        if Picture.project.is_cached(self) and self.project.pk == project_id:
            self.project.picture_count += added

    def clean(self) -> None:
        if not self._state.adding and self._photo_is_unsaved_file():
            raise ValidationError({"photo": PHOTO_IS_STORED_FOR_GOOD})

    def save(self, *args, update_fields=None, **kwargs) -> None:
        if not self._state.adding:
            self._refuse_another_photo()
            if update_fields is None:
                # The renditions task owns those columns: saving an instance loaded before it
                # ran (an edited caption) must not write its stale, empty list back.
                update_fields = columns_save_writes(self, RENDITION_FIELDS)
            left = self._project_left(update_fields)
            with transaction.atomic(using=kwargs.get("using")):
                if left is not None:
                    # Both projects' orders change: under their locks, taken in id order
                    # before any write, and the picture goes to the end of its new project.
                    Project.objects.filter(pk__in=[left, self.project_id]).lock()
                    self.position = self.project.next_picture_position()
                    update_fields = {*update_fields, "position"}
                # Its card is remade when the focal point moved, its files follow when the
                # project changed (portfolio/signals.py).
                super().save(*args, update_fields=update_fields, **kwargs)
                if left is not None:
                    # Another project's picture is no cover of the old one's, and no favourite
                    # of its links' clients (their links do not reach it any more).
                    Project.objects.filter(pk=left, cover_id=self.pk).update(cover=None)
                    self.favourites.all().delete()
                    self._count_in_project(-1, project_id=left)
                    self._count_in_project(1)
            self._stored_project_id = self.project_id
            return
        with transaction.atomic(using=kwargs.get("using")):
            # The place read and the row written under one lock (next_picture_position).
            if not self.position:
                self.position = self.project.next_picture_position()
            # Counted first: the project's row is locked before the page cache's, as every
            # writer locks them (portfolio/cache.py), even when the place was given.
            self._count_in_project(1, using=kwargs.get("using"))
            # Its renditions are made once this commits (portfolio/signals.py).
            super().save(*args, update_fields=update_fields, **kwargs)
        self._stored_focal_point, self._stored_project_id = self.focal_point, self.project_id

    def credit_defaults(self) -> dict[str, str]:
        """The owner's credit, for the fields its file lacks (images/fields.py asks)."""
        return self.project.credit_defaults()

    @property
    def credit(self) -> dict[str, str]:
        """
        The credit written into the picture's files, for the JSON-LD: creator,
        copyright_notice, credit_line and rights_url (the web statement of rights), each ""
        when unknown.
        """
        credit = self.metadata.get("credit", {})
        return {name: credit.get(name, "") for name in CREDIT_FIELDS}

    @property
    def credit_xmp(self) -> bytes | None:
        """The credit as the XMP packet its renditions carry, like its stored file."""
        return credit_xmp(self.credit)

    @property
    def camera_line(self) -> str:
        """The camera, lens and exposure as one line: "Fujifilm X-T5 · XF35mmF1.4 R · 35 mm…"."""
        return camera_line(self.metadata.get("camera", {}))

    @property
    def focal_point(self) -> tuple[float, float]:
        return self.focal_x, self.focal_y

    def set_focal_point(self, focal_x: float, focal_y: float) -> None:
        """Move the point every crop keeps (fractions, clamped); the card is remade on commit."""
        self.focal_x, self.focal_y = (
            min(max(float(value), 0.0), 1.0) for value in (focal_x, focal_y)
        )
        self.save(update_fields=["focal_x", "focal_y"])

    def focal_point_moved(self, update_fields) -> bool:
        """
        Whether the save that wrote `update_fields` moved the focal point the row held (the
        new one is then the stored one): its card is remade.
        """
        stored = getattr(self, "_stored_focal_point", None)
        written = {"focal_x", "focal_y"} & set(update_fields)
        if stored is None or not written:
            return False
        self._stored_focal_point, moved = self.focal_point, stored != self.focal_point
        return moved

    @property
    def placeholder_preview(self) -> Placeholder | None:
        """What templates/portfolio/_placeholder.html draws; None until the task made one."""
        return Placeholder.parse(self.placeholder)

    @property
    def renditions_outdated(self) -> bool:
        return bool(self.photo) and self.renditions_spec != rendition_spec()

    @property
    def rendition_names(self) -> list[str]:
        """The files the renditions task made: the renditions, the card and the web size."""
        names = [rendition["name"] for rendition in self.renditions]
        return names + [name for name in (self.card, self.web_size) if name]

    @property
    def display_width(self) -> int:
        """The width as shown (orientation applied): the largest rendition's, else the file's."""
        return self.renditions[-1]["width"] if self.renditions else self.width

    @property
    def display_height(self) -> int:
        return self.renditions[-1]["height"] if self.renditions else self.height

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._stored_focal_point = (self.__dict__.get("focal_x"), self.__dict__.get("focal_y"))
        self._stored_project_id = self.__dict__.get("project_id")

    def _refuse_another_photo(self) -> None:
        """Raise PhotoChangedError if this stored picture now holds another photo than its row."""
        if "photo" not in self.__dict__:
            return  # Deferred and never touched.
        if not self._photo_is_unsaved_file():
            stored = Picture.objects.filter(pk=self.pk).values_list("photo", flat=True).first()
            if stored is None or stored == self.photo.name:
                return
        raise PhotoChangedError(f"Picture {self.pk}: {PHOTO_IS_STORED_FOR_GOOD}")

    def project_moved(self, update_fields) -> bool:
        """
        Whether the save that wrote `update_fields` took the picture to another project: its
        renditions then move to the storage the new project's visibility calls for.
        """
        return self._project_left(update_fields) is not None

    def _project_left(self, update_fields) -> int | None:
        """The project this save takes the picture from, if it writes another one."""
        stored = getattr(self, "_stored_project_id", None)
        written = {"project", "project_id"} & set(update_fields or ())
        if stored is None or not written or stored == self.project_id:
            return None
        return stored

    def _photo_is_unsaved_file(self) -> bool:
        """Whether a file was assigned to the photo and not stored yet (no query: __dict__)."""
        photo = self.__dict__.get("photo")
        if isinstance(photo, FieldFile):
            return not photo._committed
        return isinstance(photo, File)
