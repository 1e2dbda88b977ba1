from django.db import migrations, models

from portfolio.models.totals import install_counting_triggers, remove_counting_triggers


def count_and_install(apps, schema_editor):
    # The triggers first, in this migration's transaction: no write falls between the count
    # and them.
    install_counting_triggers(schema_editor)
    project_model = apps.get_model("portfolio", "Project")
    public = project_model.objects.using(schema_editor.connection.alias).filter(
        visibility="public"
    )
    counted = public.aggregate(projects=models.Count("pk"), pictures=models.Sum("picture_count"))
    apps.get_model("portfolio", "PublicTotals").objects.using(
        schema_editor.connection.alias
    ).create(pk=1, projects=counted["projects"], pictures=counted["pictures"] or 0)


def remove(apps, schema_editor):
    remove_counting_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0020_project_public_totals_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("projects", models.IntegerField()),
                ("pictures", models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="PublicTotals",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("projects", models.BigIntegerField()),
                ("pictures", models.BigIntegerField()),
            ],
            options={
                "verbose_name_plural": "public totals",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="one_public_totals")
                ],
            },
        ),
        migrations.RunPython(count_and_install, remove),
    ]
