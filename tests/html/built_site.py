"""Where the built book is and which pages it has; shared by the tests in this folder."""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))

from pdf import CHROMIUM_ARGS, chromium, page_order  # noqa: E402, F401 (re-exported)

CHROMIUM = chromium()


def toc_entries() -> list[str]:
    """Every page of the table of contents, landing page first."""
    return page_order(ROOT)


@functools.cache
def page_tree(entry: str) -> lxml.html.HtmlElement:
    """The built page of ``entry`` parsed with lxml (twenty times faster than
    BeautifulSoup on a lecture page; for tests that only look up elements)."""
    return lxml.html.fromstring((HTML / f"{entry}.html").read_bytes())


# MyST source that leaks into a rendered page when a fence or directive is closed early
RAW_MARKUP = re.compile(r"\{admonition\}|^:class:|\*\*Exercise|\{cite(:p|:t)?\}`|\{term\}`"
                        r"|\{doc\}`|\{ref\}`|\{numref\}`|^```"
                        r"|^#{1,6} (Summary|References|Exercises)", re.MULTILINE)
