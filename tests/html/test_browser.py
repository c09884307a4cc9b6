"""The built book in a real headless browser (Debian's chromium, driven by Playwright).

Every page of the table of contents is opened from disk once; the tests check that it
loads without JavaScript errors, requests nothing from the network, typesets its math with
the vendored MathJax, shows its figures, and has no serious or critical accessibility
violation. ``tools/dev.py test`` installs chromium with apt-get when it can; run alone
with ``pytest tests/html`` after building the book.

Accessibility: axe-core (bundled with axe-playwright-python, so nothing is fetched) runs
on every page once its math is typeset. Two kinds of rule are left out where they cannot
change the verdict or where a sample decides it:

- rules whose declared impact is minor or moderate: axe reports every violation of such a
  rule with that impact, so it can never be serious or critical (about an eighth of the
  audit time, ``region`` most);
- on lecture pages, the two colour rules, ``color-contrast`` and ``link-in-text-block``
  (links told apart from the text around them by colour contrast or underline). They read
  the computed colours of every text node and link, more than half of the audit time
  (``link-in-text-block`` alone took 26 of the 66 s over all pages). The colours and link
  styles come from the theme, the book's stylesheet and the highlighting style, which
  every lecture page shares, so both rules run on every page that is not a lecture and on
  the lectures in ``CONTRAST_SAMPLE``, which between them show every kind of content a
  lecture has: highlighted code, output tables, figures, math, exercises with hidden
  solutions, claim boxes of all three kinds (holds, contradicts the notes, check), and
  every kind of link that sits in a block of text (a test below finds the kinds in the
  built lectures). The sample is small pages on purpose: contrast costs about a
  millisecond per element, and the largest lecture (10.1, 18,000 elements of highlighted
  code) took 21 s alone.
"""

from __future__ import annotations

import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor

import pytest
import yaml
from built_site import CHROMIUM, CHROMIUM_ARGS, HTML, ROOT, page_tree, toc_entries

FILE_PATH_ALT = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|svg|gif)$|^_build/|^\.\./", re.I)
OVERFLOWING_CODE = """Array.from(document.querySelectorAll('article div.highlight pre'))
    .filter(p => !p.closest('.cell_output') && p.offsetParent !== null
                 && p.scrollWidth > p.clientWidth + 1).length"""
"""Code (not outputs) in view that scrolls sideways."""

SERIOUS = ("serious", "critical")
CONTRAST_SAMPLE = (
    "notebooks/02-1-exploratory-data-analysis",  # all three claim kinds, 14 tables
    "notebooks/07-1-label-shift",                # the most math of a small page
    "notebooks/01-1-course-introduction",        # links in h3 and h4, figure references
    "notebooks/05-4-stacking",                   # a link in a code block's caption
)
COLOUR_RULES = ("color-contrast", "link-in-text-block")
QUIET_RULES = """() => axe._audit.rules
    .filter(r => r.impact === "minor" || r.impact === "moderate").map(r => r.id)"""
"""axe rules whose every violation is reported as minor or moderate (axe gives a rule's
declared impact to all its results), hence never serious or critical."""

# one pytest worker renders every page once (session-scoped fixture; tools/dev.py runs
# the modules of this folder with --dist loadfile), in RENDERERS processes
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


RENDERERS = 2
"""Processes that render the pages, each with its own Chromium. Rendering is the longest
part of the HTML gate (about 80 s in two processes beside the bundle test, half of
it axe-core), and one page at a time left a core idle once the other pytest
worker had finished its modules."""


