"""Generate the book's claims ledger and run-time report from executed notebooks.

Nothing here is typed by hand: the claims come from the outputs that
``helpers.check_claim`` left in each ``notebooks/*.ipynb`` (MIME type
``application/vnd.cs329p.claim+json``), and the times from the record that
``tools/dev.py execute`` writes into each notebook's metadata. The Sphinx
extension ``book/_ext/cs329p_book.py`` puts the tables into the pages.
"""

from __future__ import annotations

import re
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
    kind: str = "course"
    repeats: int | None = None
    spread: str | None = None
    deterministic: bool = False
    number: int = 0
    """Position of the claim among its notebook's claims, from 1 (its anchor's N)."""

    @property
    def contradicts(self) -> bool:
        return "contradicts" in self.status

    @property
    def anchor(self) -> str:
        return claim_anchor(self.number)


def claim_anchor(number: int) -> str:
    """The HTML id of a lecture's ``number``-th claim (the extension renders it)."""
    return f"claim-{number}"


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
        number = 0
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                record = output.get("data", {}).get(CLAIM_MIME)
                if record:
                    number += 1
                    rows.append(LedgerRow(docname=f"notebooks/{path.stem}", number=number,
                                          **record))
    return rows


def collect_runtimes(notebooks: Path) -> list[tuple[str, str, float | None]]:
    """(docname, title, seconds) for every executed notebook; None when never executed."""
    result = []
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        seconds = nb.metadata.get(RECORD_KEY, {}).get("execution_seconds")
        result.append((f"notebooks/{path.stem}", lecture_title(nb, path.stem), seconds))
    return result


def _text(text: str) -> str:
    """Claim text for a Markdown line: no accidental math, HTML or line breaks."""
    return (text.replace("\\", "\\\\").replace("$", "\\$").replace("<", "&lt;")
            .replace("\n", " "))


def _claim_link(row: LedgerRow, label: str) -> str:
    return f'<a href="../{row.docname}.html#{row.anchor}">{label}</a>'


def _measured(row: LedgerRow) -> str:
    text = f"`{row.measured}`"
    if row.deterministic:
        text += " (no randomness)"
    if row.repeats is not None:
        text += f" ± `{row.spread}` (sd over {row.repeats} repeats)"
    return text


def _claim_item(row: LedgerRow) -> str:
    mark = "⚠" if row.contradicts else "✔"
    status = " **Contradicts the notes.**" if row.contradicts else ""
    statement = _text(row.statement).rstrip()
    statement += "" if statement.endswith((".", "!", "?")) else "."
    return (f"- {_claim_link(row, f'{mark}&nbsp;#{row.number}')} {statement}"
            f"{status} Measured {_measured(row)}, required `{row.requirement}`.")


def claims_ledger_markdown(notebooks: Path) -> str:
    """The ledger: summary, the claims contradicting the notes, one section per lecture.

    Course claims are listed with their numbers, each linking to its verdict box on the
    lecture page (``#claim-N``); implementation checks are counted per lecture.
    """
    rows = collect_claims(notebooks)
    if not rows:
        return "*No notebook has recorded a claim yet.*"
    titles = {doc: title for doc, title, _ in collect_runtimes(notebooks)}
    lectures: dict[str, list[LedgerRow]] = {}
    for r in rows:
        lectures.setdefault(r.docname, []).append(r)
    course = [r for r in rows if r.kind != "check"]
    contradicting = [r for r in course if r.contradicts]
    checks = len(rows) - len(course)
    lines = [f"**{len(rows)} claims from {len(lectures)} lectures:** {len(course)} course "
             f"claims, of which {len(contradicting)} contradict the notes, and {checks} "
             "implementation checks.", "",
             "| Lecture | Claims | ⚠ | Checks |", "|---|---:|---:|---:|"]
    for doc, group in lectures.items():
        n_course = sum(r.kind != "check" for r in group)
        n_contra = sum(r.kind != "check" and r.contradicts for r in group)
        lines.append(f"| {{doc}}`{_text(titles.get(doc, doc))} </{doc}>` | {n_course} "
                     f"| {n_contra} | {len(group) - n_course} |")
    if contradicting:
        lines += ["", "## Claims that contradict the notes", "",
                  "On our data the notes' claim does not hold; the lecture asserts what "
                  "does instead.", ""]
        lines += [f"{_claim_item(r)} ({{doc}}`{_text(titles.get(r.docname, r.docname))} "
                  f"</{r.docname}>`)" for r in contradicting]
    for doc, group in lectures.items():
        n_course = sum(r.kind != "check" for r in group)
        n_contra = sum(r.kind != "check" and r.contradicts for r in group)
        lines += ["", f"## {_text(titles.get(doc, doc))}", "",
                  f"{n_course} course claims ({n_contra} contradicting the notes) and "
                  f"{len(group) - n_course} implementation checks; "
                  f"{{doc}}`open the lecture </{doc}>`.", ""]
        lines += [_claim_item(r) for r in group if r.kind != "check"]
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


