"""
Some of bench figure 3's lists, at 1,000 and 100,000 projects of ten pictures on a throwaway
PostgreSQL, the rows made as the figure makes them: a few minutes, where the whole figure
takes an hour. The admin's project and picture lists with and without a search, or the
sitemap's index and sections (their first and last files).

    bench/.venv/bin/python bench/lists.py admin              both sizes
    bench/.venv/bin/python bench/lists.py sitemap 100000     only that many projects
    bench/.venv/bin/python bench/lists.py admin --plans      and the plans of their queries

Prints each list's median time and queries, and the ratio of the larger size to the smaller.
"""

import sys
import tempfile
from pathlib import Path

import run


def main() -> None:
    arguments = sys.argv[1:]
    show_plans = "--plans" in arguments
    kind = "sitemap" if "sitemap" in arguments else "admin"
    sizes = [int(size) for size in arguments if size.isdigit()] or list(run.LIST_PROJECTS)
    with tempfile.TemporaryDirectory(prefix=f"{kind}-lists-") as folder:
        work = Path(folder)
        run.step("Starting a throwaway PostgreSQL (.ci/services)")
        with run.postgresql(work) as server:
            template = run.pg_database(server, "bench_template")
            run.site("migrate", env=run.site_env(work, template, "unused"))
            # The admin's pages link hashed static names, from the manifest this writes.
            run.site("collectstatic", "--no-input", env=run.site_env(work, template, "unused"))
            results = {}
            for projects in sizes:
                run.step(f"{projects:,} projects of ten pictures")
                database = run.pg_database(server, f"bench_{kind}_{projects}", "bench_template")
                env = run.site_env(work, database, work / "media")
                results[projects] = run.worker("some_lists", str(projects), kind, env=env)
                print(f"   rows made in {results[projects]['made_seconds']:.0f} s")
    print_table(results, show_plans)


def print_table(results: dict, show_plans: bool) -> None:
    sizes = sorted(results)
    print("| page | " + " | ".join(f"{size:,} projects" for size in sizes) + " | ratio |")
    print("| --- |" + " --- |" * (len(sizes) + 1))
    for name, first in results[sizes[0]]["pages"].items():
        rows = [results[size]["pages"][name] for size in sizes]
        cells = [
            f"{row['median_ms']:.1f} ms, {row['queries']} queries, {row.get('rows', '?')} rows"
            for row in rows
        ]
        ratio = rows[-1]["median_ms"] / first["median_ms"]
        print(f"| {name} (`{first['url']}`) | " + " | ".join(cells) + f" | {ratio:.2f} |")
    if not show_plans:
        return
    for size in sizes:
        for name, row in results[size]["pages"].items():
            for query in row.get("plans", []):
                print(f"\n{size:,} projects, {name}:\n{query['sql']}")
                print("\n".join(f"  {line}" for line in query["plan"]))


if __name__ == "__main__":
    main()
