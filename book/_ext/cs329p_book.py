"""Sphinx extension of the course book (registered in _config.yml).

It does these things:

1. **Offline math.** MathJax is served from the book itself: the self-contained
   ``tex-svg-full.js`` of the pinned ``django-static-mathjax`` package (MathJax 3)
   is copied into ``_static/mathjax/``, and Sphinx is pointed at it, so no page
   asks a CDN for anything.
2. **Generated pages.** A page may contain the placeholder directives

   ```{claims-ledger}
   ```

   or ``{runtime-report}`` or ``{provenance}``; they are replaced, when the page is read, by tables
   generated from the executed notebooks in ``notebooks/`` (claims recorded by
   ``helpers.check_claim`` and execution times recorded by ``tools/dev.py execute``).
3. **No dead launchers.** sphinx-thebe (pulled in by Jupyter Book) inlines a CDN URL
   on every page although the book launches no live kernels; its scripts are dropped.
4. **Claims as verdict boxes.** Every output carrying a claim record
   (``application/vnd.cs329p.claim+json``, written by ``helpers.check_claim``) is
   rendered as a box with an anchor ``#claim-N`` (N counts the notebook's claims in
   order, as the claims ledger does): green for a course claim that holds, amber for
   one that contradicts the notes, grey for an implementation check. A code cell that
   only calls ``check_claim`` has its input folded, so the statement is read once.
   Every figure gets an alt text from its titles and axis labels (or the prose before
   it) unless the cell's ``mystnb.image.alt`` metadata gives one.
5. **Executed solutions.** Code cells tagged ``solution`` that follow a dropdown
   admonition (the ``Solution`` of an exercise), and ``{container} solution-continued``
   blocks of prose between or after them, are moved inside it: the solution's prose,
   code and outputs open and close together.
6. **Working navigation.** pydata-sphinx-theme 0.17 adds a second header (``#pst-header``)
   with its own sidebar toggles and search box; the themes' scripts bind to the first
   ``.primary-toggle`` in the page, the hidden one, so the visible toggle did nothing.
   The extra header is emptied in the written pages (one search box, working toggles).
7. **Linked tables.** The map of the book and the data-sources table name lectures by
   number; each number becomes a link to its lecture when the page is read.
8. **Run this lecture.** Every lecture page opens with a generated box: how to run it
   from a clone or from the offline bundle (``tools/bundle.py``, written into the site
   when the build finishes), its last execution time, and the data and models it needs
   (the rows of the data-sources page that name it).
9. **One repository URL.** ``repository.url`` in ``_config.yml`` turns the repository,
   issue and launch (Colab, Binder) buttons on; while it is empty they stay hidden.
10. **The PDF.** When an HTML build finishes, Chromium prints every page into one
   ``cs329p-book.pdf`` (``tools/pdf.py``), linked from the landing page.
"""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)
sys.path.insert(0, str(ROOT / "tools"))

from book_pages import (  # noqa: E402
    claim_anchor,
    claims_ledger_markdown,
    provenance_markdown,
    run_box_markdown,
    runtime_report_markdown,
)
from bundle import BUNDLE_FILE, build_bundle  # noqa: E402
from notebook_pipeline import RECORD_KEY  # noqa: E402
from pdf import PDF_FILE, build_pdf  # noqa: E402

from helpers.claims import CLAIM_MIME  # noqa: E402

MATHJAX_FILE = "tex-svg-full.js"
MATHJAX_TARGET = "mathjax/" + MATHJAX_FILE
PLACEHOLDER = re.compile(r"^```\{(claims-ledger|runtime-report|provenance)\}\s*\n```\s*$",
                         re.MULTILINE)


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
        if match.group(1) == "provenance":
            return provenance_markdown(notebooks, ROOT / "constraints.txt")
        return runtime_report_markdown(notebooks)

    source[0] = PLACEHOLDER.sub(render, source[0])


