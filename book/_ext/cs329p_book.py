"""Sphinx extension of the course book (registered in _config.yml).

It does three things:

1. **Offline math.** MathJax is served from the book itself: the self-contained
   ``tex-svg-full.js`` of the pinned ``django-static-mathjax`` package (MathJax 3)
   is copied into ``_static/mathjax/``, and Sphinx is pointed at it, so no page
   asks a CDN for anything.
2. **Generated pages.** A page may contain the placeholder directives

   ```{claims-ledger}
   ```

   or ``{runtime-report}``; they are replaced, when the page is read, by tables
   generated from the executed notebooks in ``notebooks/`` (claims recorded by
   ``helpers.check_claim`` and execution times recorded by ``tools/dev.py execute``).
3. **No dead launchers.** sphinx-thebe (pulled in by Jupyter Book) inlines a CDN URL
   on every page although the book launches no live kernels; its scripts are dropped.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from book_pages import claims_ledger_markdown, runtime_report_markdown  # noqa: E402

MATHJAX_FILE = "tex-svg-full.js"
MATHJAX_TARGET = "mathjax/" + MATHJAX_FILE
PLACEHOLDER = re.compile(r"^```\{(claims-ledger|runtime-report)\}\s*\n```\s*$", re.MULTILINE)


def _mathjax_source() -> Path:
    import mathjax  # provided by django-static-mathjax

    path = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / MATHJAX_FILE
    if not path.exists():
        raise FileNotFoundError(f"MathJax bundle missing: {path}")
    return path


def _configure_mathjax(app, config) -> None:
    config.mathjax_path = MATHJAX_TARGET


def _copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / MATHJAX_TARGET
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_mathjax_source(), target)


def _fill_generated_tables(app, docname: str, source: list[str]) -> None:
    notebooks = ROOT / "notebooks"

    def render(match: re.Match) -> str:
        if match.group(1) == "claims-ledger":
            return claims_ledger_markdown(notebooks)
        return runtime_report_markdown(notebooks)

    source[0] = PLACEHOLDER.sub(render, source[0])


def _is_thebe(script) -> bool:
    body = getattr(script, "attributes", {}).get("body", "") or ""
    return "thebe" in str(getattr(script, "filename", script)) or "THEBE_JS_URL" in body


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    """The book has no live-code launcher; drop sphinx-thebe's scripts (they name a CDN)."""
    if "script_files" in context:
        context["script_files"] = [js for js in context["script_files"] if not _is_thebe(js)]


def _always_regenerate(app, env, added, changed, removed) -> list[str]:
    """Pages with generated tables are re-read on every build: notebooks changed."""
    return [doc for doc in env.found_docs
            if PLACEHOLDER.search(Path(env.doc2path(doc)).read_text(encoding="utf-8"))]


def setup(app):
    app.connect("config-inited", _configure_mathjax)
    app.connect("source-read", _fill_generated_tables)
    app.connect("env-get-outdated", _always_regenerate)
    app.connect("build-finished", _copy_mathjax)
    app.connect("html-page-context", _drop_thebe)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
