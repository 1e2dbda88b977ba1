"""
The content version becomes a model the model layer writes (portfolio/cache.py): drop the old
table and the triggers that bumped it, where migration 0003 once made them.
"""

import secrets

from django.db import migrations, models

OLD_TABLE = "portfolio_content_version"
WATCHED_TABLES = ["portfolio_category", "portfolio_project", "portfolio_picture"]

DROP_OLD = {
    "sqlite": [
        *(
            f"DROP TRIGGER IF EXISTS {table}_{event}_bumps_content_version"
            for table in WATCHED_TABLES
            for event in ["insert", "update", "delete"]
        ),
        f"DROP TABLE IF EXISTS {OLD_TABLE}",
    ],
    "postgresql": [
        *(f"DROP TRIGGER IF EXISTS {table}_bumps_content_version ON {table}" for table in WATCHED_TABLES),
        "DROP FUNCTION IF EXISTS portfolio_bump_content_version()",
        f"DROP TABLE IF EXISTS {OLD_TABLE}",
    ],
}


def drop_old_triggers(apps, schema_editor):
    for statement in DROP_OLD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def make_the_version_row(apps, schema_editor):
    ContentVersion = apps.get_model("portfolio", "ContentVersion")
    ContentVersion.objects.using(schema_editor.connection.alias).create(
        pk=1, number=secrets.randbits(63)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0003_content_version'),
    ]

    operations = [
        # Backwards they stay dropped: no code reads that table any more.
        migrations.RunPython(drop_old_triggers, migrations.RunPython.noop),
        migrations.CreateModel(
            name='ContentVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.BigIntegerField()),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='one_content_version')],
            },
        ),
        migrations.RunPython(make_the_version_row, migrations.RunPython.noop),
    ]
