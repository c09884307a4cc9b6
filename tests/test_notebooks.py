"""Gates on the lecture notebooks themselves: pairing, staleness, structure.

The ``.md`` is the truth for inputs. ``tools/dev.py execute NAME`` rebuilds the
``.ipynb`` from it, executes it, and records hashes; these tests fail when someone
edited one twin without the other, or changed a lecture or ``helpers`` without
re-executing.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from notebook_pipeline import RECORD_KEY, helpers_digest, inputs_digest, read_source

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.md"))
IPYNBS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _cells(nb):
    return [(c.cell_type, c.source.strip(), sorted(c.get("metadata", {}).get("tags", [])))
            for c in nb.cells]


def test_there_are_lectures():
    assert SOURCES, "no notebooks/*.md found"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_every_source_has_its_ipynb_twin(md):
    assert md.with_suffix(".ipynb").exists(), f"run: python3 tools/dev.py execute {md.stem}"


@pytest.mark.parametrize("ipynb", IPYNBS, ids=lambda p: p.stem)
def test_every_ipynb_has_its_source_twin(ipynb):
    assert ipynb.with_suffix(".md").exists(), f"{ipynb.name} has no MyST source"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_ipynb_inputs_match_the_markdown_source(md):
    stored = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    assert _cells(stored) == _cells(read_source(md)), (
        f"{md.name} and its .ipynb differ; the .md is the truth: "
        f"python3 tools/dev.py execute {md.stem}")


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_stored_outputs_come_from_the_current_inputs(md):
    record = nbformat.read(md.with_suffix(".ipynb"), as_version=4).metadata.get(RECORD_KEY, {})
    assert record.get("inputs_sha256") == inputs_digest(read_source(md)), (
        f"code of {md.name} changed since its outputs were produced: "
        f"python3 tools/dev.py execute {md.stem}")


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_stored_outputs_come_from_the_current_helpers(md):
    record = nbformat.read(md.with_suffix(".ipynb"), as_version=4).metadata.get(RECORD_KEY, {})
    assert record.get("helpers_sha256") == helpers_digest(), (
        f"helpers/ changed since {md.stem} was executed: python3 tools/dev.py execute")


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_every_code_cell_was_executed(md):
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    unrun = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and c.execution_count is None]
    assert not unrun, f"cells {unrun} of {md.stem} have no execution count"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_volatile_metadata_is_stripped(md):
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    assert set(nb.metadata) <= {"kernelspec", "jupytext", RECORD_KEY}
    for cell in nb.cells:
        assert set(cell.metadata) <= {"tags"}, cell.metadata


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_lecture_declares_the_python3_kernel(md):
    assert read_source(md).metadata.get("kernelspec", {}).get("name") == "python3"


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

