"""Browser-test helpers: axe-core (bundled with axe-playwright-python, run from our own files)
on every page a test visits, and screenshots at a desktop and a phone width as artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
BLOCKING = {"serious", "critical"}


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n.get("target")) for n in v.get("nodes", [])[:5])
        for v in results.response.get("violations", []) if v.get("impact") in BLOCKING
    ]


def check_page(page: Any, name: str, *, shots: bool = True) -> None:
    """Assert the page has no serious or critical violation, one h1, and save screenshots."""
    violations = axe_violations(page)
    assert not violations, f"{name}: " + "\n".join(violations)
    assert page.locator("h1").count() == 1, f"{name}: expected exactly one h1"
    if not shots:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)


def block_outside(page: Any, base_url: str) -> list[str]:
    """Refuse every request that leaves the live server; returns the list of refused URLs."""
    refused: list[str] = []

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(base_url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", route)
    return refused