def _inline(text: str) -> str:
    """HTML-escape ``text`` and render its ``code`` spans."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def claim_html(record: dict, number: int) -> str:
    """The verdict box of one claim record (see the module docstring)."""
    kind = record.get("kind", "course")
    contradicts = "contradicts" in record.get("status", "")
    if kind == "check":
        variant, mark, label = "check", "✔", "Check holds"
    elif contradicts:
        variant, mark, label = "contradicts", "⚠", "Claim holds; contradicts the notes"
    else:
        variant, mark, label = "holds", "✔", "Claim holds"
    measured = html.escape(str(record.get("measured", "")))
    if record.get("repeats") is not None:
        measured += (f" ± {html.escape(str(record.get('spread')))} "
                     f"(sd over {record['repeats']} repeats)")
    if record.get("deterministic"):
        measured += ", no randomness"
    anchor = claim_anchor(number)
    return (f'<div class="cs329p-claim cs329p-claim--{variant}" id="{anchor}" '
            f'role="note" aria-label="{label}">'
            f'<p class="cs329p-claim__verdict"><span aria-hidden="true">{mark}</span> '
            f'{label} <a class="headerlink" href="#{anchor}" '
            f'title="Link to this claim">#</a></p>'
            f'<p class="cs329p-claim__statement">{_inline(record.get("statement", ""))}</p>'
            f'<p class="cs329p-claim__numbers">measured <code>{measured}</code>, '
            f'required <code>{html.escape(str(record.get("requirement", "")))}</code></p>'
            f"</div>")


def _only_checks_a_claim(source: str) -> bool:
    """True when a code cell is a single ``check_claim(...)`` call and nothing else."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        return False
    call = body[0].value
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "check_claim"


def render_claims(notebook: dict) -> dict:
    """Give every claim output an HTML verdict box; fold claim-only cells' input."""
    number = 0
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        claims = 0
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(CLAIM_MIME)
            if record:
                number += 1
                claims += 1
                output["data"]["text/html"] = claim_html(record, number)
                output["data"].pop("text/markdown", None)
        source = "".join(cell.get("source", ""))
        if claims and _only_checks_a_claim(source):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if not {"hide-input", "remove-input", "hide-cell"} & set(tags):
                tags.append("hide-input")
    return notebook


LABEL_CALLS = {"suptitle": "title", "set_title": "panel", "title": "title",
               "set_xlabel": "x", "xlabel": "x", "set_ylabel": "y", "ylabel": "y"}
LABEL_KEYWORDS = {"title": "panel", "xlabel": "x", "ylabel": "y"}


def _literal(node) -> str | None:
    """The text of a string literal or f-string (formatted parts shown as "…")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    return None


def _clean(text: str) -> str:
    text = re.sub(r"\\(mathrm|text|operatorname|mathbf)\{([^}]*)\}", r"\2", text)
    return re.sub(r"\s+", " ", text.replace("$", "").replace("\\", "").replace("\n", " ")).strip()


def figure_alt_text(source: str, context: str = "") -> str:
    """Alt text for the figure a plotting cell draws, from its titles and axis labels
    (``suptitle``, ``set_title``, ``set_xlabel``, ``ax.set(title=...)``), or else from
    the first sentence of the prose before the cell."""
    found: dict[str, list[str]] = {"title": [], "panel": [], "x": [], "y": []}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    for node in ast.walk(tree) if tree else []:
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in LABEL_CALLS and node.args and (text := _literal(node.args[0])):
            found[LABEL_CALLS[name]].append(_clean(text))
        for keyword in node.keywords if name == "set" else []:
            if keyword.arg in LABEL_KEYWORDS and (text := _literal(keyword.value)):
                found[LABEL_KEYWORDS[keyword.arg]].append(_clean(text))
    unique = {k: list(dict.fromkeys(v for v in values if v and v.count("…") < 2))
              for k, values in found.items()}
    parts = []
    if unique["title"]:
        parts.append("; ".join(unique["title"]))
    if unique["panel"]:
        panels = unique["panel"]
        parts.append(("panels: " if len(panels) > 1 else "") + "; ".join(panels[:6]))
    if unique["x"]:
        parts.append("horizontal axis: " + "; ".join(unique["x"][:3]))
    if unique["y"]:
        parts.append("vertical axis: " + "; ".join(unique["y"][:3]))
    if not parts:
        prose = re.sub(r"\{[a-z:]+\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", context)
        prose = _clean(re.sub(r"[*_`]", "", prose))
        sentence = re.split(r"(?<=[.:!?])\s", prose)[-1] if prose else ""
        parts.append(sentence or "figure drawn by the code above")
    return "Figure: " + ". ".join(parts)


def add_figure_alt_text(notebook: dict) -> dict:
    """Give every figure output an alt text (``mystnb.image.alt``) unless it has one."""
    previous_prose = ""
    for cell in notebook.get("cells", []):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            previous_prose = source.strip().split("\n\n")[-1]
            continue
        if not any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
                   for o in cell.get("outputs", [])):
            continue
        image = cell.setdefault("metadata", {}).setdefault("mystnb", {}).setdefault("image", {})
        image.setdefault("alt", figure_alt_text(source, previous_prose))
    return notebook


def add_run_box(notebook: dict, stem: str, data_sources: str) -> dict:
    """Insert the "Run this lecture" box after the cell holding the lecture's title."""
    box = run_box_markdown(stem, notebook.get("metadata", {}).get(RECORD_KEY, {}),
                           data_sources, f"../{BUNDLE_FILE}")
    cells = notebook.get("cells", [])
    title = next((i for i, cell in enumerate(cells) if cell.get("cell_type") == "markdown"
                  and re.search(r"^# ", "".join(cell.get("source", "")), re.MULTILINE)), -1)
    cells.insert(title + 1, {"cell_type": "markdown", "id": "run-box", "metadata": {},
                             "source": box})
    return notebook


