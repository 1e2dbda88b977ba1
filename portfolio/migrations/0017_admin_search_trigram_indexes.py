from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# The columns the admin searches, as its icontains reads them: UPPER(column) LIKE '%…%'.
# Trigram indexes are PostgreSQL's alone, so they live outside the models' state: SQLite
# (the embedded default) has none, and rebuilds its tables without meeting them.
SEARCHED = [
    ("portfolio_picture", "caption", "picture_caption_trgm_idx"),
    ("portfolio_picture", "original_filename", "picture_filename_trgm_idx"),
    ("portfolio_project", "title", "project_title_trgm_idx"),
    ("portfolio_project", "slug", "project_slug_trgm_idx"),
    ("portfolio_project", "description", "project_description_trgm_idx"),
]


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table, column, name in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX {quote(name)} ON {quote(table)} "
            f"USING gin (UPPER({quote(column)}) gin_trgm_ops)"
        )


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in SEARCHED:
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0016_project_list_indexes"),
    ]

    operations = [
        # A no-op but on PostgreSQL, where the database's owner may create it (a trusted
        # extension since PostgreSQL 13).
        TrigramExtension(),
        migrations.RunPython(add_indexes, remove_indexes),
    ]
