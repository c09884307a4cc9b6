"""tools/pdf.py: the loopback server the pages are printed from, the links it leaves, and
the fitting of wide boxes to the paper."""

from __future__ import annotations

import io
import urllib.request

import pdf
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link


def _printed_page(*urls: str) -> bytes:
    """A one-page PDF with a link to each of ``urls``, as Chromium prints one."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    for i, url in enumerate(urls):
        writer.add_annotation(0, Link(rect=(10, 10 + 20 * i, 90, 25 + 20 * i), url=url))
    data = io.BytesIO()
    writer.write(data)
    return data.getvalue()


def _joined_links(tmp_path, *urls: str) -> list[str]:
    target = tmp_path / "book.pdf"
    pdf.join_pages([("page", _printed_page(*urls))], target)
    return [a.get_object()["/A"]["/URI"] for a in PdfReader(target).pages[0]["/Annots"]]


def test_links_to_the_loopback_server_become_relative_to_the_site(tmp_path):
    links = _joined_links(tmp_path, "http://127.0.0.1:43117/notebooks/05-3-boosting.html#x",
                          "http://127.0.0.1:43117/_images/a.png")
    assert links == ["notebooks/05-3-boosting.html#x", "_images/a.png"]


def test_links_out_of_the_site_are_kept(tmp_path):
    links = _joined_links(tmp_path, "https://scikit-learn.org/stable/",
                          "http://example.org/a")
    assert links == ["https://scikit-learn.org/stable/", "http://example.org/a"]


def test_serve_gives_the_built_files_on_loopback(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "page.html").write_text("<p>hello</p>")
    with pdf.serve(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        body = urllib.request.urlopen(f"{base}book/page.html", timeout=5).read()
    assert body == b"<p>hello</p>"


WIDE_PAGE = """<html><body><main>
<div class="table-box" style="overflow-x: auto"><table><tr>
  <td style="white-space: nowrap">{cells}</td></tr></table></div>
<div class="formula-box" style="overflow-x: auto">
  <svg viewBox="0 0 3000 100" width="3000" height="100"><rect width="3000" height="100"/>
  </svg></div>
<pre class="bare" style="overflow-x: auto; white-space: pre">{line}</pre>
</main></body></html>"""


@pytest.fixture(scope="module")
def browser():
    if pdf.chromium() is None:
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=pdf.chromium(), args=pdf.CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def print_layout(browser):
    """A fresh tab with the wide page, laid out as the PDF's pages are (print style, the
    paper's width)."""
    page = browser.new_page(viewport={"width": pdf.PRINT_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    page.set_content(WIDE_PAGE.format(cells="wide cell " * 200, line="x" * 2000))
    yield page
    page.close()


def _overflow(page, selector: str) -> int:
    return page.evaluate("s => { const e = document.querySelector(s);"
                         " return e.scrollWidth - e.clientWidth; }", selector)


def test_fit_to_paper_shrinks_wide_tables_and_formulas_to_the_column(print_layout):
    assert _overflow(print_layout, ".table-box") > 1000
    assert _overflow(print_layout, ".formula-box") > 1000
    print_layout.evaluate(pdf.FIT_TO_PAPER)
    assert _overflow(print_layout, ".table-box") <= 1
    assert _overflow(print_layout, ".formula-box") <= 1


def test_fit_to_paper_reports_a_box_it_cannot_shrink(print_layout):
    cut = print_layout.evaluate(pdf.FIT_TO_PAPER)
    assert len(cut) == 1 and cut[0].startswith("pre.bare ("), cut