def _lock_pins(lock: Path) -> list[tuple[str, str]]:
    pins = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins.append((name.strip(), version.strip()))
    return pins


def provenance_markdown(notebooks: Path, lock: Path) -> str:
    """When, where and against which lock every lecture was last executed.

    Reads the record ``tools/dev.py execute`` leaves in each notebook's metadata
    (date, machine, SHA-256 of the lock file) and the pins of ``lock``.
    """
    import hashlib

    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    lines = ["| Lecture | Executed on | Machine | Against the current lock |",
             "|---|---|---|---|"]
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        record = nb.metadata.get(RECORD_KEY, {})
        current = ("yes" if record.get("lock_sha256") == digest
                   else "**no**" if record.get("lock_sha256") else "unknown")
        lines.append(f"| {{doc}}`/notebooks/{path.stem}` "
                     f"| {record.get('executed_on', 'not recorded')} "
                     f"| {_text(record.get('machine', 'not recorded'))} | {current} |")
    pins = _lock_pins(lock)
    lines += ["", f"The lock file `{lock.name}` pins {len(pins)} packages "
              f"(SHA-256 `{digest[:12]}…`):", "",
              "````{admonition} Package versions", ":class: dropdown", "",
              "| Package | Version |", "|---|---|"]
    lines += [f"| {name} | {version} |" for name, version in pins]
    lines += ["````"]
    return "\n".join(lines)


LECTURE_NUMBER_IN_TEXT = re.compile(r"(?:[1-9]\d?|A)\.[1-9]\d?")


def lecture_number(stem: str) -> str:
    """``03-4-stochastic-...`` -> ``3.4``; ``A-2-training-tips`` -> ``A.2``."""
    part, section = stem.split("-")[:2]
    return f"{part.lstrip('0') or part}.{section}"


def data_needs(data_sources: str, number: str) -> list[tuple[str, str]]:
    """(dataset, how it is loaded) for every row of the data-sources page whose "Used in"
    column names lecture ``number``: the run box's list of a lecture's data and models."""
    needs = []
    for line in data_sources.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and number in LECTURE_NUMBER_IN_TEXT.findall(cells[1]):
            needs.append((cells[0], cells[-1]))
    return needs


def run_box_markdown(stem: str, record: dict, data_sources: str, bundle_href: str) -> str:
    """The "Run this lecture" box of a lecture page: how to run it from a clone or from
    the offline bundle, its last execution time, and the data and models it needs."""
    number = lecture_number(stem)
    prefix = "-".join(stem.split("-")[:2])
    seconds = record.get("execution_seconds")
    timing = (f"about {seconds:.0f} s on 2 CPU cores (last executed "
              f"{record.get('executed_on', 'on an unknown date')})"
              if seconds is not None else "not recorded yet")
    needs = data_needs(data_sources, number)
    data = ("; ".join(f"{name} ({loader})" for name, loader in needs)
            if needs else "only data the lecture generates itself")
    return "\n".join([
        ":::{admonition} Run this lecture",
        ":class: tip run-box",
        "",
        f"**Run time:** {timing}. **Data and models:** {data}. All of it is installed "
        "with the pinned packages; nothing is downloaded while the lecture runs.",
        "",
        f"- **From a clone** of the repository: `python3.11 tools/dev.py execute {prefix}` "
        "runs it in a fresh kernel and compares every number with this page; "
        "`python3.11 tools/dev.py lab` opens it in JupyterLab.",
        f"- **Without a clone:** download the <a href=\"{bundle_href}\" download>offline "
        "bundle</a> (every lecture, the `helpers` package and the lock), unzip it and "
        "follow its README, then run "
        f"`.venv/bin/jupyter execute --inplace notebooks/{stem}.ipynb`.",
        ":::",
    ])
