"""The notebook pipeline: prose-only sync, review of re-executed outputs, staleness."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import notebook_pipeline
import pytest
from notebook_pipeline import (
    RECORD_KEY,
    execute_notebook,
    find_notebooks,
    inputs_digest,
    read_source,
    review,
    stale_reasons,
    strip_volatile,
    sync_prose,
)

ROOT = Path(__file__).resolve().parent.parent

MD = """\
---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# 9.9 Example

{prose}

```{{code-cell}} ipython3
{code}
```
"""


def _executed_pair(folder, prose="Old prose.", code="print(1)"):
    md = folder / "09-9-example.md"
    md.write_text(MD.format(prose=prose, code=code))
    nb = read_source(md)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[1].execution_count = 1
    nb.metadata[RECORD_KEY] = {"inputs_sha256": inputs_digest(nb)}
    nbformat.write(nb, md.with_suffix(".ipynb"))
    return md


def test_sync_copies_edited_prose_and_keeps_outputs(tmp_path):
    md = _executed_pair(tmp_path)
    md.write_text(MD.format(prose="New prose.", code="print(1)"))
    sync_prose(md)
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    assert "New prose." in nb.cells[0].source
    assert nb.cells[1].outputs[0]["text"] == "1\n"


def test_sync_refuses_when_code_changed(tmp_path):
    md = _executed_pair(tmp_path)
    md.write_text(MD.format(prose="Old prose.", code="print(2)"))
    with pytest.raises(SystemExit, match="code cells changed"):
        sync_prose(md)


def test_sync_copies_an_edited_figure_caption(tmp_path):
    md = _executed_pair(tmp_path)
    caption = "---\nmystnb:\n  figure:\n    caption: The new caption.\n---\nprint(1)"
    md.write_text(MD.format(prose="Old prose.", code=caption))
    sync_prose(md)
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    assert nb.cells[1].metadata["mystnb"]["figure"]["caption"] == "The new caption."


def test_strip_volatile_keeps_tags_captions_and_image_display_size():
    cell = nbformat.v4.new_code_cell("plt.show()", metadata={
        "tags": ["solution"], "mystnb": {"figure": {"caption": "C."}},
        "collapsed": True, "execution": {"iopub.execute_input": "2026-12-06"}})
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"},
        metadata={"image/png": {"width": 576, "height": 345}, "needs_background": "light"})]
    nb = nbformat.v4.new_notebook(cells=[cell])
    kept = strip_volatile(nb).cells[0]
    assert kept.metadata == {"tags": ["solution"], "mystnb": {"figure": {"caption": "C."}}}
    assert kept.outputs[0].metadata == {"image/png": {"width": 576, "height": 345}}


# --------------------------------------------------------------------------- review


def _notebook(*cells):
    """A notebook of (source, stdout) code cells under one heading."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# 5.3 Boosting\n\n## Early stopping"))
    for count, (source, text) in enumerate(cells, start=1):
        cell = nbformat.v4.new_code_cell(source)
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        nb.cells.append(cell)
    return nb


def test_review_reports_a_moved_number_with_its_section_and_cell():
    stored = _notebook(("print(stop)", "stopped at 152\n"))
    new = _notebook(("print(stop)", "stopped at 143\n"))
    result = review(stored, new, "05-3-boosting")
    text = result.describe()
    assert len(result.changes) == 1
    assert 'section "Early stopping"' in text and "`print(stop)`" in text
    assert "stored 152 -> new 143" in text


def test_review_keeps_stored_outputs_that_agree_within_precision():
    stored = _notebook(("print(f1)", "F1 0.45\n"))
    new = _notebook(("print(f1)", "F1 0.46\n"))
    result = review(stored, new, "11-2")
    assert not result.changes and result.kept_cells == 1
    assert new.cells[1].outputs[0]["text"] == "F1 0.45\n"


def test_review_takes_outputs_of_edited_cells_as_new():
    stored = _notebook(("print(1)", "1\n"))
    new = _notebook(("print(2)", "2\n"))
    result = review(stored, new, "x")
    assert not result.changes and result.new_cells == 1


def test_review_skips_cells_whose_output_is_ignored():
    stored = _notebook(("t = time()", "0.24 ms\n"))
    new = _notebook(("t = time()", "0.28 ms\n"))
    new.cells[1].metadata["tags"] = ["nbval-ignore-output"]
    assert not review(stored, new, "x").changes


# --------------------------------------------------------------------------- staleness


def test_find_notebooks_accepts_a_section_prefix():
    assert [p.stem for p in find_notebooks(ROOT / "notebooks", ["05-3"])] == ["05-3-boosting"]


@pytest.fixture
def recorded_lecture(tmp_path, monkeypatch):
    """An executed lecture in a project at ``tmp_path`` whose record says it imported
    ``helpers/ensembles.py``, with a lock file; returns the lecture's ``.md``."""
    monkeypatch.setattr(notebook_pipeline, "ROOT", tmp_path)
    monkeypatch.setattr(notebook_pipeline, "LOCK_FILE", tmp_path / "constraints.txt")
    (tmp_path / "constraints.txt").write_text("numpy==2\n")
    module = tmp_path / "helpers" / "ensembles.py"
    module.parent.mkdir()
    module.write_text("x = 1\n")
    md = _executed_pair(tmp_path)
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    nb.metadata[RECORD_KEY].update(
        helpers_files={"helpers/ensembles.py": notebook_pipeline.file_digest(module)},
        lock_sha256=notebook_pipeline.lock_digest())
    nbformat.write(nb, md.with_suffix(".ipynb"))
    assert stale_reasons(md) == []
    return md


