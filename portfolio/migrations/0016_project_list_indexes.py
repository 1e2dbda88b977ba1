from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0015_download_slots"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["-created", "-id"], name="project_created_idx"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["visibility", "-published", "-id"], name="project_feed_idx"),
        ),
    ]
