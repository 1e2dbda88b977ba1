import logging
import time
import unicodedata
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from portfolio.images.fields import ACCEPT
from portfolio.images.gate import (
    UploadRejected,
    describe_limits,
    megabytes,
    prepare_upload,
    too_large_reason,
)
from portfolio.models import Picture, Profile, Project, Selection, ShareLink
from portfolio.models.proofing import normal_name, validate_one_line
from portfolio.storage_outage import STORAGE_UNAVAILABLE_REASON, is_storage_outage

DISPLAY_NAME_MAX_LENGTH = 120
# For a file left unjudged because its request's time was spent: upload.js sends it again.
NOT_CHECKED_IN_TIME_REASON = (
    "not uploaded: this upload ran out of time before checking it. Please send it again."
)

logger = logging.getLogger(__name__)


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "title",
            "slug",
            "category",
            "description",
            "visibility",
            "downloads",
            "show_camera_details",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["creator", "copyright_notice", "credit_line", "rights_url"]


class PictureCaptionForm(forms.ModelForm):
    class Meta:
        model = Picture
        fields = ["caption"]


class PictureFocusForm(forms.ModelForm):
    class Meta:
        model = Picture
        fields = ["focal_x", "focal_y"]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """
    A file field that cleans to a list of files.

    Unlike Django's documented pattern it does not clean each file with FileField: one
    empty or bad file must not fail the whole batch. Each file is judged on its own
    by PictureUploadForm.save(), with the gate every picture's file passes, and reported
    by name.
    """

    widget = MultipleFileInput

    def __init__(self, *, max_files: int = 20, max_total_bytes: int | None = None, **kwargs):
        self.max_files = max_files
        self.max_total_bytes = max_total_bytes
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list[UploadedFile]:
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if not files and self.required:
            raise ValidationError("Choose at least one picture.", code="required")
        if len(files) > self.max_files:
            raise ValidationError(
                f"Too many files: at most {self.max_files} at a time, you sent {len(files)}. "
                "Nothing was uploaded.",
                code="max_files",
            )
        total_bytes = sum(file.size for file in files)
        if self.max_total_bytes is not None and total_bytes > self.max_total_bytes:
            raise ValidationError(
                f"Too much in one upload: at most {megabytes(self.max_total_bytes)} at a time, "
                f"you sent {megabytes(total_bytes)}. Nothing was uploaded.",
                code="max_total_bytes",
            )
        return files


@dataclass
class Rejection:
    name: str
    reason: str


@dataclass
class UploadResult:
    pictures: list[Picture] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    # The last files of the request, not judged because its time was spent.
    deferred: list[Rejection] = field(default_factory=list)


class PictureUploadForm(forms.Form):
    photos = MultipleFileField(
        label="Pictures", widget=MultipleFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        photos = self.fields["photos"]
        photos.max_files = settings.PORTFOLIO_UPLOAD_MAX_FILES
        photos.max_total_bytes = settings.PORTFOLIO_UPLOAD_MAX_REQUEST_BYTES
        photos.help_text = describe_limits()
        # upload.js sends a big selection in batches within these limits, and refuses a file
        # over the byte limit before sending it, in the server's words. The server still checks.
        photos.widget.attrs.update(
            {
                "data-max-files": photos.max_files,
                "data-max-request-bytes": photos.max_total_bytes,
                "data-max-file-bytes": settings.PORTFOLIO_UPLOAD_MAX_BYTES,
                "data-too-large-reason": too_large_reason(),
            }
        )

    def save(self, project: Project) -> UploadResult:
        """
        Store every good file as a picture of `project`; list the others with a reason.

        Files are judged in order until PORTFOLIO_UPLOAD_REQUEST_SECONDS are spent, the first
        one always (so every request makes progress); the rest are listed as deferred.
        When the media storage fails, the files not yet stored are listed as such and the
        pictures already stored are kept; if none was, the outage is raised for
        StorageUnavailableMiddleware to answer.
        """
        result = UploadResult()
        uploads = self.cleaned_data["photos"]
        credit_defaults = project.credit_defaults()
        deadline = time.monotonic() + settings.PORTFOLIO_UPLOAD_REQUEST_SECONDS
        for index, upload in enumerate(uploads):
            if index and time.monotonic() >= deadline:
                result.deferred = [
                    Rejection(display_name(left.name or ""), NOT_CHECKED_IN_TIME_REASON)
                    for left in uploads[index:]
                ]
                break
            name = display_name(upload.name or "")
            try:
                image = prepare_upload(upload, credit_defaults=credit_defaults)
            except UploadRejected as rejection:
                result.rejections.append(Rejection(name, rejection.reason))
                continue
            try:
                result.pictures.append(project.add_picture(image, original_filename=name))
            except Exception as error:
                if not (is_storage_outage(error) and result.pictures):
                    raise
                # Not tried: each would wait for the storage's timeouts to fail the same way.
                result.rejections.extend(
                    Rejection(display_name(left.name or ""), STORAGE_UNAVAILABLE_REASON)
                    for left in uploads[index:]
                )
                logger.error("Media storage failed during an upload", exc_info=True)
                break
        return result


def display_name(client_name: str) -> str:
    """The client's file name made safe to show: no folders, no control characters, short."""
    name = client_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        character
        for character in unicodedata.normalize("NFC", name)
        # Control, format (e.g. right-to-left override), unassigned and private characters.
        if unicodedata.category(character)[0] != "C"
    ).strip()
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = f"{stem[: DISPLAY_NAME_MAX_LENGTH - len(extension) - 2]}….{extension}"
        else:
            name = f"{name[: DISPLAY_NAME_MAX_LENGTH - 1]}…"
    return name or "unnamed file"


