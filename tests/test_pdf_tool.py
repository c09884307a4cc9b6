"""tools/pdf.py: the loopback server the pages are printed from, and the links it leaves."""

from __future__ import annotations

import io
import urllib.request

import pdf
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