@pytest.fixture(scope="session")
def rendered():
    """Open every page; record requests, JS errors, math and image state."""
    entries = toc_entries()
    shares = [entries[i::RENDERERS] for i in range(RENDERERS)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(RENDERERS, mp_context=context) as pool:
        parts = list(pool.map(_render_pages, shares))
    results = {entry: part[entry] for part in parts for entry in part}
    return {entry: results[entry] for entry in entries}


def _render_pages(entries: list[str]) -> dict[str, dict]:
    """In a worker process: open ``entries`` one after the other in one tab of a fresh
    headless Chromium, as a reader follows the book's links. (A new tab per page
    costs a renderer process each: 2.2 instead of 0.9 core-s per page, measured.)"""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        current = {"requests": [], "errors": []}
        page.on("request", lambda r: current["requests"].append(r.url))
        page.on("pageerror", lambda e: current["errors"].append(str(e)))
        quiet = _quiet_rules(page)
        results = {}
        for entry in entries:
            current.update(requests=[], errors=[])
            results[entry] = _render(page, entry, current, quiet)
        browser.close()
    return results


def _render(page, entry: str, current: dict, quiet: list[str]) -> dict:
    """Load ``entry`` in ``page``; ``current`` collects its requests and JS errors;
    ``quiet`` are the axe rules left out everywhere (:func:`_quiet_rules`)."""
    page.goto((HTML / f"{entry}.html").as_uri(), wait_until="load")
    has_math = page.evaluate("document.querySelectorAll('.math').length") > 0
    if has_math:
        page.wait_for_function("window.MathJax && MathJax.startup && "
                               "MathJax.startup.promise", timeout=15000)
        page.evaluate("MathJax.startup.promise")
    result = {
        "accessibility": _serious_violations(page, entry, quiet),
        "requests": current["requests"],
        "errors": current["errors"],
        "math": page.evaluate("document.querySelectorAll('.math').length"),
        "typeset": page.evaluate("document.querySelectorAll('mjx-container').length"),
        "math_errors": page.evaluate("document.querySelectorAll('mjx-merror').length"),
        "images": page.evaluate(
            "Array.from(document.images).map("
            "i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])"),
        "alts": page.evaluate("Array.from(document.querySelectorAll('article img'))"
                              ".map(i => i.getAttribute('alt') || '')"),
        "overflowing_code": page.evaluate(OVERFLOWING_CODE),
        "solutions_hidden": page.evaluate(
            "Array.from(document.querySelectorAll('.cell.tag_solution'))"
            ".every(c => c.closest('.toggle-hidden') !== null && "
            "getComputedStyle(c).visibility === 'hidden')"),
    }
    return result


def _quiet_rules(page) -> list[str]:
    """The axe rules that can never report a serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate(Axe().axe_script)
    return page.evaluate(QUIET_RULES)


def _serious_violations(page, entry: str, quiet: list[str]) -> list[tuple[str, str, int]]:
    """axe-core's serious and critical violations on the page: (rule, help, nodes)."""
    from axe_playwright_python.sync_playwright import Axe

    skipped = list(quiet)
    if entry.startswith("notebooks/") and entry not in CONTRAST_SAMPLE:
        skipped += COLOUR_RULES
    options = {"resultTypes": ["violations"],
               "rules": {rule: {"enabled": False} for rule in skipped}}
    violations = Axe().run(page, options=options).response["violations"]
    return [(v["id"], v["help"], len(v["nodes"])) for v in violations
            if v["impact"] in SERIOUS]


def test_contrast_sample_shows_every_kind_of_lecture_content():
    html = "".join((HTML / f"{entry}.html").read_text(encoding="utf-8")
                   for entry in CONTRAST_SAMPLE)
    kinds = {"highlighted code": 'class="highlight', "output table": "<table",
             "figure": "<img", "math": 'class="math', "hidden solution": "tag_solution",
             **{f"{kind} claim box": f"cs329p-claim--{kind}"
                for kind in ("holds", "contradicts", "check")}}
    missing = [kind for kind, marker in kinds.items() if marker not in html]
    assert not missing, f"colour contrast is never checked on: {missing}"


INLINE = {"a", "abbr", "code", "em", "span", "strong", "sub", "sup"}


def _link_kinds_in_text(entry: str) -> set[tuple[str, str, str]]:
    """Kinds of the links in a block of other text on a built page: (the block's tag, the
    link's classes, its first child's tag and classes), what their colours depend on."""
    kinds = set()
    for link in page_tree(entry).xpath("//main//article//a[@href]"):
        block = link.getparent()
        while block is not None and block.tag in INLINE:
            block = block.getparent()
        if block is None or "".join(block.itertext()).strip() == "".join(
                link.itertext()).strip():
            continue
        child = ".".join([link[0].tag, *sorted(link[0].classes)]) if len(link) else ""
        kinds.add((block.tag, " ".join(sorted(link.classes)), child))
    return kinds


def test_contrast_sample_shows_every_kind_of_link_in_text():
    lectures = [entry for entry in toc_entries() if entry.startswith("notebooks/")]
    everywhere = set().union(*(_link_kinds_in_text(entry) for entry in lectures))
    sampled = set().union(*(_link_kinds_in_text(entry) for entry in CONTRAST_SAMPLE))
    assert len(everywhere) >= 5, everywhere
    assert everywhere <= sampled, (
        f"link kinds link-in-text-block never checks (add a lecture that has them to "
        f"CONTRAST_SAMPLE): {sorted(everywhere - sampled)}")


def test_left_out_rules_still_catch_a_missing_alt_text():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        quiet = _quiet_rules(page)
        page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                         '<h1>t</h1><img src="data:,"></main></body></html>')
        found = _serious_violations(page, "notebooks/not-sampled", quiet)
        browser.close()
    assert "region" in quiet and "image-alt" not in quiet, quiet
    assert [rule for rule, _, _ in found] == ["image-alt"], found


@pytest.mark.parametrize("entry", toc_entries())
def test_page_has_no_serious_or_critical_accessibility_violation(rendered, entry):
    assert not rendered[entry]["accessibility"], f"{entry}: {rendered[entry]['accessibility']}"