class ShareLinkForm(forms.ModelForm):
    """A new share link: who it is for, and what it lets them do."""

    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Optional. Tell it to your client apart from the link.",
    )

    class Meta:
        model = ShareLink
        fields = ["label", "expires_at", "downloads", "allows_favourites", "favourite_limit"]
        widgets = {"expires_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}
        help_texts = {"expires_at": "Optional. The link stops working then."}

    field_order = [
        "label",
        "password",
        "expires_at",
        "downloads",
        "allows_favourites",
        "favourite_limit",
    ]

    def __init__(self, *args, **kwargs) -> None:
        # Ids of its own: it shares the edit page with the project's form, which has a
        # "downloads" field too, and a label must name its own field.
        kwargs.setdefault("auto_id", "id_share_link_%s")
        super().__init__(*args, **kwargs)

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return expires_at

    def save(self, commit: bool = True) -> ShareLink:
        self.instance.set_password(self.cleaned_data.get("password", ""))
        return super().save(commit)


class ProjectVisibilityForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["visibility"]


class ShareLinkFavouritesForm(forms.ModelForm):
    """A link's favourites turned on or off, and its limit, after it was made."""

    class Meta:
        model = ShareLink
        fields = ["allows_favourites", "favourite_limit"]
        labels = {"allows_favourites": "Favourites", "favourite_limit": "at most"}
        help_texts = {"allows_favourites": "", "favourite_limit": ""}

    def __init__(self, *args, **kwargs) -> None:
        # One form a link in the panel: ids of their own.
        kwargs.setdefault("auto_id", f"id_link_{kwargs['instance'].pk}_%s")
        super().__init__(*args, **kwargs)


class SelectionStartForm(forms.Form):
    """The name a client chooses under: a name already used on the link continues its selection."""

    # A model field's own validators are the model's to run: this form has no model.
    name = Selection._meta.get_field("name").formfield(
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        validators=[validate_one_line],
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_selection_%s")
        super().__init__(*args, **kwargs)


class SelectionSendForm(forms.ModelForm):
    """Send the selection: the client's name (which they may correct) and a note."""

    class Meta:
        model = Selection
        fields = ["name", "note"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_send_%s")
        super().__init__(*args, **kwargs)

    name_taken_message = Selection._meta.constraints[0].violation_error_message

    def clean_name(self) -> str:
        # The model's constraint names the link, which is not a field here: the form skips it.
        name = normal_name(self.cleaned_data["name"])
        others = Selection.objects.filter(link=self.instance.link).exclude(pk=self.instance.pk)
        if others.named(name).exists():
            raise forms.ValidationError(self.name_taken_message, code="unique")
        return name
