"""The whole book as one PDF, printed by Chromium from the built site.

Chromium (Debian's package, the one the browser checks use) opens every page of the table
of contents in order, waits for MathJax, opens the exercise solutions, and prints the page
with the book's print style (no sidebars, code lines wrapped instead of cut off, folded
outputs unfolded). Boxes that scroll sideways on screen, wide tables and long formulas,
would be cut at the paper's edge: they are shrunk to the column first (:data:`FIT_TO_PAPER`),
and a box that still does not fit is reported, which fails the strict book build. pypdf
joins the pages into ``cs329p-book.pdf`` with one bookmark per page. The Sphinx extension
writes it into the built site when an HTML build finishes; the landing page links it and
``tests/html/test_pdf.py`` reads it back.

The pages are opened from a loopback HTTP server rather than from disk: over HTTP,
Chromium keeps the compiled JavaScript of one page (MathJax is 2.2 MB) for the next, and
loading the 44 pages took 29 instead of 37 core-s (measured). The links the pages print
are made relative to the site, so they work wherever the PDF sits beside the site.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import io
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PDF_FILE = "cs329p-book.pdf"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PAPER_WIDTH_MM, SIDE_MARGIN_MM = 210, 12  # A4
MARGIN = {"top": "14mm", "bottom": "14mm", "left": f"{SIDE_MARGIN_MM}mm",
          "right": f"{SIDE_MARGIN_MM}mm"}
SCALE = 0.8  # the theme's screen font is large on paper
TABS = 2  # pages printed at once: each tab has its own renderer process, one per core
PRINT_WIDTH = round((PAPER_WIDTH_MM - 2 * SIDE_MARGIN_MM) / 25.4 * 96 / SCALE)
"""CSS pixels across the printed column (A4 less the margins, at SCALE): the viewport the
pages are laid out in before printing, so that what overflows here overflows on paper."""
FIT_TO_PAPER = """() => {
  // A box that scrolls sideways on screen (a wide table, a long formula) would be cut at
  // the paper's edge: shrink its content to the box's width. Returns the boxes that are
  // still cut afterwards, as "tag.class (content width > box width)".
  const boxes = () => Array.from(document.querySelectorAll("main *")).filter(e => {
    const style = getComputedStyle(e);
    return e.offsetParent !== null && e.tagName !== "MJX-ASSISTIVE-MML"
      && !style.display.startsWith("inline") && style.overflowX !== "visible"
      && e.scrollWidth > e.clientWidth + 1;
  });
  for (let round = 0; round < 5; round++) {  // zoom lands within a few pixels: repeat
    const wide = boxes();
    if (wide.length === 0) { return []; }  // most pages: nothing to fit, one pass
    for (const box of wide) {
      const factor = box.clientWidth / box.scrollWidth;
      for (const child of box.children) {
        if (child.tagName.toLowerCase() === "svg") {  // MathJax; Chromium ignores zoom here
          child.style.width = `${child.getBoundingClientRect().width * factor}px`;
          child.style.height = "auto";  // from the viewBox: the formula keeps its shape
        } else {
          child.style.zoom = factor * (parseFloat(child.style.zoom) || 1);
        }
      }
    }
  }
  return boxes().map(e => `${e.tagName.toLowerCase()}.${e.classList[0] || ""} ` +
                          `(${e.scrollWidth} > ${e.clientWidth} px)`);
}"""
PREPARE_PAGE = """async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  return document.querySelector("main h1")?.innerText.replace(/#$/, "").trim()
    || document.title;
}"""


def chromium() -> str | None:
    """Path of the Chromium executable, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def page_order(root: Path = ROOT) -> list[str]:
    """Every page of the table of contents, landing page first (as in the sidebar)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base's name)
        pass


@contextlib.contextmanager
def serve(html: Path) -> Iterator[str]:
    """Serve the built site at ``html`` on a free loopback port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(html.resolve()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def print_pages(html: Path, pages: list[str], executable: str,
                tabs: int = TABS) -> list[tuple[str, bytes, list[str]]]:
    """Print each built page to PDF; return (title, PDF bytes, boxes cut at the paper's
    edge) in the order given. Links into the site are printed as the server's URLs
    (:func:`join_pages` makes them relative)."""
    with serve(html) as base:
        return asyncio.run(_print_in_tabs(base, pages, executable, tabs))


async def _print_in_tabs(base: str, pages: list[str], executable: str,
                         tabs: int) -> list[tuple[str, bytes, list[str]]]:
    """Print ``pages`` in ``tabs`` tabs of one Chromium, each taking the next page; laid
    out in print style at the paper's width, wide boxes fitted to it
    (:data:`FIT_TO_PAPER`). Returns (title, PDF bytes, boxes still cut) per page."""
    from playwright.async_api import async_playwright

    printed: list = [None] * len(pages)
    todo = iter(enumerate(pages))

    async def print_next(page) -> None:
        await page.emulate_media(media="print")
        for index, name in todo:  # the tabs share the iterator: each page once
            await page.goto(f"{base}{name}.html", wait_until="load")
            title = await page.evaluate(PREPARE_PAGE)
            cut = await page.evaluate(FIT_TO_PAPER)
            data = await page.pdf(format="A4", margin=MARGIN, scale=SCALE)
            printed[index] = (title, data, cut)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        viewport = {"width": PRINT_WIDTH, "height": 1000}
        await asyncio.gather(*[print_next(await browser.new_page(viewport=viewport))
                               for _ in range(tabs)])
        await browser.close()
    return printed


LOOPBACK = re.compile(r"^http://127\.0\.0\.1:\d+/")


def _relative_links(page) -> None:
    """Make the page's links to the loopback server relative to the site's root, where
    the PDF is written (in place)."""
    from pypdf.generic import NameObject, TextStringObject

    for annotation in page.get("/Annots") or []:
        action = annotation.get_object().get("/A")
        uri = action.get("/URI") if action else None
        if uri and LOOPBACK.match(uri):
            action[NameObject("/URI")] = TextStringObject(LOOPBACK.sub("", uri))


def join_pages(printed: list[tuple], target: Path) -> int:
    """Join the printed pages, (title, PDF bytes, ...) each, into one PDF with a bookmark
    per page; return its page count."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for title, data, *_ in printed:
        start = len(writer.pages)
        writer.append(io.BytesIO(data), import_outline=False)
        writer.add_outline_item(title=title, page_number=start)
    for page in writer.pages:
        _relative_links(page)
    writer.add_metadata({"/Title": "Practical Machine Learning (CS329P): a course book"})
    with target.open("wb") as handle:
        writer.write(handle)
    return len(writer.pages)


@dataclasses.dataclass
class BuiltPdf:
    pages: int
    cut: dict[str, list[str]]
    """Per book page, the boxes that would be cut at the paper's edge (none expected)."""


def build_pdf(html: Path, target: Path, root: Path = ROOT) -> BuiltPdf | None:
    """Print the built site at ``html`` into ``target``; None when Chromium is missing."""
    executable = chromium()
    if executable is None:
        return None
    names = page_order(root)
    printed = print_pages(html, names, executable)
    cut = {name: boxes for name, (_, _, boxes) in zip(names, printed, strict=True) if boxes}
    return BuiltPdf(pages=join_pages(printed, target), cut=cut)
