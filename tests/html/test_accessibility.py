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

import pytest
from built_site import CHROMIUM, HTML, toc_entries

SERIOUS = ("serious", "critical")
CONTRAST_SAMPLE = (
    "notebooks/02-4-feature-engineering",
    "notebooks/03-5-multilayer-perceptrons",
    "notebooks/04-3-model-validation",
    "notebooks/10-1-deep-network-architectures",
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


@pytest.mark.parametrize("entry", toc_entries())
def test_page_has_no_serious_or_critical_accessibility_violation(browser, entry):
    from axe_playwright_python.sync_playwright import Axe

    contrast = not entry.startswith("notebooks/") or entry in CONTRAST_SAMPLE
    options = {"resultTypes": ["violations"]}
    if not contrast:
        options["rules"] = {"color-contrast": {"enabled": False}}
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((HTML / f"{entry}.html").as_uri(), wait_until="load")
    violations = Axe().run(page, options=options).response["violations"]
    page.close()
    bad = [(v["id"], v["help"], len(v["nodes"])) for v in violations
           if v["impact"] in SERIOUS]
    assert not bad, f"{entry}: {bad}"
