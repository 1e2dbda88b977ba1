from django.db import migrations, models


def published_when_created(apps, schema_editor):
    # Public projects from before this field: their creation is the best date there is.
    Project = apps.get_model("portfolio", "Project")
    Project.objects.filter(visibility="public").update(published=models.F("created"))


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0011_proofing"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="published",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(published_when_created, migrations.RunPython.noop),
    ]
