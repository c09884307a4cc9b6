"""The PDF of the book (``tools/pdf.py``), read back the way a reader meets it.

The text comes from poppler's ``pdftotext`` (the set-up installs ``poppler-utils`` with
Chromium); the bookmarks from pypdf. A page of the table of contents starts where its
bookmark points, and its text runs to the next bookmark.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
import unicodedata
import warnings

import pytest
from bs4 import BeautifulSoup
from built_site import HTML, RAW_MARKUP, ROOT, page_tree, toc_entries

sys.path.insert(0, str(ROOT / "tools"))

from pdf import PDF_FILE  # noqa: E402

PDF = HTML / PDF_FILE
POPPLER = shutil.which("pdftotext") and shutil.which("pdfimages")
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@functools.cache
def _chinese_font() -> bool:
    """Whether Chromium had a font for the glossary's Chinese (the set-up installs one)."""
    if not shutil.which("fc-list"):
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True,
                               text=True).stdout.strip())

pytestmark = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")


def _squeeze(text: str) -> str:
    """Text without whitespace, in compatibility form (ligatures split, wrapped lines
    joined), so a code line wrapped across two printed lines still matches."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="session")
def book() -> dict[str, str]:
    """Each table-of-contents page's printed text, keyed by its entry."""
    if not PDF.exists():
        pytest.fail(f"no {PDF_FILE} in the built site: run `python3.11 tools/dev.py book`")
    from pypdf import PdfReader

    reader = PdfReader(PDF)
    starts = [reader.get_destination_page_number(item) for item in reader.outline]
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(PDF), "-"], check=True,
                          capture_output=True, text=True).stdout
    sheets = text.split("\f")
    ends = starts[1:] + [len(reader.pages)]
    entries = toc_entries()
    assert len(starts) == len(entries), "one bookmark per page of the table of contents"
    return {entry: "\n".join(sheets[a:b])
            for entry, a, b in zip(entries, starts, ends, strict=True)}


def _title(entry: str) -> str:
    heading = page_tree(entry).xpath("//main//h1")[0]
    return " ".join(heading.text_content().split()).rstrip("#").strip()


def test_landing_page_links_the_pdf():
    soup = BeautifulSoup((HTML / "book" / "index.html").read_text(encoding="utf-8"), "lxml")
    links = [a["href"] for a in soup.find_all("a", href=True) if a["href"].endswith(PDF_FILE)]
    assert links, "the landing page has no link to the PDF"
    assert all((HTML / "book" / link).resolve() == PDF.resolve() for link in links), links


def test_every_page_starts_with_its_title(book):
    """Titles in Chinese need a Chinese font; without one (the set-up could not install
    it) only their other characters are compared, and the test says so."""
    def comparable(text: str) -> str:
        return _squeeze(text if _chinese_font() else CJK.sub("", text))

    missing = [entry for entry, text in book.items()
               if comparable(_title(entry)) not in comparable(text[:2000])]
    assert not missing, missing
    if not _chinese_font():
        warnings.warn("no Chinese font: the PDF's Chinese characters were not checked",
                      stacklevel=1)


def test_no_raw_myst_markup_in_the_pdf(book):
    problems = [(entry, m.group(0)) for entry, text in book.items()
                for m in RAW_MARKUP.finditer(text)]
    assert not problems, problems[:10]


def test_every_lecture_figure_is_embedded():
    figures = {src for entry in toc_entries()
               for src in page_tree(entry).xpath("//main//img/@src") if "_images/" in src}
    listing = subprocess.run(["pdfimages", "-list", str(PDF)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    embedded = [row for row in listing if row.split()[2] == "image"]
    assert len(embedded) >= len(figures) > 100, (len(embedded), len(figures))


def _longest_shown_code_line(notebook: dict) -> str:
    lines = [line for cell in notebook["cells"] if cell["cell_type"] == "code"
             and not any("remove" in tag for tag in cell["metadata"].get("tags", []))
             for line in "".join(cell["source"]).splitlines()]
    return max(lines, key=len)


def test_longest_code_line_of_every_lecture_is_printed_whole(book):
    """Code wider than the paper would be cut off at the page edge: the longest line
    the page shows must be in the PDF's text from its first to its last character."""
    clipped = []
    for entry, text in book.items():
        if not entry.startswith("notebooks/"):
            continue
        notebook = json.loads((ROOT / f"{entry}.ipynb").read_text(encoding="utf-8"))
        line = _longest_shown_code_line(notebook)
        if _squeeze(line) not in _squeeze(text):
            clipped.append((entry, line))
    assert not clipped, clipped


def test_links_point_into_the_site_not_the_build_machine():
    """Chromium prints a link with the URL it loaded the page from; the PDF keeps links
    relative to the site (where the PDF is written), never to a loopback server or to a
    file of the machine that built it, and each one names a file the site has."""
    from pypdf import PdfReader

    links = [action["/URI"] for page in PdfReader(PDF).pages
             for annotation in page.get("/Annots") or []
             if (action := annotation.get_object().get("/A")) and "/URI" in action]
    inside = [uri for uri in links if not re.match(r"^[a-z][a-z0-9+.-]*:", uri)]
    assert len(inside) > 50, f"only {len(inside)} links into the site"
    outside = [uri for uri in links if uri not in inside]
    assert not [uri for uri in outside if not uri.startswith(("https:", "http:", "mailto:"))
                or "127.0.0.1" in uri or "localhost" in uri], outside[:10]
    missing = sorted({uri.split("#")[0] for uri in inside
                      if not (HTML / uri.split("#")[0]).is_file()})
    assert not missing, missing[:10]
