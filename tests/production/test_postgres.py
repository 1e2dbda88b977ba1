"""The site on a real PostgreSQL server."""

import json
from functools import partial

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from portfolio.discovery.sitemaps import PictureSitemap, ProjectSitemap
from portfolio.models import Project
from tests.helpers import make_project, make_stored_pictures
from tests.production.services import needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db]


def test_every_migration_is_applied_on_postgresql():
    executor = MigrationExecutor(connection)

    assert connection.vendor == "postgresql"
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    tables = set(connection.introspection.table_names())
    assert {"portfolio_project", "portfolio_picture", "django_tasks_database_dbtaskresult"} <= (
        tables
    )


def test_connections_are_kept_between_requests_and_checked():
    assert connection.settings_dict["CONN_MAX_AGE"] == 60
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_list_of_projects_reads_as_many_pictures_whatever_they_hold():
    """
    with_cover() looks each project's first picture up on picture_order_idx: the rows its
    query reads do not grow with the pictures (a correlated filter on the pictures read all
    20,000 of a wedding: 137 ms). Index plans forced: on rows this few the planner would
    rightly read the table.
    """
    projects = [make_project(title=title) for title in ("Wedding", "Portraits")]
    for project in projects:
        make_stored_pictures(project, 63)

    # A few index lookups a project (the planner may look one up more than once), not 63.
    # (Compared with the rows read at 3 pictures a project, the plan the planner chose for
    # 6 rows after other tests read 14 once: a plan of a table that small says nothing.)
    assert pictures_read_by_with_cover() <= 4 * len(projects)


def test_a_sitemap_file_of_pictures_reads_its_own_whatever_comes_before_it(settings):
    """
    PicturePages reads a file's pictures from the public projects its places fall in, found
    by the projects' kept counts, not by an OFFSET over every picture before it (a million of
    them: 3.6 s).
    """
    settings.PORTFOLIO_SITEMAP_URLS = 3
    projects = []
    for number in range(4):
        projects.append(make_project(title=f"Shoot {number}"))
        make_stored_pictures(projects[-1], 5)
        # Between the listed ones, pictures a file never reads.
        make_stored_pictures(make_project(title=f"Draft {number}", visibility="private"), 20)
    pages = PictureSitemap().paginator

    files = [pages.page(number) for number in range(1, pages.num_pages + 1)]

    assert [picture.pk for page in files for picture in page.object_list] == [
        picture.pk for project in projects for picture in project.pictures.in_display_order()
    ]
    numbers = range(1, pages.num_pages + 1)
    read = [pictures_read(partial(pages.page, number)) for number in numbers]
    # The pictures of the projects its 3 fall in (2 of 5 at most), whether 0 or 18 public
    # pictures come before it, and none of the private projects' 20 between them.
    assert max(read) <= 2 * 5


def test_a_sitemap_file_of_projects_reads_its_own_whatever_comes_before_it(settings):
    """
    ProjectPages reads a file's rows from its first project on: no OFFSET over the project
    rows before it (89,000 of them: 52 ms). The first project is found by a subquery over
    project_public_totals_idx's entries, read from the index alone once the table is
    vacuumed (bench figure 3's plans; a test's transaction cannot vacuum), not counted here.
    """
    settings.PORTFOLIO_SITEMAP_URLS = 3
    public = []
    for number in range(12):
        public.append(make_project(title=f"Shoot {number}"))
        make_project(title=f"Draft {number}", visibility="private")  # Between them.
    pages = ProjectSitemap().paginator

    files = [pages.page(number) for number in range(1, pages.num_pages + 1)]

    assert [project.pk for page in files for project in page.object_list] == [
        project.pk for project in public
    ]
    read = [
        rows_read(partial(pages.page, number), 1, "portfolio_project", subqueries=False)
        for number in range(1, pages.num_pages + 1)
    ]
    # Its own 3 rows, whether 0 or 9 public projects come before it (by OFFSET: 3, 6, 12, 12).
    assert read == [3, 3, 3, 3]


def pictures_read_by_with_cover() -> int:
    """The picture rows the query of with_cover()'s first pictures reads, as EXPLAIN counts."""
    return pictures_read(lambda: list(Project.objects.with_cover()), queries_read=1)


def pictures_read(run, queries_read: int | None = None) -> int:
    """
    The picture rows the queries `run` makes read (its last `queries_read`, or all), as
    EXPLAIN ANALYZE counts them, index plans forced.
    """
    return rows_read(run, queries_read, "portfolio_picture")


def rows_read(run, queries_read: int | None, table: str, subqueries: bool = True) -> int:
    """The rows of `table` `run`'s queries read (and those their subqueries read, or not)."""
    with CaptureQueriesContext(connection) as queries:
        run()
    captured = queries.captured_queries[-(queries_read or len(queries.captured_queries)) :]
    return sum(table_rows_read(query["sql"], table, subqueries) for query in captured)


def table_rows_read(sql: str, table: str, subqueries: bool) -> int:
    with connection.cursor() as cursor:
        # Statistics of these rows, not of what earlier tests left (the planner took a table
        # of a few rows for empty and read every picture of a project to sort them).
        cursor.execute("ANALYZE portfolio_picture, portfolio_project")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
        cursor.execute("RESET enable_seqscan")
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def rows(node: dict) -> int:
        if not subqueries and node.get("Parent Relationship") in {"InitPlan", "SubPlan"}:
            return 0
        read = node["Actual Rows"] * node["Actual Loops"]
        own = read if node.get("Relation Name") == table else 0
        return own + sum(rows(child) for child in node.get("Plans", []))

    return rows(plan[0]["Plan"])
