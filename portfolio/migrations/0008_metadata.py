import django.core.validators
import django.db.models.deletion
import portfolio.access
import portfolio.images.fields
import portfolio.models.pictures
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0007_share_links"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="picture",
            name="metadata",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        # Only the field's arguments change (the gate's record goes to `metadata`), not its column.
        migrations.AlterField(
            model_name="picture",
            name="photo",
            field=portfolio.images.fields.PictureField(
                height_field="height",
                metadata_field="metadata",
                storage=portfolio.access.original_storage,
                upload_to=portfolio.models.pictures.picture_upload_to,
                width_field="width",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="show_camera_details",
            field=models.BooleanField(
                default=False,
                help_text="Show each picture's camera, lens and exposure under it in the viewer.",
            ),
        ),
        migrations.CreateModel(
            name="Profile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "creator",
                    models.CharField(
                        blank=True, help_text="Your name as the pictures' creator.", max_length=200
                    ),
                ),
                (
                    "copyright_notice",
                    models.CharField(
                        blank=True,
                        help_text="For example “© 2026 Ann Lee. All rights reserved.”",
                        max_length=500,
                    ),
                ),
                (
                    "credit_line",
                    models.CharField(
                        blank=True, help_text="How publishers should credit you.", max_length=200
                    ),
                ),
                (
                    "rights_url",
                    models.URLField(
                        blank=True,
                        help_text="A page that says how your pictures may be used, such as a licence.",
                        max_length=500,
                        validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
                        verbose_name="web statement of rights",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="profile",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
