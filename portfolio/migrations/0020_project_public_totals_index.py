from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0019_project_updated_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                fields=["id", "picture_count"],
                condition=models.Q(visibility="public"),
                name="project_public_totals_idx",
            ),
        ),
    ]
