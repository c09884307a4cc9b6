"""Gates on the lecture notebooks themselves: pairing, staleness, structure.

The ``.md`` is the truth for inputs. ``tools/dev.py execute NAME`` rebuilds the
``.ipynb`` from it, executes it, and records hashes; these tests fail when someone
edited one twin without the other, or changed a lecture or ``helpers`` without
re-executing.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbcompare import TOLERANCE_TAG
from notebook_pipeline import RECORD_KEY, read_source, stale_reasons

from helpers.claims import CLAIM_MIME

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.md"))
IPYNBS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _cells(nb):
    """Type, source, tags and myst-nb options (figure captions) of every cell."""
    return [(c.cell_type, c.source.strip(), sorted(c.get("metadata", {}).get("tags", [])),
             json.dumps(c.get("metadata", {}).get("mystnb"), sort_keys=True))
            for c in nb.cells]


def test_there_are_lectures():
    assert SOURCES, "no notebooks/*.md found"


CMD = "python3.11 tools/dev.py"
RESTORE = "or, if a Jupyter save changed it, restore it: git checkout notebooks/{name}"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_every_source_has_its_ipynb_twin(md):
    assert md.with_suffix(".ipynb").exists(), f"run: {CMD} execute {md.stem}"


@pytest.mark.parametrize("ipynb", IPYNBS, ids=lambda p: p.stem)
def test_every_ipynb_has_its_source_twin(ipynb):
    assert ipynb.with_suffix(".md").exists(), f"{ipynb.name} has no MyST source"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_ipynb_inputs_match_the_markdown_source(md):
    stored = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    if _cells(stored) == _cells(read_source(md)):
        return
    code_same = [c[:3] for c in _cells(stored) if c[0] == "code"] == [
        c[:3] for c in _cells(read_source(md)) if c[0] == "code"]
    fix = f"{CMD} sync {md.stem}" if code_same else f"{CMD} execute {md.stem}"
    pytest.fail(f"{md.name} and its .ipynb differ; the .md is the truth: {fix}")


def test_stored_outputs_are_up_to_date():
    """One line per stale lecture, naming what changed, and one command that fixes all."""
    stale = {md.stem: stale_reasons(md) for md in SOURCES}
    stale = {name: reasons for name, reasons in stale.items() if reasons}
    lines = [f"  {name}: {'; '.join(reasons)}" for name, reasons in stale.items()]
    assert not stale, (f"{len(stale)} lecture(s) have stale outputs:\n" + "\n".join(lines)
                       + f"\nRe-execute them (two at a time): {CMD} execute --stale -j 2")


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_looser_tolerances_are_justified_in_the_cell(md):
    for cell in read_source(md).cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if any(TOLERANCE_TAG.match(t) for t in tags):
            assert "# tolerance:" in cell.source, (
                f"{md.stem}: a cell tagged {tags} must say why in a '# tolerance: ...' "
                f"comment:\n{cell.source[:200]}")


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_every_code_cell_was_executed(md):
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    unrun = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and c.execution_count is None]
    assert not unrun, f"cells {unrun} of {md.stem} have no execution count"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_no_printed_line_is_stored_in_pieces(md):
    """Consecutive stream outputs of one name render as separate boxes in the book."""
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    split = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             for a, b in zip(c.outputs, c.outputs[1:], strict=False)
             if a.output_type == b.output_type == "stream" and a.name == b.name]
    assert not split, (f"cells {split} of {md.stem} store one stream in pieces; "
                       f"re-execute it: {CMD} execute {md.stem}")


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_volatile_metadata_is_stripped(md):
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    fix = (f"volatile metadata in {md.stem}.ipynb: re-execute it ({CMD} execute "
           f"{md.stem}), " + RESTORE.format(name=md.stem + ".ipynb"))
    assert set(nb.metadata) <= {"kernelspec", "jupytext", RECORD_KEY}, fix
    for cell in nb.cells:
        assert set(cell.metadata) <= {"tags", "mystnb"}, fix


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_lecture_declares_the_python3_kernel(md):
    name = read_source(md).metadata.get("kernelspec", {}).get("name")
    assert name == "python3", (
        f"{md.name} lost its front matter (kernelspec python3); "
        + RESTORE.format(name=md.name))


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_lecture_title_carries_its_section_number(md):
    first = next(c for c in read_source(md).cells if c.cell_type == "markdown")
    title = first.source.strip().splitlines()[0]
    section = md.stem.split("-")[0].lstrip("0") + "." + md.stem.split("-")[1]
    assert title.startswith(f"# {section} "), f"{md.name}: title {title!r}"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_lecture_starts_with_setup_notebook(md):
    first_code = next(c for c in read_source(md).cells if c.cell_type == "code")
    assert "helpers.setup_notebook(" in first_code.source


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_lecture_checks_at_least_one_claim(md):
    assert "check_claim(" in md.read_text(encoding="utf-8")


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_lecture_has_exercises_with_hidden_solutions(md):
    text = md.read_text(encoding="utf-8")
    assert "## Exercises" in text
    assert text.count(":class: dropdown") >= 2



@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_saving_from_jupyter_rewrites_the_markdown_unchanged(md):
    """JupyterLab saves the .md through notebooks/jupytext.toml, with the metadata a
    kernel adds; the front matter and cells must come out as committed."""
    import jupytext
    from jupytext.config import (
        find_jupytext_configuration_file,
        load_jupytext_configuration_file,
    )

    config = load_jupytext_configuration_file(find_jupytext_configuration_file(str(NOTEBOOKS)))
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    nb.metadata["language_info"] = {"name": "python", "version": "3.11"}
    text = jupytext.writes(nb, fmt={"extension": ".md", "format_name": "myst"}, config=config)
    assert text == md.read_text(encoding="utf-8"), (
        f"saving {md.stem} from Jupyter would change {md.name}: check notebooks/jupytext.toml")


def _uncaptioned_figures(md) -> list[int]:
    """Code cells whose stored outputs draw a figure but carry no caption and name."""
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    missing = []
    for index, cell in enumerate(nb.cells):
        draws = cell.cell_type == "code" and any(
            key.startswith("image/") for output in cell.get("outputs", [])
            for key in output.get("data", {}))
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if draws and not (figure.get("caption") and figure.get("name")):
            missing.append(index)
    return missing


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_every_figure_has_a_caption_and_a_name(md):
    """A figure is numbered, captioned and can be referenced: its cell's ``mystnb``
    metadata sets ``figure: {caption: ..., name: fig-...}``."""
    missing = _uncaptioned_figures(md)
    assert not missing, (f"{md.stem}: figure cells {missing} have no caption and name; "
                         "add them in the .md (see any lecture's figure cells)")


def _course_claims(ipynb: Path) -> list[dict]:
    nb = nbformat.read(ipynb, as_version=4)
    records = [o.get("data", {}).get(CLAIM_MIME) for c in nb.cells
               for o in c.get("outputs", [])]
    return [r for r in records if r and r.get("kind") == "course"]


@pytest.mark.parametrize("ipynb", IPYNBS, ids=lambda p: p.stem)
def test_every_course_claim_is_repeated_or_deterministic(ipynb):
    """Issue 14: a course claim resting on randomness is measured over >= 5 repeats;
    one that is not says so with ``deterministic=True`` (see helpers.check_claim)."""
    bare = [r["statement"] for r in _course_claims(ipynb)
            if "repeats" not in r and not r.get("deterministic")]
    assert not bare, (f"{len(bare)} course claim(s) in {ipynb.stem} give neither repeats "
                      "and spread nor deterministic=True:\n  " + "\n  ".join(bare))


@pytest.mark.parametrize("ipynb", IPYNBS, ids=lambda p: p.stem)
def test_repeated_course_claims_use_at_least_five_repeats(ipynb):
    few = [f"{r['statement']} ({r['repeats']} repeats)" for r in _course_claims(ipynb)
           if r.get("repeats", 5) < 5]
    assert not few, f"course claims over fewer than 5 repeats in {ipynb.stem}: {few}"
