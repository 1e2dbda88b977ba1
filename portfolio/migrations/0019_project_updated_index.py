from django.db import migrations, models
from django.db.models.functions import Coalesce, Greatest


def date_projects_by_their_pictures(apps, schema_editor):
    # From now on a picture's arrival or departure changes its project's `updated`: projects
    # already there take their latest picture's date, when it is later.
    Project = apps.get_model("portfolio", "Project")
    Picture = apps.get_model("portfolio", "Picture")
    latest = (
        Picture.objects.filter(project=models.OuterRef("pk"))
        .order_by("-created")
        .values("created")[:1]
    )
    Project.objects.using(schema_editor.connection.alias).update(
        updated=Greatest("updated", Coalesce(models.Subquery(latest), "updated"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0018_project_picture_count"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["visibility", "-updated"], name="project_updated_idx"),
        ),
        migrations.RunPython(
            date_projects_by_their_pictures, migrations.RunPython.noop, elidable=True
        ),
    ]
