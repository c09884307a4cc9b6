"""Compare a notebook cell's new outputs with its stored ones: text exactly, numbers
within their printed precision.

The regression suite (nbval, through ``notebooks/conftest.py``) and the review step
of ``tools/dev.py execute`` both use :func:`compare_outputs`, so what fails a test is
exactly what ``execute`` refuses to store without ``--accept``.

Rules
-----
- Every text output (streams, ``text/plain``, ``text/html``, ``text/markdown``, errors)
  is split into numbers and the text between them. The text must match exactly
  (runs of spaces count as one space: table padding follows the digits printed).
- Two numbers match when they differ by at most one unit of the last digit printed in
  the stored one (``0.45`` vs ``0.46``: unit 0.01; ``1.23e+03`` vs ``1.24e+03``: unit
  10; ``152`` vs ``153``: unit 1). A printed ``0`` (an exact zero) matches only zero.
- A cell may loosen this with a tag ``nbval-tolerance-abs-X`` or ``nbval-tolerance-rel-X``
  (X a decimal number), justified by a ``# tolerance: why`` comment in the cell.
- Claim records (``application/vnd.cs329p.claim+json``): statement, requirement,
  status, kind, repeats and deterministic exactly; measured value and spread as numbers.
- Images and metadata are never compared (bitmaps differ between machines).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

CLAIM_MIME = "application/vnd.cs329p.claim+json"
SKIPPED_KEYS = frozenset({
    "metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
    "transient", "application/vnd.jupyter.widget-view+json",
})
IMAGE_PREFIX = "image/"
TOLERANCE_TAG = re.compile(r"^nbval-tolerance-(abs|rel)-(\d+(?:\.\d+)?(?:e-?\d+)?)$")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w)")
SPACES = re.compile(r"[ \t]+")
TAG = re.compile(r"<[^>]+>")
CLAIM_EXACT_FIELDS = ("statement", "requirement", "status", "kind", "repeats",
                      "deterministic")
CLAIM_NUMBER_FIELDS = ("measured", "spread")


@dataclass(frozen=True)
class Tolerance:
    """Extra tolerance a cell declares with a tag, on top of the printed precision."""

    abs: float = 0.0
    rel: float = 0.0

    @classmethod
    def from_tags(cls, tags: Iterable[str]) -> Tolerance:
        """Read ``nbval-tolerance-abs-X`` / ``nbval-tolerance-rel-X`` tags."""
        values = {"abs": 0.0, "rel": 0.0}
        for tag in tags:
            match = TOLERANCE_TAG.match(tag)
            if match:
                values[match.group(1)] = float(match.group(2))
        return cls(**values)


@dataclass(frozen=True)
class Difference:
    """One way a new output differs from the stored one."""

    where: str  # the output key: "stdout", "text/plain", "claim measured", ...
    stored: str
    new: str
    context: str = ""  # the stored line the difference is on

    def describe(self) -> str:
        line = f"  {self.where}: stored {self.stored!s} -> new {self.new!s}"
        if self.context:
            line += f"\n      in: {self.context}"
        return line


# --------------------------------------------------------------------------- numbers


def printed_unit(text: str) -> float:
    """One unit of the last digit printed in ``text`` (``"0.45"`` -> 0.01)."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def numbers_match(stored: str, new: str, tolerance: Tolerance = Tolerance()) -> bool:
    """Whether two printed numbers agree within the stored one's printed precision."""
    a, b = float(stored), float(new)
    if a == b:
        return True
    if _is_exact_zero(stored) or _is_exact_zero(new):
        return tolerance.abs > 0 and abs(a - b) <= tolerance.abs
    allowed = printed_unit(stored) * (1 + 1e-9) + tolerance.abs
    allowed += tolerance.rel * max(abs(a), abs(b))
    return abs(a - b) <= allowed


def _is_exact_zero(text: str) -> bool:
    return text.lstrip("+-") == "0"


def _split(text: str) -> tuple[list[str], list[str]]:
    """Split ``text`` into the text between numbers and the numbers."""
    pieces = NUMBER.split(text)
    return [SPACES.sub(" ", p) for p in pieces], NUMBER.findall(text)


def _line_of(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start:end if end >= 0 else None]
    line = html.unescape(TAG.sub(" ", line))
    return SPACES.sub(" ", line).strip()[:160]


def compare_text(where: str, stored: str, new: str,
                 tolerance: Tolerance = Tolerance()) -> list[Difference]:
    """Differences between two texts: the words exactly, numbers within tolerance."""
    if stored == new:
        return []
    stored_text, stored_numbers = _split(stored)
    new_text, new_numbers = _split(new)
    if stored_text != new_text or len(stored_numbers) != len(new_numbers):
        return [_text_difference(where, stored, new)]
    differences = []
    positions = [m.start() for m in NUMBER.finditer(stored)]
    for position, a, b in zip(positions, stored_numbers, new_numbers, strict=True):
        if not numbers_match(a, b, tolerance):
            differences.append(Difference(where, a, b, _line_of(stored, position)))
    return differences


def _text_difference(where: str, stored: str, new: str) -> Difference:
    """The first differing line of two texts."""
    stored_lines, new_lines = stored.splitlines(), new.splitlines()
    for index in range(max(len(stored_lines), len(new_lines))):
        a = stored_lines[index] if index < len(stored_lines) else "<no line>"
        b = new_lines[index] if index < len(new_lines) else "<no line>"
        if SPACES.sub(" ", a) != SPACES.sub(" ", b):
            return Difference(f"{where} (text, line {index + 1})", _show(a), _show(b))
    return Difference(f"{where} (text)", _show(stored), _show(new))


