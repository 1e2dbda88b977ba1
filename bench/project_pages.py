"""
Figure 3's project pages alone: one public project of 10 and one of 20,000 pictures (rows
made as figure 3 makes them, no files), on SQLite and on a throwaway PostgreSQL, the first
response of its public, share and edit pages and of its owner's studio: a few minutes, where
the whole figure takes an hour.

    bench/.venv/bin/python bench/project_pages.py

Prints each page's median time, queries and bytes at both sizes, and the ratios (the issue's
bound: 1.5).
"""

import tempfile
from pathlib import Path

import run


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory(prefix="project-pages-") as folder:
        work = Path(folder)
        template = work / "template.sqlite3"
        run.site("migrate", env=run.site_env(work, template, "unused"))
        run.step("SQLite")
        results["SQLite"] = run.big_project_pages(
            work, lambda name: run.fresh_db(work, template, name)
        )
        run.step("Starting a throwaway PostgreSQL (.ci/services)")
        with run.postgresql(work) as server:
            run.site(
                "migrate",
                env=run.site_env(work, run.pg_database(server, "bench_template"), "unused"),
            )
            run.step("PostgreSQL")
            results["PostgreSQL"] = run.big_project_pages(
                work,
                lambda name: run.pg_database(server, f"bench_{name}", template="bench_template"),
            )
    print_table(results)


def print_table(results: dict) -> None:
    small, big = run.BIG_PROJECT
    print(f"| page | backend | {small:,} pictures | {big:,} pictures | time, queries, bytes |")
    print("| --- | --- | --- | --- | --- |")
    for backend, sizes in results.items():
        for name, first in sizes[small]["pages"].items():
            last = sizes[big]["pages"][name]
            cells = [
                f"{row['median_ms']:.1f} ms, {row['queries']} queries, {row['bytes']:,} B"
                for row in (first, last)
            ]
            ratios = (
                last["median_ms"] / first["median_ms"],
                last["queries"] / first["queries"],
                last["bytes"] / first["bytes"],
            )
            print(
                f"| {name} | {backend} | {cells[0]} | {cells[1]} | "
                + ", ".join(f"{ratio:.2f}×" for ratio in ratios)
                + " |"
            )


if __name__ == "__main__":
    main()
