"""Accessibility checks with axe-core, vendored from npm (see AXE_SOURCE's header)."""

from pathlib import Path

from playwright.sync_api import Page

AXE_VERSION = "4.14.1"
AXE_SOURCE = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def assert_accessible(page: Page, selector: str | None = None) -> None:
    """Fail on any serious or critical axe-core violation in the page (or one part of it)."""
    violations = axe_violations(page, selector)
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core found on {page.url}:\n" + describe(blocking)


def axe_violations(page: Page, selector: str | None = None) -> list[dict]:
    # Evaluated through the DevTools protocol, not as a <script>: a strict
    # Content-Security-Policy on the page does not stop it, and none is loosened for it.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text())
    results = page.evaluate(
        "selector => axe.run(selector ? document.querySelector(selector) : document)",
        selector,
    )
    return results["violations"]


def describe(violations: list[dict]) -> str:
    """Each violation with its rule, what it means, and the elements at fault."""
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:160]}")
            if node.get("failureSummary"):
                summary = node["failureSummary"].replace("\n", "\n      ")
                lines.append(f"      {summary}")
    return "\n".join(lines)