def _prepare_notebook(app, docname: str, source: list[str]) -> None:
    """Claims as verdict boxes, figures with alt text and the run box, in the notebook
    as read."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    notebook = json.loads(source[0])
    if docname.startswith("notebooks/"):
        data_sources = (ROOT / "book" / "data-sources.md").read_text(encoding="utf-8")
        notebook = add_run_box(notebook, docname.split("/")[-1], data_sources)
    source[0] = json.dumps(add_figure_alt_text(render_claims(notebook)), ensure_ascii=False)


def _write_bundle(app, exception) -> None:
    """The offline bundle, linked from every lecture's run box and from how-to-use."""
    if exception is None and app.builder.name == "html":
        build_bundle(ROOT, Path(app.outdir) / BUNDLE_FILE)


def _write_pdf(app, exception) -> None:
    """The whole book as one PDF (``tools/pdf.py``), linked from the landing page."""
    if exception is not None or app.builder.name != "html":
        return
    built = build_pdf(Path(app.outdir), Path(app.outdir) / PDF_FILE)
    if built is None:
        logger.info("cs329p: no Chromium, so no %s (python3.11 tools/dev.py book installs "
                    "it where it can)", PDF_FILE)
        return
    logger.info("cs329p: %s, %d pages", PDF_FILE, built.pages)
    for name, boxes in built.cut.items():
        logger.warning("cs329p: %s is cut at the paper's edge in %s: %s (tools/pdf.py "
                       "fits boxes that scroll sideways; this one did not)", name,
                       PDF_FILE, "; ".join(boxes))


def _move_solutions_into_dropdowns(app, doctree) -> None:
    """Solution code cells (and continued prose) join the dropdown just before them."""
    for admonition in list(doctree.findall(nodes.admonition)):
        if "dropdown" not in admonition["classes"]:
            continue
        parent = admonition.parent
        index = parent.index(admonition)
        while index + 1 < len(parent.children):
            following = parent.children[index + 1]
            if not (isinstance(following, nodes.container)
                    and {"tag_solution", "solution-continued"} & set(following["classes"])):
                break
            parent.remove(following)
            admonition.append(following)


PST_HEADER = re.compile(r'<header[^>]*\bid="pst-header"[^>]*>.*?</header>', re.S)
EMPTY_HEADER = '<header id="pst-header" class="bd-header d-print-none" hidden></header>'


def strip_extra_header(page: str) -> str:
    """Empty pydata-sphinx-theme's second header (see the module docstring).

    The element itself stays, empty and hidden: the theme's scroll-spy measures it.
    """
    return PST_HEADER.sub(EMPTY_HEADER, page, count=1)


def fix_citation_list_role(page: str) -> str:
    """docutils marks the bibliography ``role="list"`` although its entries are not
    list items (axe-core: aria-required-children); drop the role."""
    return page.replace('<div role="list" class="citation-list">', '<div class="citation-list">')


def _fix_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        page = path.read_text(encoding="utf-8")
        fixed = fix_citation_list_role(strip_extra_header(page))
        if fixed != page:
            path.write_text(fixed, encoding="utf-8")


LAUNCHERS = {"colab_url": "https://colab.research.google.com",
             "binderhub_url": "https://mybinder.org"}


def repository_buttons(theme_options: dict) -> dict:
    """Show the repository, issue and launch buttons exactly when a repository URL is set.

    ``repository.url`` in ``_config.yml`` becomes the theme option ``repository_url``.
    """
    options = dict(theme_options)
    url = (options.get("repository_url") or "").strip()
    options["use_repository_button"] = options["use_issues_button"] = bool(url)
    launch = dict(options.get("launch_buttons") or {})
    for key, launcher in LAUNCHERS.items():
        launch[key] = launcher if url else ""
    options["launch_buttons"] = launch
    return options


def _configure_buttons(app, config) -> None:
    config.html_theme_options = repository_buttons(config.html_theme_options or {})


