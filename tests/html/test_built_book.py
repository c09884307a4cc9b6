"""Checks on the built HTML book (run by `tools/dev.py test` after the strict build).

Run them alone with ``pytest tests/html`` after ``python3.11 tools/dev.py book``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))

from book_pages import collect_claims, collect_runtimes  # noqa: E402


def _toc_entries() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


@pytest.fixture(scope="module")
def pages() -> dict[str, BeautifulSoup]:
    if not (HTML / "index.html").exists():
        pytest.fail("no built book: run `python3.11 tools/dev.py book` first")
    return {entry: BeautifulSoup((HTML / f"{entry}.html").read_text(encoding="utf-8"), "lxml")
            for entry in _toc_entries() if (HTML / f"{entry}.html").exists()}


def test_every_toc_entry_produced_a_page(pages):
    missing = [e for e in _toc_entries() if e not in pages]
    assert not missing, missing


def test_no_page_shows_an_error_traceback(pages):
    for entry, soup in pages.items():
        assert not soup.select(".output.traceback, .output.error"), entry
        assert "Traceback (most recent call last)" not in soup.get_text(), entry


def _local_targets(soup: BeautifulSoup, tag: str, attr: str) -> list[str]:
    targets = []
    for node in soup.find_all(tag):
        value = node.get(attr)
        if value and not value.startswith("data:"):
            targets.append(value)
    return targets


def test_every_referenced_image_exists(pages):
    for entry, soup in pages.items():
        page = HTML / f"{entry}.html"
        for src in _local_targets(soup, "img", "src"):
            assert not urlparse(src).scheme, f"{entry}: remote image {src}"
            path = (page.parent / unquote(urlparse(src).path)).resolve()
            assert path.exists(), f"{entry}: missing image {src}"


def test_lecture_pages_show_their_figures(pages):
    lectures = [e for e in pages if e.startswith("notebooks/")]
    assert lectures
    for entry in lectures:
        assert pages[entry].select(".cell_output img"), f"{entry} shows no figure"


def test_no_page_loads_scripts_or_styles_from_the_network(pages):
    for entry, soup in pages.items():
        remote = [u for u in _local_targets(soup, "script", "src") +
                  _local_targets(soup, "link", "href")
                  if urlparse(u).scheme in {"http", "https"} or u.startswith("//")]
        assert not remote, f"{entry}: {remote}"


def test_math_is_typeset_by_the_vendored_mathjax(pages):
    soup = pages["notebooks/03-4-stochastic-gradient-descent"]
    scripts = [s for s in _local_targets(soup, "script", "src") if "mathjax" in s.lower()]
    assert scripts and all(not urlparse(s).scheme for s in scripts), scripts
    assert (HTML / "_static" / "mathjax" / "tex-svg-full.js").stat().st_size > 1_000_000


def test_claims_ledger_lists_every_claim_of_the_notebooks(pages):
    rows = pages["book/claims-ledger"].select("table tbody tr")
    claims = collect_claims(ROOT / "notebooks")
    assert claims and len(rows) == len(claims)


def test_runtime_report_lists_every_notebook(pages):
    rows = pages["book/runtime-report"].select("table tbody tr")
    assert len(rows) == len(collect_runtimes(ROOT / "notebooks"))