def test_a_comment_in_an_imported_helpers_module_makes_the_lecture_stale(recorded_lecture,
                                                                         tmp_path):
    (tmp_path / "helpers" / "ensembles.py").write_text("# a comment\nx = 1\n")
    assert stale_reasons(recorded_lecture) == ["changed: helpers/ensembles.py"]


def test_a_helpers_module_the_lecture_did_not_import_never_makes_it_stale(recorded_lecture,
                                                                          tmp_path):
    (tmp_path / "helpers" / "boosting.py").write_text("y = 2\n")
    (tmp_path / "helpers" / ".DS_Store").write_text("junk")
    assert stale_reasons(recorded_lecture) == []


def test_a_changed_lock_makes_a_lecture_stale(recorded_lecture, tmp_path):
    (tmp_path / "constraints.txt").write_text("numpy==3\n")
    assert stale_reasons(recorded_lecture) == ["constraints.txt changed"]


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def kernel_env():
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("CS329P_NETGUARD", None)
    return env


def test_execute_records_the_helpers_modules_the_lecture_imported(tmp_path, kernel_env):
    md = tmp_path / "09-9-example.md"
    md.write_text(MD.format(prose="Prose.", code="from helpers.ensembles import *\nprint(1)"))
    result = execute_notebook(md, env=kernel_env)
    record = nbformat.read(md.with_suffix(".ipynb"), as_version=4).metadata[RECORD_KEY]
    assert result.written
    assert "helpers/ensembles.py" in record["helpers_files"]
    assert "helpers/boosting.py" not in record["helpers_files"]


def _executed_with_other_baseline(folder, env, prose, code, stored_text):
    """Execute a one-cell lecture, then replace its stored output by ``stored_text``."""
    md = folder / "09-9-example.md"
    md.write_text(MD.format(prose=prose, code=code))
    execute_notebook(md, env=env)
    ipynb = md.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    nb.cells[1].outputs[0]["text"] = stored_text
    nbformat.write(nb, ipynb)
    return md


def test_execute_refuses_to_store_a_changed_number_without_accept(tmp_path, kernel_env):
    md = _executed_with_other_baseline(tmp_path, kernel_env, "Prose.",
                                       "print('stopped at', 100 + 52)", "stopped at 143\n")
    ipynb = md.with_suffix(".ipynb")
    result = execute_notebook(md, env=kernel_env)
    assert not result.written
    assert "stored 143 -> new 152" in result.review.describe()
    assert "143" in nbformat.read(ipynb, as_version=4).cells[1].outputs[0]["text"]
    assert execute_notebook(md, env=kernel_env, accept=True).written


def test_accepted_run_is_stored_whole_also_cells_within_tolerance(tmp_path, kernel_env):
    md = tmp_path / "09-9-example.md"
    two_cells = "print('slow', 3)\n```\n\n```{code-cell} ipython3\nprint('stopped at', 152)"
    md.write_text(MD.format(prose="Prose.", code=two_cells))
    execute_notebook(md, env=kernel_env)
    ipynb = md.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    nb.cells[1].outputs[0]["text"] = "slow 4\n"         # within one unit: kept if reviewed
    nb.cells[2].outputs[0]["text"] = "stopped at 143\n"  # beyond tolerance
    nbformat.write(nb, ipynb)
    assert execute_notebook(md, env=kernel_env, accept=True).written
    stored = nbformat.read(ipynb, as_version=4)
    assert [c.outputs[0]["text"] for c in stored.cells[1:]] == ["slow 3\n",
                                                                "stopped at 152\n"]


def test_nbval_failure_names_lecture_section_and_cell(tmp_path, kernel_env):
    md = _executed_with_other_baseline(tmp_path, kernel_env, "## Early stopping",
                                       "print('stopped at', 152)", "stopped at 143\n")
    ipynb = md.with_suffix(".ipynb")
    (tmp_path / "conftest.py").write_text((ROOT / "notebooks" / "conftest.py").read_text())
    env = dict(kernel_env, PYTHONPATH=str(ROOT / "tools"))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-current-env", str(ipynb)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stdout
    assert "lecture 9.9 Example (09-9-example)" in proc.stdout
    assert 'section "Early stopping"' in proc.stdout
    assert "stored 143 -> new 152" in proc.stdout


def test_consecutive_pieces_of_one_stream_are_stored_as_one_output():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('x')")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="revenue on 5 markets:"),
        nbformat.v4.new_output("stream", name="stdout", text=" [0.62, 0.61]\n"),
        nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
        nbformat.v4.new_output("stream", name="stdout", text="done\n"),
    ]
    notebook_pipeline.coalesce_streams(nb)
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [
        ("stdout", "revenue on 5 markets: [0.62, 0.61]\n"), ("stderr", "warning\n"),
        ("stdout", "done\n")]
