"""
What the tests on the real servers share: markers, a plain S3 client, and app servers.

`make test` runs them on the throwaway servers .ci/services starts, and leaves them out
of the SQLite run by marker (`-m "not services"`). Run without the servers, they fail.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import boto3
import pytest
import requests
from django.db import connection

from site_config.environment import BASE_DIR

needs_postgres = pytest.mark.services("postgres")
needs_bucket = pytest.mark.services("bucket")


def s3_client():
    """A client of our own, built from the environment, to look at the bucket from outside."""
    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_S3_REGION_NAME") or None,
    )


def bucket_keys(prefix: str) -> set[str]:
    """Every key in the bucket under prefix, listed by the S3 API itself."""
    pages = (
        s3_client()
        .get_paginator("list_objects_v2")
        .paginate(Bucket=os.environ["AWS_STORAGE_BUCKET_NAME"], Prefix=prefix)
    )
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def shared_database_url() -> str:
    """DATABASE_URL of the test database pytest-django made, for other processes."""
    database = connection.settings_dict
    user = quote(database["USER"], safe="")
    password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
    return f"postgres://{user}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_environment(**variables: str) -> dict[str, str]:
    """This process's environment as a production process gets it, pointed at the test database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=shared_database_url(),
        DJANGO_SECRET_KEY="a-secret-key-shared-by-every-app-server-of-this-test-only",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # The tests talk plain http on loopback; TLS is the proxy's job in production.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(variables)
    return env


def manage(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def app_server(
    env: dict[str, str], log_path, *, workers: int = 2, threads: int = 1
) -> Iterator[str]:
    """Run gunicorn as production does, on a free loopback port; yield its base URL."""
    port = free_port()
    command = ["-m", "gunicorn", "site_config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads)]
    with running(command, env, log_path) as process:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url, process, log_path)
        yield base_url


@contextmanager
def worker(env: dict[str, str], log_path) -> Iterator[subprocess.Popen]:
    """Run the tasks worker as production does, polling the queue until stopped."""
    with running(["manage.py", "db_worker", "--interval", "0.2"], env, log_path) as process:
        yield process


@contextmanager
def running(arguments: list[str], env: dict[str, str], log_path) -> Iterator[subprocess.Popen]:
    """A Python process of the site's, stopped as a process manager stops it (SIGTERM)."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, *arguments], cwd=BASE_DIR, env=env, stdout=log, stderr=log
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(base_url: str, process: subprocess.Popen, log_path) -> None:
    """Poll /healthz until it answers, within a minute; fail with gunicorn's log otherwise."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # Not listening yet, or busy starting its workers.
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer on {base_url}:\n{log_path.read_text()}")
