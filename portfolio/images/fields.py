"""
The gate's place in Django: the fields a picture's file goes through, whoever sends it.

A form cleans an upload to the file we store (PictureFormField): the owner's upload form, the
admin's add form and inline alike. Whatever reaches the model another way (a command, the model
API) is judged when it is saved (PictureFieldFile.save). Both run images/gate.py's
prepare_upload, once per file. The metadata record the gate keeps is written to the row's
`metadata_field` as the file is saved, as Django writes width_field and height_field.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.files import ImageFieldFile
from django.tasks import task_backends
from django.tasks.backends.immediate import ImmediateBackend

from portfolio.images.gate import PreparedPicture, UploadRejected, prepare_upload
from portfolio.images.renditions import rendition_spec

# What the file picker offers. Only a hint to the browser: the content decides.
ACCEPT = "image/*,.heic,.heif,.avif"

PHOTO_IS_STORED_FOR_GOOD = (
    "A stored picture's photo cannot be replaced: add the new file as a new picture "
    "and delete this one."
)


def renditions_at_upload() -> str:
    """
    The spec the gate's decode makes renditions for, or "": with the immediate tasks backend
    they are made in the upload's request anyway, so one decode serves both; a worker's queue
    keeps them out of the request (tasks.py makes them there).
    """
    return rendition_spec() if isinstance(task_backends["default"], ImmediateBackend) else ""


class PhotoChangedError(ValueError):
    """A stored picture was given another photo: the photo never changes once stored."""


class PictureFormField(forms.FileField):
    """A file field that cleans an upload to the picture to store, or refuses it with a reason."""

    def __init__(self, **kwargs) -> None:
        # The gate says "empty file", as it does on the upload form.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)
        # The owner's credit, for the fields a file lacks: set by a form that knows the owner.
        self.credit_defaults: dict | None = None

    def to_python(self, data) -> PreparedPicture | None:
        upload = super().to_python(data)
        if upload is None:
            return None
        try:
            return prepare_upload(
                upload, credit_defaults=self.credit_defaults, rendition_spec=renditions_at_upload()
            )
        except UploadRejected as rejection:
            raise ValidationError(rejection.reason, code="rejected") from None

    def clean(self, data, initial=None):
        if self.disabled:
            return initial  # The stored file: it passed when it was added.
        return super().clean(data, initial)

    def widget_attrs(self, widget) -> dict:
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.FileInput) and "accept" not in widget.attrs:
            attrs["accept"] = ACCEPT
        return attrs


class PictureFieldFile(ImageFieldFile):
    def save(self, name: str, content, save: bool = True) -> None:
        """
        Store `content` once the gate has made it the picture to store.

        Raises UploadRejected with the reason when the gate refuses it. The name stored
        under is the gate's: its extension is the file's format's, whatever `name` says.
        The credit defaults are the instance's `credit_defaults()`, when it has that method.
        """
        if not self.instance._state.adding:
            # Checked before anything is written: a refused replacement leaves no file behind.
            raise PhotoChangedError(PHOTO_IS_STORED_FOR_GOOD)
        if not isinstance(content, PreparedPicture):
            defaults = getattr(self.instance, "credit_defaults", None)
            content = prepare_upload(
                content,
                credit_defaults=defaults() if defaults else None,
                rendition_spec=renditions_at_upload(),
            )
        # What the judging's decode made: stored once the picture commits (tasks.py).
        self.instance.derivatives_from_upload = (content.derivatives, content.rendition_spec)
        if self.field.metadata_field:
            setattr(self.instance, self.field.metadata_field, content.metadata)
        self.file = content
        self.field.update_dimension_fields(self.instance)
        super().save(content.name, content, save)


class PictureField(models.ImageField):
    """An ImageField whose every file passes the gate, in forms and on save."""

    attr_class = PictureFieldFile

    def __init__(self, *args, metadata_field: str | None = None, **kwargs) -> None:
        self.metadata_field = metadata_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.metadata_field:
            kwargs["metadata_field"] = self.metadata_field
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PictureFormField, **kwargs})

    def update_dimension_fields(self, instance, force=False, *args, **kwargs) -> None:
        # Django would open the file with Pillow to measure it, here, outside the sandbox: the
        # gate has measured it (the size as shown, orientation applied), and a stored file's
        # size is on its row.
        if self.attname not in instance.__dict__:
            return  # Deferred: nothing was assigned.
        photo = getattr(instance, self.attname)
        prepared = getattr(photo, "file", None) if photo and not photo._committed else None
        if isinstance(prepared, PreparedPicture):
            width, height = prepared.display_size
            setattr(instance, self.width_field, width)
            setattr(instance, self.height_field, height)
