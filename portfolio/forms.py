import logging
import time
import unicodedata
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from portfolio.images.fields import PictureFormField
from portfolio.images.gate import describe_limits, too_large_reason
from portfolio.models import Picture, Profile, Project, Selection, ShareLink
from portfolio.models.proofing import normal_name, validate_one_line
from portfolio.storage_outage import STORAGE_UNAVAILABLE_REASON, is_storage_outage

DISPLAY_NAME_MAX_LENGTH = 120
# For a file of a plain post left unjudged because the request's time was spent.
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
        fields = [
            "creator",
            "copyright_notice",
            "credit_line",
            "rights_url",
            "camera_details_in_originals",
        ]


class PictureCaptionForm(forms.ModelForm):
    class Meta:
        model = Picture
        fields = ["caption"]


class PictureFocusForm(forms.ModelForm):
    class Meta:
        model = Picture
        fields = ["focal_x", "focal_y"]


class PictureFilesInput(forms.FileInput):
    """A file picker that offers several files; each form takes one (for_each_file)."""

    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        return files.get(name)


class PictureUploadForm(forms.Form):
    """
    One file for a project, cleaned by the field the admin's picture forms use: is_valid()
    runs the gate. upload.js posts one file a request; a plain post may carry several, and
    for_each_file() gives each its own form.
    """

    photos = PictureFormField(
        label="Pictures",
        widget=PictureFilesInput,
        error_messages={"required": "Choose at least one picture."},
    )

    def __init__(self, *args, project: Project | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        photos = self.fields["photos"]
        photos.help_text = describe_limits()
        # upload.js refuses a file over the byte limit before sending it, in the server's words.
        photos.widget.attrs.update(
            {
                "data-max-file-bytes": settings.PORTFOLIO_UPLOAD_MAX_BYTES,
                "data-too-large-reason": too_large_reason(),
            }
        )

    @classmethod
    def for_each_file(cls, data, files, *, project: Project) -> list["PictureUploadForm"]:
        """A form for each file posted, in order; one (refused as empty) when there is none."""
        uploads = files.getlist("photos")
        if len(uploads) < 2:
            return [cls(data, files, project=project)]
        return [
            cls(data, MultiValueDict({"photos": [upload]}), project=project) for upload in uploads
        ]

    def full_clean(self) -> None:
        if self.project is not None:
            # For the credit fields the file lacks, as the admin's form does.
            self.fields["photos"].credit_defaults = self.project.credit_defaults()
        super().full_clean()

    @property
    def file_name(self) -> str:
        """The posted file's name, made safe to show."""
        upload = self.files.get("photos")
        return display_name(upload.name or "") if upload else ""

    def save(self) -> Picture:
        return self.project.add_picture(
            self.cleaned_data["photos"], original_filename=self.file_name
        )


@dataclass
class Rejection:
    name: str
    reason: str


@dataclass
class UploadResult:
    pictures: list[Picture] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def save_uploads(forms: list[PictureUploadForm]) -> UploadResult:
    """
    Store the picture of each valid form; list the others with their reasons.

    Only a plain post (no JavaScript) carries several files: they are judged in order until
    PORTFOLIO_UPLOAD_REQUEST_SECONDS are spent, the first one always, and the rest listed as
    not uploaded, so the request stays inside the server's timeout. When the media storage
    fails, the files not yet stored are listed as such and the pictures already stored kept;
    if none was, the outage is raised for StorageUnavailableMiddleware to answer.
    """
    result = UploadResult()
    deadline = time.monotonic() + settings.PORTFOLIO_UPLOAD_REQUEST_SECONDS
    for index, form in enumerate(forms):
        if index and time.monotonic() >= deadline:
            result.rejections.extend(
                Rejection(left.file_name, NOT_CHECKED_IN_TIME_REASON) for left in forms[index:]
            )
            break
        if not form.is_valid():
            result.rejections.append(Rejection(form.file_name, " ".join(form.errors["photos"])))
            continue
        try:
            result.pictures.append(form.save())
        except Exception as error:
            if not (is_storage_outage(error) and result.pictures):
                raise
            # Not tried: each would wait for the storage's timeouts to fail the same way.
            result.rejections.extend(
                Rejection(left.file_name, STORAGE_UNAVAILABLE_REASON) for left in forms[index:]
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
    """A new selection under this name; its personal link e-mailed if an address is given."""

    # A model field's own validators are the model's to run: this form has no model.
    name = Selection._meta.get_field("name").formfield(
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        validators=[validate_one_line],
    )
    # Only used to send the personal link, never kept.
    email = forms.EmailField(
        label="your e-mail address",
        max_length=320,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Optional: we send you a link to your selection, for another device.",
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_selection_%s")
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        return normal_name(self.cleaned_data["name"])


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

    def clean_name(self) -> str:
        return normal_name(self.cleaned_data["name"])
