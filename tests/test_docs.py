"""The README and docs/ lead somewhere: every relative link, anchor and repository path."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A backticked path is taken for one of ours when it starts with one of these folders.
REPOSITORY_FOLDERS = {".ci", "bench", "docs", "media", "portfolio", "site_config", "static"}
REPOSITORY_FOLDERS |= {"templates", "tests"}

FENCED_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)
PATH = re.compile(r"[\w.-]+(/[\w.-]+)*/?")


def test_there_are_pages_to_check():
    assert len(PAGES) > 1


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_resolves(page):
    assert not broken_links(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_repository_path_in_code_exists(page):
    assert not missing_paths(page)


def test_a_broken_link_or_path_is_reported(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "target.md").write_text("# A heading, with `code`\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "[fine](target.md#a-heading-with-code) [no file](missing.md) "
        "[no heading](target.md#nowhere) [no anchor here](#nowhere) "
        "`portfolio/nowhere.py` `projects/12/not-ours.jpg`\n"
    )

    assert broken_links(page, root=tmp_path) == [
        "missing.md",
        "target.md#nowhere",
        "#nowhere",
    ]
    assert missing_paths(page, root=tmp_path) == ["portfolio/nowhere.py"]


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """The page's relative links whose file or heading does not exist."""
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not leads_somewhere(linked, anchor, root):
            broken.append(target)
    return broken


def missing_paths(page: Path, root: Path = ROOT) -> list[str]:
    """Backticked paths that name a file or folder of the repository that is not there."""
    missing = []
    for code in CODE_SPAN.findall(without_fences(page.read_text())):
        parts = code.rstrip("/").split("/")
        if not PATH.fullmatch(code) or len(parts) < 2 or parts[0] not in REPOSITORY_FOLDERS:
            continue
        if any(part.startswith(".") for part in parts[1:]):  # bench/.venv: made, not kept
            continue
        if not (root / code).exists():
            missing.append(code)
    return missing


def leads_somewhere(linked: Path, anchor: str, root: Path) -> bool:
    if not linked.exists() or not linked.is_relative_to(root):
        return False
    return not anchor or (linked.suffix == ".md" and anchor in anchors(linked))


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings."""
    seen: dict[str, int] = {}
    result = set()
    for heading in HEADING.findall(without_fences(page.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(f"{slug}-{count}" if count else slug)
    return result


def prose(page: Path) -> str:
    return CODE_SPAN.sub("", without_fences(page.read_text()))


def without_fences(text: str) -> str:
    return FENCED_BLOCK.sub("", text)
