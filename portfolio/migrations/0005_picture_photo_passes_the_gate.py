import portfolio.images.fields
import portfolio.models.pictures
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0004_page_cache_content_version"),
    ]

    # Only the field's class changes (every file passes the gate), not its column.
    operations = [
        migrations.AlterField(
            model_name="picture",
            name="photo",
            field=portfolio.images.fields.PictureField(
                height_field="height",
                upload_to=portfolio.models.pictures.picture_upload_to,
                width_field="width",
            ),
        ),
    ]
