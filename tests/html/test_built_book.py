"""Checks on the built HTML book (run by `tools/dev.py test` after the strict build).

Run them alone with ``pytest tests/html`` after ``python3.11 tools/dev.py book``.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import unquote, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup
from built_site import HTML, RAW_MARKUP, ROOT, toc_entries

sys.path.insert(0, str(ROOT / "tools"))

from book_pages import collect_claims, collect_runtimes  # noqa: E402


@pytest.fixture(scope="session")
def pages() -> dict[str, BeautifulSoup]:
    if not (HTML / "index.html").exists():
        pytest.fail("no built book: run `python3.11 tools/dev.py book` first")
    return {entry: BeautifulSoup((HTML / f"{entry}.html").read_text(encoding="utf-8"), "lxml")
            for entry in toc_entries() if (HTML / f"{entry}.html").exists()}


def test_every_toc_entry_produced_a_page(pages):
    missing = [e for e in toc_entries() if e not in pages]
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


def test_claims_ledger_lists_every_lecture_with_claims(pages):
    rows = pages["book/claims-ledger"].select("table")[0].select("tbody tr")  # summary
    claims = collect_claims(ROOT / "notebooks")
    assert claims and len(rows) == len({c.docname for c in claims})


def test_runtime_report_lists_every_notebook(pages):
    rows = pages["book/runtime-report"].select("table")[0].select("tbody tr")
    assert len(rows) == len(collect_runtimes(ROOT / "notebooks"))


RAW_MATH = re.compile(r"\$[^$\n]*\\[A-Za-z]+")


def _article(soup: BeautifulSoup) -> BeautifulSoup:
    return soup.select_one("article.bd-article") or soup


def test_no_raw_myst_markup_in_rendered_pages(pages):
    """Fences closed early show MyST source (directives, roles, headings) as text."""
    problems = []
    for entry, soup in pages.items():
        for node in _article(soup).find_all(string=RAW_MARKUP):
            problems.append((entry, RAW_MARKUP.search(node).group(0), node.strip()[:60]))
    assert not problems, problems[:10]


def test_no_unrendered_dollar_math_in_prose(pages):
    problems = []
    for entry, soup in pages.items():
        for node in _article(soup).find_all(string=RAW_MATH):
            if node.find_parent(["pre", "code", "script", "style", "svg"]) or \
                    node.find_parent(class_=re.compile(r"^(math|cell_input|cell_output)")):
                continue
            problems.append((entry, node.strip()[:80]))
    assert not problems, problems[:10]


def test_claims_render_as_verdict_boxes_with_anchors(pages):
    claims = collect_claims(ROOT / "notebooks")
    for docname in {c.docname for c in claims}:
        expected = [c.anchor for c in claims if c.docname == docname]
        boxes = pages[docname].select("div.cs329p-claim")
        assert [b["id"] for b in boxes] == expected, docname
    contradicting = [c for c in claims if c.contradicts and c.kind != "check"]
    for c in contradicting:
        box = pages[c.docname].select_one(f"#{c.anchor}")
        assert "cs329p-claim--contradicts" in box["class"], (c.docname, c.anchor)


def test_ledger_links_every_course_claim_to_its_box(pages):
    ledger = pages["book/claims-ledger"]
    hrefs = {a["href"] for a in ledger.select("a[href*='#claim-']")}
    course = [c for c in collect_claims(ROOT / "notebooks") if c.kind != "check"]
    assert {f"../{c.docname}.html#{c.anchor}" for c in course} == hrefs
    sections = ledger.select("section section h2")
    assert len(sections) >= len({c.docname for c in course}), len(sections)


def test_one_search_box_and_no_second_header(pages):
    for entry, soup in pages.items():
        assert not soup.select("#pst-header *"), entry
        assert len(soup.select(".search-button-field")) <= 1, entry


def test_solution_code_cells_sit_inside_their_dropdown(pages):
    for entry, soup in pages.items():
        for cell in soup.select(".cell.tag_solution"):
            assert cell.find_parent(class_="dropdown"), f"{entry}: solution cell outside"


def test_map_of_the_book_links_every_lecture(pages):
    soup = pages[yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]]
    linked = {a["href"].split("#")[0].rsplit("/", 1)[-1].removesuffix(".html")
              for a in soup.select("article table a[href]")}
    lectures = {e.split("/")[-1] for e in pages if e.startswith("notebooks/")}
    assert lectures <= linked, sorted(lectures - linked)


def test_data_sources_link_the_lectures_that_use_them(pages):
    rows = pages["book/data-sources"].select("article table tbody tr")
    assert rows
    for row in rows:
        used_in = row.select("td")[1]
        numbers = re.findall(r"\b(?:\d+|A)\.\d+\b", used_in.get_text())
        assert len(used_in.select("a[href*='notebooks/']")) == len(numbers), used_in.text


def test_bibliography_is_alphabetical_author_year_without_latex(pages):
    soup = pages["book/references"]
    labels = [x.get_text().strip("[]") for x in soup.select(".citation .label")]
    assert len(labels) > 100
    assert all(re.search(r", \d{4}[a-z]?$|, n\.d\.$", label) for label in labels), labels[:5]
    keys = [label.lower() for label in labels]
    assert keys == sorted(keys, key=lambda k: k.replace(" et al.", "").split(",")[0]) or \
        [k[0] for k in keys] == sorted(k[0] for k in keys)
    text = soup.select_one("article").get_text()
    assert not re.search(r"\\[a-z]+|[{}]", text), re.search(r".{30}(\\[a-z]+|[{}]).{30}", text)


def test_repository_buttons_hidden_while_no_repository_url(pages):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if config.get("repository", {}).get("url"):
        pytest.skip("a repository URL is set")
    for entry, soup in pages.items():
        assert not soup.select("a[href*='github.com'], .btn-repository, "
                               "a[href*='colab.research'], a[href*='mybinder']"), entry


def test_provenance_lists_every_lecture_with_date_and_machine(pages):
    tables = pages["book/runtime-report"].select("article table")
    assert len(tables) >= 3
    provenance = tables[1].select("tbody tr")
    assert len(provenance) == len(collect_runtimes(ROOT / "notebooks"))
    assert all(re.match(r"\d{4}-\d{2}-\d{2}", r.select("td")[1].get_text().strip())
               for r in provenance)
