"""Where the built book is and which pages it has; shared by the tests in this folder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def toc_entries() -> list[str]:
    """Every page of the table of contents, landing page first."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


# MyST source that leaks into a rendered page when a fence or directive is closed early
RAW_MARKUP = re.compile(r"\{admonition\}|^:class:|\*\*Exercise|\{cite(:p|:t)?\}`|\{term\}`"
                        r"|\{doc\}`|\{ref\}`|\{numref\}`|^```"
                        r"|^#{1,6} (Summary|References|Exercises)", re.MULTILINE)