def _show(text: str) -> str:
    text = html.unescape(TAG.sub(" ", text)) if "<" in text else text
    text = SPACES.sub(" ", text).strip()
    return repr(text[:157] + "..." if len(text) > 160 else text)


# --------------------------------------------------------------------------- outputs


Sanitizer = Callable[[str], str]


def _identity(text: str) -> str:
    return text


def _as_text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def flatten(outputs: Sequence[Mapping], sanitize: Sanitizer = _identity) -> dict[str, list]:
    """Group the comparable parts of a cell's outputs by key, in order.

    Streams of the same name are joined (as nbval does); images, metadata and
    tracebacks are left out.
    """
    flat: dict[str, list] = {}
    streams: dict[str, int] = {}
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            name, text = output.get("name", "stdout"), sanitize(_as_text(output.get("text", "")))
            if name in streams:
                flat[name][streams[name]] += text
            else:
                streams[name] = len(flat.setdefault(name, []))
                flat[name].append(text)
        elif kind == "error":
            flat.setdefault("error", []).append(
                sanitize(f"{output.get('ename')}: {output.get('evalue')}"))
        else:
            for key, value in output.get("data", {}).items():
                if key in SKIPPED_KEYS or key.startswith(IMAGE_PREFIX):
                    continue
                value = value if isinstance(value, dict) else sanitize(_as_text(value))
                flat.setdefault(key, []).append(value)
    return flat


def compare_outputs(stored: Sequence[Mapping], new: Sequence[Mapping],
                    tolerance: Tolerance = Tolerance(),
                    sanitize: Sanitizer = _identity) -> list[Difference]:
    """Every difference between a cell's stored and new outputs beyond tolerance.

    When a claim record differs, the text and Markdown forms of the same claim are
    not reported again; when ``text/plain`` differs, neither is ``text/html``.
    """
    old, now = flatten(stored, sanitize), flatten(new, sanitize)
    differences: list[Difference] = []
    for key in sorted(old.keys() | now.keys(), key=_report_order):
        if key not in now:
            differences.append(Difference(key, "present", "missing"))
            continue
        if key not in old:
            differences.append(Difference(key, "absent", _show(_as_text(now[key][0]))))
            continue
        if len(old[key]) != len(now[key]):
            differences.append(Difference(key, f"{len(old[key])} outputs",
                                          f"{len(now[key])} outputs"))
            continue
        for a, b in zip(old[key], now[key], strict=True):
            if key == CLAIM_MIME:
                differences.extend(compare_claims(a, b, tolerance))
            else:
                differences.extend(compare_text(key, a, b, tolerance))
    return _without_echoes(differences)


def _report_order(key: str) -> tuple[int, str]:
    order = [CLAIM_MIME, "error", "stdout", "text/plain", "stderr"]
    return (order.index(key) if key in order else len(order), key)


def _without_echoes(differences: list[Difference]) -> list[Difference]:
    """Drop differences that repeat one already reported in a richer form."""
    keys = {d.where.split(" (")[0] for d in differences}
    echoes = set()
    if any(k.startswith("claim") for k in keys):
        echoes |= {"text/plain", "text/markdown"}
    if "text/plain" in keys:
        echoes |= {"text/html", "text/markdown"}
    return [d for d in differences if d.where.split(" (")[0] not in echoes]


def compare_claims(stored: Mapping, new: Mapping,
                   tolerance: Tolerance = Tolerance()) -> list[Difference]:
    """Differences between two claim records (see the module's rules)."""
    statement = stored.get("statement", "")
    differences = []
    for field in CLAIM_EXACT_FIELDS:
        if stored.get(field) != new.get(field):
            differences.append(Difference(f"claim {field}", repr(stored.get(field)),
                                          repr(new.get(field)), statement))
    for field in CLAIM_NUMBER_FIELDS:
        a, b = stored.get(field), new.get(field)
        if a == b:
            continue
        if a is None or b is None:
            differences.append(Difference(f"claim {field}", repr(a), repr(b), statement))
            continue
        for d in compare_text(f"claim {field}", str(a), str(b), tolerance):
            differences.append(Difference(d.where, d.stored, d.new, statement))
    return differences


def equivalent(stored: Sequence[Mapping], new: Sequence[Mapping],
               tolerance: Tolerance = Tolerance(), sanitize: Sanitizer = _identity) -> bool:
    """Whether the new outputs match the stored ones under the rules above."""
    return not compare_outputs(stored, new, tolerance, sanitize)


# --------------------------------------------------------------------------- sanitizing


def read_sanitize_patterns(text: str) -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of an nbval sanitize file."""
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)


def make_sanitizer(patterns: Iterable[tuple[str, str]]) -> Sanitizer:
    """A function applying the sanitize file's substitutions in order."""
    compiled = [(re.compile(regex), replace) for regex, replace in patterns]

    def sanitize(text: str) -> str:
        for regex, replace in compiled:
            text = regex.sub(replace, text)
        return text

    return sanitize


# --------------------------------------------------------------------------- locating


def cell_location(cells: Sequence[Mapping], index: int) -> str:
    """Where cell ``index`` is, for a person: section heading and the cell's first line."""
    heading = "(before the first heading)"
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            titles = [ln for ln in _as_text(cell.get("source", "")).splitlines()
                      if ln.startswith("#")]
            if titles:
                heading = titles[-1].lstrip("#").strip()
                break
    lines = [ln for ln in _as_text(cells[index].get("source", "")).splitlines()
             if ln.strip()]
    first = lines[0].strip() if lines else "(empty cell)"
    code_number = sum(1 for c in cells[:index] if c.get("cell_type") == "code") + 1
    return f'section "{heading}", code cell {code_number} starting `{first[:80]}`'


def lecture_title(cells: Sequence[Mapping], fallback: str) -> str:
    """The first level-1 heading of a notebook."""
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in _as_text(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback
