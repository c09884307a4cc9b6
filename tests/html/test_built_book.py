"""Checks on the built HTML book (run by `tools/dev.py test` after the strict build).

Run them alone with ``pytest tests/html`` after ``python3.11 tools/dev.py book``.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import unquote, urlparse

import pytest
import yaml
from built_site import HTML, RAW_MARKUP, ROOT, page_tree, toc_entries
from lxml.html import HtmlElement

sys.path.insert(0, str(ROOT / "tools"))

from book_pages import collect_claims, collect_runtimes  # noqa: E402


@pytest.fixture(scope="session")
def pages() -> dict[str, HtmlElement]:
    """Every built page of the table of contents, parsed with lxml and queried with XPath
    (BeautifulSoup and its CSS selectors took 45 s of CPU for these checks; lxml takes
    about a second)."""
    if not (HTML / "index.html").exists():
        pytest.fail("no built book: run `python3.11 tools/dev.py book` first")
    return {entry: page_tree(entry)
            for entry in toc_entries() if (HTML / f"{entry}.html").exists()}


def cls(name: str) -> str:
    """XPath test: the element has the CSS class ``name`` (CSS's ``.name``)."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def text(element: HtmlElement) -> str:
    """The element's text without the code of scripts and styles (what BeautifulSoup's
    ``get_text`` gives and a reader sees)."""
    return "".join(element.xpath(".//text()[not(ancestor::script or ancestor::style)]"))


def text_nodes(root: HtmlElement) -> list[tuple[str, HtmlElement]]:
    """Every text node under ``root`` with the element that contains it (lxml returns a
    tail text with the element it follows, not the one it sits in)."""
    return [(str(t), t.getparent().getparent() if t.is_tail else t.getparent())
            for t in root.xpath(".//text()")]


def test_every_toc_entry_produced_a_page(pages):
    missing = [e for e in toc_entries() if e not in pages]
    assert not missing, missing


def test_no_page_shows_an_error_traceback(pages):
    for entry, tree in pages.items():
        assert not tree.xpath(f"//*[{cls('output')} and ({cls('traceback')} or "
                              f"{cls('error')})]"), entry
        assert "Traceback (most recent call last)" not in text(tree), entry


def _local_targets(tree: HtmlElement, tag: str, attr: str) -> list[str]:
    return [str(value) for value in tree.xpath(f"//{tag}/@{attr}")
            if value and not value.startswith("data:")]


def test_every_referenced_image_exists(pages):
    for entry, tree in pages.items():
        page = HTML / f"{entry}.html"
        for src in _local_targets(tree, "img", "src"):
            assert not urlparse(src).scheme, f"{entry}: remote image {src}"
            path = (page.parent / unquote(urlparse(src).path)).resolve()
            assert path.exists(), f"{entry}: missing image {src}"


def test_lecture_pages_show_their_figures(pages):
    lectures = [e for e in pages if e.startswith("notebooks/")]
    assert lectures
    for entry in lectures:
        assert pages[entry].xpath(f"//*[{cls('cell_output')}]//img"), \
            f"{entry} shows no figure"


def test_no_page_loads_scripts_or_styles_from_the_network(pages):
    for entry, tree in pages.items():
        remote = [u for u in _local_targets(tree, "script", "src") +
                  _local_targets(tree, "link", "href")
                  if urlparse(u).scheme in {"http", "https"} or u.startswith("//")]
        assert not remote, f"{entry}: {remote}"


def test_math_is_typeset_by_the_vendored_mathjax(pages):
    tree = pages["notebooks/03-4-stochastic-gradient-descent"]
    scripts = [s for s in _local_targets(tree, "script", "src") if "mathjax" in s.lower()]
    assert scripts and all(not urlparse(s).scheme for s in scripts), scripts
    assert (HTML / "_static" / "mathjax" / "tex-svg-full.js").stat().st_size > 1_000_000


def test_claims_ledger_lists_every_lecture_with_claims(pages):
    rows = pages["book/claims-ledger"].xpath("//table")[0].xpath(".//tbody//tr")  # summary
    claims = collect_claims(ROOT / "notebooks")
    assert claims and len(rows) == len({c.docname for c in claims})


def test_runtime_report_lists_every_notebook(pages):
    rows = pages["book/runtime-report"].xpath("//table")[0].xpath(".//tbody//tr")
    assert len(rows) == len(collect_runtimes(ROOT / "notebooks"))


RAW_MATH = re.compile(r"\$[^$\n]*\\[A-Za-z]+")


def _article(tree: HtmlElement) -> HtmlElement:
    return next(iter(tree.xpath(f"//article[{cls('bd-article')}]")), tree)


def test_no_raw_myst_markup_in_rendered_pages(pages):
    """Fences closed early show MyST source (directives, roles, headings) as text."""
    problems = []
    for entry, tree in pages.items():
        for text, _ in text_nodes(_article(tree)):
            if found := RAW_MARKUP.search(text):
                problems.append((entry, found.group(0), text.strip()[:60]))
    assert not problems, problems[:10]


NOT_PROSE = re.compile(r"^(math|cell_input|cell_output)")


def _in_code_or_math(element: HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in {"pre", "code", "script", "style", "svg"} or \
                any(NOT_PROSE.match(c) for c in (node.get("class") or "").split()):
            return True
    return False


def test_no_unrendered_dollar_math_in_prose(pages):
    problems = []
    for entry, tree in pages.items():
        for text, container in text_nodes(_article(tree)):
            if RAW_MATH.search(text) and not _in_code_or_math(container):
                problems.append((entry, text.strip()[:80]))
    assert not problems, problems[:10]


def test_claims_render_as_verdict_boxes_with_anchors(pages):
    claims = collect_claims(ROOT / "notebooks")
    for docname in {c.docname for c in claims}:
        expected = [c.anchor for c in claims if c.docname == docname]
        boxes = pages[docname].xpath(f"//div[{cls('cs329p-claim')}]")
        assert [b.get("id") for b in boxes] == expected, docname
    contradicting = [c for c in claims if c.contradicts and c.kind != "check"]
    for c in contradicting:
        box = pages[c.docname].get_element_by_id(c.anchor)
        assert "cs329p-claim--contradicts" in box.get("class").split(), (c.docname, c.anchor)


def test_ledger_links_every_course_claim_to_its_box(pages):
    ledger = pages["book/claims-ledger"]
    hrefs = {str(h) for h in ledger.xpath("//a/@href[contains(., '#claim-')]")}
    course = [c for c in collect_claims(ROOT / "notebooks") if c.kind != "check"]
    assert {f"../{c.docname}.html#{c.anchor}" for c in course} == hrefs
    sections = ledger.xpath("//section//section//h2")
    assert len(sections) >= len({c.docname for c in course}), len(sections)


def test_one_search_box_and_no_second_header(pages):
    for entry, tree in pages.items():
        assert not tree.xpath("//*[@id='pst-header']//*"), entry
        assert len(tree.xpath(f"//*[{cls('search-button-field')}]")) <= 1, entry


def test_solution_code_cells_sit_inside_their_dropdown(pages):
    for entry, tree in pages.items():
        for cell in tree.xpath(f"//*[{cls('cell')} and {cls('tag_solution')}]"):
            assert cell.xpath(f"ancestor::*[{cls('dropdown')}]"), \
                f"{entry}: solution cell outside"


def test_map_of_the_book_links_every_lecture(pages):
    tree = pages[yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]]
    linked = {href.split("#")[0].rsplit("/", 1)[-1].removesuffix(".html")
              for href in tree.xpath("//article//table//a/@href")}
    lectures = {e.split("/")[-1] for e in pages if e.startswith("notebooks/")}
    assert lectures <= linked, sorted(lectures - linked)


def test_data_sources_link_the_lectures_that_use_them(pages):
    rows = pages["book/data-sources"].xpath("//article//table//tbody//tr")
    assert rows
    for row in rows:
        used_in = row.xpath(".//td")[1]
        numbers = re.findall(r"\b(?:\d+|A)\.\d+\b", text(used_in))
        links = used_in.xpath(".//a[contains(@href, 'notebooks/')]")
        assert len(links) == len(numbers), text(used_in)


def test_bibliography_is_alphabetical_author_year_without_latex(pages):
    tree = pages["book/references"]
    labels = [text(x).strip("[]")
              for x in tree.xpath(f"//*[{cls('citation')}]//*[{cls('label')}]")]
    assert len(labels) > 100
    assert all(re.search(r", \d{4}[a-z]?$|, n\.d\.$", label) for label in labels), labels[:5]
    keys = [label.lower() for label in labels]
    assert keys == sorted(keys, key=lambda k: k.replace(" et al.", "").split(",")[0]) or \
        [k[0] for k in keys] == sorted(k[0] for k in keys)
    latex = re.search(r".{0,30}(\\[a-z]+|[{}]).{0,30}", text(tree.xpath("//article")[0]))
    assert not latex, latex.group(0)


def test_repository_buttons_hidden_while_no_repository_url(pages):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if config.get("repository", {}).get("url"):
        pytest.skip("a repository URL is set")
    remote = " or ".join(f"contains(@href, '{host}')"
                         for host in ("github.com", "colab.research", "mybinder"))
    for entry, tree in pages.items():
        assert not tree.xpath(f"//a[{remote}] | //*[{cls('btn-repository')}]"), entry


def test_provenance_lists_every_lecture_with_date_and_machine(pages):
    tables = pages["book/runtime-report"].xpath("//article//table")
    assert len(tables) >= 3
    provenance = tables[1].xpath(".//tbody//tr")
    assert len(provenance) == len(collect_runtimes(ROOT / "notebooks"))
    assert all(re.match(r"\d{4}-\d{2}-\d{2}", text(r.xpath(".//td")[1]).strip())
               for r in provenance)
