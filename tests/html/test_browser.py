"""The built book in a real headless browser (Debian's chromium, driven by Playwright).

Every page of the table of contents is opened from disk; the tests check that it loads
without JavaScript errors, requests nothing from the network, typesets its math with the
vendored MathJax, and shows its figures. ``tools/dev.py test`` installs chromium with
apt-get when it can; run alone with ``pytest tests/html`` after building the book.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _toc_entries() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def rendered(browser):
    """Open every page; record requests, JS errors, math and image state."""
    results = {}
    for entry in _toc_entries():
        page = browser.new_page()
        requests, errors = [], []
        page.on("request", lambda r, acc=requests: acc.append(r.url))
        page.on("pageerror", lambda e, acc=errors: acc.append(str(e)))
        page.goto((HTML / f"{entry}.html").as_uri(), wait_until="load")
        has_math = page.evaluate("document.querySelectorAll('.math').length") > 0
        if has_math:
            page.wait_for_function("window.MathJax && MathJax.startup && "
                                   "MathJax.startup.promise", timeout=15000)
            page.evaluate("MathJax.startup.promise")
        results[entry] = {
            "requests": requests,
            "errors": errors,
            "math": page.evaluate("document.querySelectorAll('.math').length"),
            "typeset": page.evaluate("document.querySelectorAll('mjx-container').length"),
            "math_errors": page.evaluate("document.querySelectorAll('mjx-merror').length"),
            "images": page.evaluate(
                "Array.from(document.images).map("
                "i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])"),
        }
        page.close()
    return results


def test_pages_load_without_javascript_errors(rendered):
    for entry, r in rendered.items():
        assert not r["errors"], (entry, r["errors"])


def test_pages_request_nothing_from_the_network(rendered):
    for entry, r in rendered.items():
        remote = [u for u in r["requests"] if not u.startswith(("file:", "data:", "blob:"))]
        assert not remote, (entry, remote)


def test_math_is_typeset_offline_without_errors(rendered):
    pages_with_math = {e: r for e, r in rendered.items() if r["math"]}
    assert pages_with_math, "no page has math"
    for entry, r in pages_with_math.items():
        assert r["typeset"] >= r["math"], (entry, r["typeset"], r["math"])
        assert r["math_errors"] == 0, entry


def test_every_image_loads(rendered):
    for entry, r in rendered.items():
        broken = [src for src, ok in r["images"] if not ok]
        assert not broken, (entry, broken)


def test_lecture_pages_show_figures(rendered):
    for entry, r in rendered.items():
        if entry.startswith("notebooks/"):
            assert any(ok for _, ok in r["images"]), f"{entry} shows no figure"
