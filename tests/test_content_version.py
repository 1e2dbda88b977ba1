"""
The content version: the database bumps it on every write to what the public pages show,
whoever writes and however, in the writing transaction (migration 0003). Runs on SQLite by
default and on PostgreSQL with `make test-services`.
"""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from portfolio.models import CONTENT_VERSION_SQL, Category, Picture, Project
from tests.helpers import make_category, make_picture, make_project, make_user

pytestmark = pytest.mark.django_db


def version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(CONTENT_VERSION_SQL)
        return cursor.fetchone()[0]


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def rows():
    category = make_category("Landscape")
    project = make_project(make_user(), category=category)
    picture = make_picture(project)
    return {"category": category, "project": project, "picture": picture}


WRITES = {
    "category inserted": lambda rows: make_category("Seascape"),
    "category updated": lambda rows: Category.objects.update(name="Lands"),
    "category deleted": lambda rows: rows["category"].delete(),
    "project inserted": lambda rows: make_project(rows["project"].owner),
    "project saved": lambda rows: rows["project"].save(),
    "project updated": lambda rows: Project.objects.update(is_published=False),
    "project deleted": lambda rows: Project.objects.all().delete(),
    "picture inserted": lambda rows: make_picture(rows["project"]),
    "picture updated": lambda rows: Picture.objects.update(caption="New"),
    "picture deleted": lambda rows: rows["picture"].delete(),
    "raw category insert": lambda rows: raw(
        "INSERT INTO portfolio_category (name, slug) VALUES (%s, %s)", "Raw", "raw"
    ),
    "raw project update": lambda rows: raw("UPDATE portfolio_project SET title = %s", "Raw"),
    "raw picture update": lambda rows: raw("UPDATE portfolio_picture SET caption = %s", "Raw"),
    "raw picture delete": lambda rows: raw("DELETE FROM portfolio_picture"),
    "owner deleted": lambda rows: rows["project"].owner.delete(),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_to_the_public_content_bumps_the_version(rows, write):
    before = version()

    write(rows)

    assert version() > before


def test_writes_to_other_tables_leave_it(rows):
    before = version()

    make_user()
    rows["project"].owner.save()

    assert version() == before


def test_a_rolled_back_write_leaves_it(rows):
    before = version()

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        Project.objects.update(title="Never seen")
        raise ZeroDivisionError

    assert version() == before


def test_a_statement_bumps_it_once_on_postgresql_and_once_a_row_on_sqlite(rows):
    for _ in range(4):
        make_picture(rows["project"])
    before = version()

    Picture.objects.update(caption="All five")

    # PostgreSQL's triggers are per statement; SQLite has only row triggers.
    assert version() - before == {"postgresql": 1, "sqlite": 5}[connection.vendor]


def test_a_statement_that_writes_nothing_may_bump_it_but_never_breaks(rows):
    before = version()

    Project.objects.filter(pk=-1).update(title="Nobody")

    assert version() >= before


@pytest.mark.django_db(transaction=True)
def test_the_migration_is_reversible_and_survives_a_flush():
    call_command("migrate", "portfolio", "0002", verbosity=0)
    assert "portfolio_content_version" not in connection.introspection.table_names()

    call_command("migrate", "portfolio", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)

    # A plain table: flush empties every model's table, not this one's row.
    before = version()
    make_category("After")
    assert version() > before