def _author_year_style():
    """A pybtex style for the references page: sorted by author, year and title, and
    labelled like the citations in the text ("Breiman et al., 1984")."""
    from pybtex.richtext import Text
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle

    def surname(person) -> str:
        return Text.from_latex(" ".join(person.prelast_names + person.last_names)) \
            .render_as("text")

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            seen: dict[str, int] = {}
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                names = [surname(p) for p in people]
                if not names:
                    who = Text.from_latex(entry.fields.get("organization")
                                          or entry.fields.get("title", "Anonymous")
                                          ).render_as("text")
                elif len(names) == 1:
                    who = names[0]
                elif len(names) == 2:
                    who = f"{names[0]} and {names[1]}"
                else:
                    who = f"{names[0]} et al."
                label = f"{who}, {entry.fields.get('year', 'n.d.')}"
                seen[label] = seen.get(label, 0) + 1
                yield label if seen[label] == 1 else f"{label}{'abcdefghij'[seen[label] - 1]}"

    class AuthorYearStyle(UnsrtStyle):
        default_sorting_style = "author_year_title"
        default_label_style = AuthorYearLabels

    return AuthorYearStyle


def _register_bibliography_style() -> None:
    from pybtex.backends.plaintext import Backend as PlainText
    from pybtex.plugin import register_plugin

    register_plugin("pybtex.style.formatting", "authoryear", _author_year_style(),
                    force=True)
    # pybtex's ``render_as("text")`` and sphinxcontrib-bibtex look the plain-text backend
    # up by name for every label and citation, and a lookup that misses the registered
    # plugins reads the entry points of every installed package: 14 of the build's 46
    # CPU-s (py-spy). Registering pybtex's own class under both names skips the scan.
    for name in ("text", "plaintext"):
        register_plugin("pybtex.backends", name, PlainText, force=True)


def _add_static(app, config) -> None:
    config.html_static_path.append(str(Path(__file__).parent / "static"))


def lecture_docnames(notebooks: Path = ROOT / "notebooks") -> dict[str, str]:
    """Section number ("3.4", "A.2") to docname, from the lecture file names."""
    result = {}
    for path in sorted(notebooks.glob("*.md")):
        match = re.match(r"^(?:0?(\d+)|([A-Z]))-(\d+)-", path.name)
        if match:
            part = match.group(1) or match.group(2)
            result[f"{part}.{match.group(3)}"] = f"notebooks/{path.stem}"
    return result


LECTURE_NUMBER = re.compile(r"(?<![\w.{`/<$])((?:[1-9]\d?|A)\.[1-9]\d?)(?![\w.]|\d)")


def link_lecture_numbers(text: str, lectures: dict[str, str]) -> str:
    """Turn each bare lecture number ("3.4") into a ``{doc}`` link to its lecture."""
    return LECTURE_NUMBER.sub(
        lambda m: f"{{doc}}`{m.group(1)} </{lectures[m.group(1)]}>`"
        if m.group(1) in lectures else m.group(1), text)


def link_tables(markdown: str, lectures: dict[str, str], column: int | None) -> str:
    """Link lecture numbers in Markdown table rows: in one column, or in whole
    ``N.N Title`` items (comma-separated) when ``column`` is None."""
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = line.split("|")
        if column is not None:
            if column + 1 < len(cells):
                cells[column + 1] = link_lecture_numbers(cells[column + 1], lectures)
        else:
            for j, cell in enumerate(cells[2:], start=2):
                items = [re.sub(r"^(\s*)((?:[1-9]\d?|A)\.[1-9]\d?)( [^,{]+?)(\s*)$",
                                lambda m: (f"{m.group(1)}{{doc}}`{m.group(2)}{m.group(3)} "
                                           f"</{lectures[m.group(2)]}>`{m.group(4)}")
                                if m.group(2) in lectures else m.group(0), item)
                         for item in cell.split(",")]
                cells[j] = ",".join(items)
        lines[i] = "|".join(cells)
    return "\n".join(lines)


LINKED_TABLES = {"book/index": None, "book/data-sources": 1}
"""Pages whose tables name lectures by number: the map of the book (whole items) and the
data sources ("Used in", the second column). Their numbers become links when read."""


def _link_lecture_tables(app, docname: str, source: list[str]) -> None:
    if docname in LINKED_TABLES:
        source[0] = link_tables(source[0], lecture_docnames(), LINKED_TABLES[docname])


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
    _register_bibliography_style()
    app.connect("config-inited", _configure_mathjax)
    app.connect("config-inited", _add_static)
    app.connect("config-inited", _configure_buttons)
    app.add_css_file("cs329p.css")
    app.connect("source-read", _fill_generated_tables)
    app.connect("source-read", _prepare_notebook)
    app.connect("source-read", _link_lecture_tables)
    app.connect("doctree-read", _move_solutions_into_dropdowns)
    app.connect("build-finished", _fix_pages)
    app.connect("env-get-outdated", _always_regenerate)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _write_bundle)
    app.connect("build-finished", _write_pdf)
    app.connect("html-page-context", _drop_thebe)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
