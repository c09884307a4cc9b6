"""The claims ledger and run-time report are generated from executed notebooks."""

from __future__ import annotations

import nbformat
from book_pages import (
    claims_ledger_markdown,
    collect_claims,
    collect_runtimes,
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


def test_ledger_table_has_a_row_per_claim_with_measured_value_and_status(tmp_path):
    _write_notebook(tmp_path, "03-4-sgd", "3.4 SGD",
                    [check_claim("a | b", 0.001, at_most=0.01)])
    table = claims_ledger_markdown(tmp_path)
    assert "| {doc}`/notebooks/03-4-sgd` | a \\| b | 0.001 | <= 0.01 | holds |" in table
    assert table.startswith("1 claims from 1 lectures.")


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
