"""The site on a real PostgreSQL server."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

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
