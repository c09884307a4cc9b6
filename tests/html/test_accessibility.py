"""Accessibility of the built book: axe-core in headless Chromium, offline.

axe-core is bundled with axe-playwright-python, so nothing is fetched. Every page is
checked against every axe rule except colour contrast, which reads the computed colours
of every text node and costs about three quarters of the time; the colours come from the
theme, the book's stylesheet and the highlighting style, which every lecture page shares,
so contrast is checked on every page that is not a lecture and on the lectures in
``CONTRAST_SAMPLE`` (one per kind of content: dense code and tables, a verdict that
contradicts the notes, math and claim boxes, the longest output tables).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SERIOUS = ("serious", "critical")
CONTRAST_SAMPLE = (
    "notebooks/02-4-feature-engineering",
    "notebooks/03-5-multilayer-perceptrons",
    "notebooks/04-3-model-validation",
    "notebooks/10-1-deep-network-architectures",
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _toc_entries() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


@pytest.fixture(scope="module")
def page_factory():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        yield lambda: browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


@pytest.mark.parametrize("entry", _toc_entries())
def test_page_has_no_serious_or_critical_accessibility_violation(page_factory, entry):
    from axe_playwright_python.sync_playwright import Axe

    contrast = not entry.startswith("notebooks/") or entry in CONTRAST_SAMPLE
    options = {"resultTypes": ["violations"]}
    if not contrast:
        options["rules"] = {"color-contrast": {"enabled": False}}
    page = page_factory()
    page.goto((HTML / f"{entry}.html").as_uri(), wait_until="load")
    violations = Axe().run(page, options=options).response["violations"]
    page.close()
    bad = [(v["id"], v["help"], len(v["nodes"])) for v in violations
           if v["impact"] in SERIOUS]
    assert not bad, f"{entry}: {bad}"