def test_pages_load_without_javascript_errors(rendered):
    for entry, r in rendered.items():
        assert not r["errors"], (entry, r["errors"])


def test_pages_request_nothing_from_the_network(rendered):
    for entry, r in rendered.items():
        remote = [u for u in r["requests"] if not u.startswith(("file:", "data:", "blob:"))]
        assert not remote, (entry, remote)


def test_math_is_typeset_offline_without_errors(rendered):
    pages_with_math = {e: r for e, r in rendered.items() if r["math"]}
    assert pages_with_math, "no page has math"
    for entry, r in pages_with_math.items():
        assert r["typeset"] >= r["math"], (entry, r["typeset"], r["math"])
        assert r["math_errors"] == 0, entry


def test_every_image_loads(rendered):
    for entry, r in rendered.items():
        broken = [src for src, ok in r["images"] if not ok]
        assert not broken, (entry, broken)


def test_lecture_pages_show_figures(rendered):
    for entry, r in rendered.items():
        if entry.startswith("notebooks/"):
            assert any(ok for _, ok in r["images"]), f"{entry} shows no figure"


def test_code_blocks_fit_the_column_at_1280px(rendered):
    wide = {e: r["overflowing_code"] for e, r in rendered.items() if r["overflowing_code"]}
    assert not wide, f"code blocks scrolling sideways at 1280 px, per page: {wide}"


def test_alt_text_is_not_a_file_path(rendered):
    bad = {e: [a for a in r["alts"] if FILE_PATH_ALT.search(a)] for e, r in rendered.items()}
    bad = {e: alts for e, alts in bad.items() if alts}
    assert not bad, bad
    missing = {e: r["alts"].count("") for e, r in rendered.items() if "" in r["alts"]}
    assert not missing, f"images without alt text: {missing}"


def test_solution_code_is_hidden_until_opened(rendered):
    for entry, r in rendered.items():
        assert r["solutions_hidden"], entry


@pytest.mark.parametrize("width", [390, 1400])
@pytest.mark.parametrize("entry", ["index", "notebooks/03-5-multilayer-perceptrons",
                                   "book/claims-ledger"])
def test_sidebar_toggle_opens_the_table_of_contents(browser, width, entry):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entry = toc["root"] if entry == "index" else entry
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((HTML / f"{entry}.html").as_uri(), wait_until="load")
    toggles = [b for b in page.query_selector_all(".primary-toggle") if b.is_visible()]
    assert len(toggles) == 1, f"{len(toggles)} visible sidebar toggles"
    searches = [b for b in page.query_selector_all(".search-button-field") if b.is_visible()]
    assert len(searches) <= 1, "more than one search box"
    if width < 992:   # narrow: the toggle opens the sidebar as a dialog
        toggles[0].click()
        page.wait_for_function(
            "document.getElementById('pst-primary-sidebar-modal').open", timeout=3000)
        links = page.eval_on_selector_all(
            "#pst-primary-sidebar-modal a.reference.internal",
            "els => els.filter(a => a.getBoundingClientRect().width > 0).length")
        assert links >= 30, links
    else:             # wide: the sidebar is shown, and the toggle hides and shows it
        sidebar = page.locator("#pst-primary-sidebar")
        assert sidebar.is_visible()
        toggles[0].click()
        page.wait_for_timeout(400)
        assert not sidebar.is_visible() or sidebar.bounding_box()["x"] < 0
        toggles[0].click()
        page.wait_for_timeout(400)
        assert sidebar.is_visible() and sidebar.bounding_box()["x"] >= 0
    page.close()


@pytest.mark.parametrize("entry", ["notebooks/07-1-label-shift",
                                   "notebooks/A-1-generalization"])
def test_display_math_stays_inside_a_phone_screen(browser, entry):
    """A formula wider than a 390 px column scrolls in its own box, never past the edge."""
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto((HTML / f"{entry}.html").as_uri(), wait_until="load")
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=15000)
    page.evaluate("MathJax.startup.promise")
    cut = page.evaluate("""Array.from(document.querySelectorAll('mjx-container[display]'))
        .filter(m => m.getBoundingClientRect().right > window.innerWidth + 1).length""")
    page.close()
    assert cut == 0, f"{cut} display formulas run past the right edge at 390 px"


def test_run_box_fits_a_phone_screen(browser):
    """The run box's long commands and file names wrap inside it at 390 px."""
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto((HTML / "notebooks/03-6-convolutional-neural-networks.html").as_uri(),
              wait_until="load")
    outside = page.evaluate("""(() => {
        const box = document.querySelector('.run-box').getBoundingClientRect();
        return Array.from(document.querySelectorAll('.run-box code'))
            .filter(c => c.getBoundingClientRect().right > box.right + 1).length;
    })()""")
    page.close()
    assert outside == 0, f"{outside} code spans run out of the run box at 390 px"
