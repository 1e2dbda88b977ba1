"""Each project's number of pictures, kept on its row (Picture's writes keep it)."""

from django.db import migrations, models
from django.db.models.functions import Coalesce


def count_pictures(apps, schema_editor):
    # The historical models have no custom querysets: the same count as count_pictures().
    Project = apps.get_model("portfolio", "Project")
    Picture = apps.get_model("portfolio", "Picture")
    pictures = Picture.objects.filter(project=models.OuterRef("pk")).order_by()
    counted = pictures.values("project").annotate(total=models.Count("pk")).values("total")
    Project.objects.using(schema_editor.connection.alias).update(
        picture_count=Coalesce(models.Subquery(counted), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0017_admin_search_trigram_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="picture_count",
            field=models.PositiveIntegerField("pictures", db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(count_pictures, migrations.RunPython.noop, elidable=True),
    ]
