import portfolio.images.fields
import portfolio.models.pictures
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0003_content_version"),
    ]

    # Only the field's class changes, not its column: nothing to do in the database. Altering
    # it there would rebuild the table on SQLite and drop the triggers of 0003 with it.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="picture",
                    name="photo",
                    field=portfolio.images.fields.PictureField(
                        height_field="height",
                        upload_to=portfolio.models.pictures.picture_upload_to,
                        width_field="width",
                    ),
                ),
            ],
        ),
    ]
