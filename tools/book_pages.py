"""Generate the book's claims ledger and run-time report from executed notebooks.

Nothing here is typed by hand: the claims come from the outputs that
``helpers.check_claim`` left in each ``notebooks/*.ipynb`` (MIME type
``application/vnd.cs329p.claim+json``), and the times from the record that
``tools/dev.py execute`` writes into each notebook's metadata. The Sphinx
extension ``book/_ext/cs329p_book.py`` puts the tables into the pages.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import nbformat
from notebook_pipeline import RECORD_KEY

from helpers.claims import CLAIM_MIME

NOTEBOOK_BUDGET_S = 60.0
MEDIAN_BUDGET_S = 15.0


@dataclass(frozen=True)
class LedgerRow:
    docname: str
    statement: str
    measured: str
    requirement: str
    status: str


def lecture_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first level-1 heading of the notebook (e.g. ``3.4 Stochastic Gradient Descent``)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def collect_claims(notebooks: Path) -> list[LedgerRow]:
    """Every claim recorded in the stored outputs of ``notebooks/*.ipynb``, in course order."""
    rows = []
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                record = output.get("data", {}).get(CLAIM_MIME)
                if record:
                    rows.append(LedgerRow(docname=f"notebooks/{path.stem}", **record))
    return rows


def collect_runtimes(notebooks: Path) -> list[tuple[str, str, float | None]]:
    """(docname, title, seconds) for every executed notebook; None when never executed."""
    result = []
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        seconds = nb.metadata.get(RECORD_KEY, {}).get("execution_seconds")
        result.append((f"notebooks/{path.stem}", lecture_title(nb, path.stem), seconds))
    return result


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def claims_ledger_markdown(notebooks: Path) -> str:
    """A MyST table: lecture, claim, measured value, requirement, status."""
    rows = collect_claims(notebooks)
    if not rows:
        return "*No notebook has recorded a claim yet.*"
    lines = [f"{len(rows)} claims from {len({r.docname for r in rows})} lectures.", "",
             "| Lecture | Claim | Measured | Required | Status |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {{doc}}`/{r.docname}` | {_cell(r.statement)} | {_cell(r.measured)} "
                     f"| {_cell(r.requirement)} | {_cell(r.status)} |")
    return "\n".join(lines)


def runtime_report_markdown(notebooks: Path) -> str:
    """A MyST table of execution times with total, median and the budgets."""
    rows = collect_runtimes(notebooks)
    if not rows:
        return "*No notebook has been executed yet.*"
    times = [s for _, _, s in rows if s is not None]
    lines = ["| Lecture | Execution time (s) | Within the 60 s budget |", "|---|---:|---|"]
    for docname, _, seconds in rows:
        if seconds is None:
            lines.append(f"| {{doc}}`/{docname}` | not recorded | unknown |")
        else:
            ok = "yes" if seconds <= NOTEBOOK_BUDGET_S else "**no**"
            lines.append(f"| {{doc}}`/{docname}` | {seconds:.1f} | {ok} |")
    if times:
        median = statistics.median(times)
        lines += ["", f"**Total:** {sum(times):.1f} s over {len(times)} notebooks; "
                      f"**median:** {median:.1f} s (budget {MEDIAN_BUDGET_S:.0f} s); "
                      f"**slowest:** {max(times):.1f} s (budget {NOTEBOOK_BUDGET_S:.0f} s)."]
    return "\n".join(lines)
