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
