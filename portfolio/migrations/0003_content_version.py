"""
The content version: one number the database bumps on every write to what public pages show.

A plain table, not a model: Django's `flush` (and the test runner's) empties every model's
table, and this one row must outlive that. Its triggers are the only writers. The cached
fragments of the public pages are keyed by it (portfolio/fragments.py explains the design).

On SQLite a later migration that remakes one of these tables (SQLite's way to alter most
columns) drops its triggers with the old table: recreate them in that migration.
tests/test_content_version.py fails if any is missing.
"""

from django.db import migrations

TABLE = "portfolio_content_version"
# Every table whose rows the public pages show. Owners' names are shown nowhere public, so
# auth_user is not among them (deleting a user deletes their projects, which bumps).
WATCHED_TABLES = ["portfolio_category", "portfolio_project", "portfolio_picture"]
EVENTS = ["INSERT", "UPDATE", "DELETE"]

CREATE_TABLE = f"""
    CREATE TABLE {TABLE} (
        id integer PRIMARY KEY CHECK (id = 1),
        number bigint NOT NULL
    )
"""

# SQLite: row-level triggers only, one per table and event; SQLite serialises writers anyway.
SQLITE_FORWARD = [
    CREATE_TABLE,
    f"INSERT INTO {TABLE} (id, number) VALUES (1, 0)",
    *(
        f"CREATE TRIGGER {table}_{event.lower()}_bumps_content_version "
        f"AFTER {event} ON {table} "
        f"BEGIN UPDATE {TABLE} SET number = number + 1; END"
        for table in WATCHED_TABLES
        for event in EVENTS
    ),
]
SQLITE_REVERSE = [
    *(
        f"DROP TRIGGER {table}_{event.lower()}_bumps_content_version"
        for table in WATCHED_TABLES
        for event in EVENTS
    ),
    f"DROP TABLE {TABLE}",
]

# PostgreSQL: one bump per statement, however many rows it writes. BEFORE the statement, so
# every writer takes the version row's lock before any row lock of the watched tables: two
# transactions then never wait for each other's rows in opposite orders (no deadlock).
POSTGRESQL_FORWARD = [
    CREATE_TABLE,
    f"INSERT INTO {TABLE} (id, number) VALUES (1, 0)",
    f"""
    CREATE FUNCTION portfolio_bump_content_version() RETURNS trigger AS $$
    BEGIN
        UPDATE {TABLE} SET number = number + 1;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        f"CREATE TRIGGER {table}_bumps_content_version "
        f"BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION portfolio_bump_content_version()"
        for table in WATCHED_TABLES
    ),
]
POSTGRESQL_REVERSE = [
    *(f"DROP TRIGGER {table}_bumps_content_version ON {table}" for table in WATCHED_TABLES),
    "DROP FUNCTION portfolio_bump_content_version()",
    f"DROP TABLE {TABLE}",
]

STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_REVERSE),
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_REVERSE),
}


def create(apps, schema_editor):
    for statement in statements(schema_editor)[0]:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    for statement in statements(schema_editor)[1]:
        schema_editor.execute(statement)


def statements(schema_editor) -> tuple[list[str], list[str]]:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise NotImplementedError(f"The content version's triggers are not written for {vendor}.")
    return STATEMENTS[vendor]


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0002_picture_renditions"),
    ]

    operations = [migrations.RunPython(create, drop)]
