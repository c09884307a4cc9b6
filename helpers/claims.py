"""Claims as tests: check a claim of the course notes against a measurement.

Every lecture states the claims of its section of the notes ("a too-large learning
rate diverges", "bagging reduces variance most for unstable learners", ...),
measures them, and calls :func:`check_claim`. A claim that fails raises
:class:`ClaimFailed`, which fails the notebook and so the test suite. A claim that
holds is displayed and carries a machine-readable record (MIME type
:data:`CLAIM_MIME`) from which the book's claims ledger is generated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from numbers import Integral

from helpers.checks import boundary, check_real, one_of
from helpers.repro import fmt

CLAIM_MIME = "application/vnd.cs329p.claim+json"
ROUNDOFF = 1e-9
"""Measured magnitudes below this are floating-point round-off: shown as a bound."""
KINDS = ("course", "check")
"""``course``: a claim about the world (the notes' or the book's); ``check``: an
implementation check or identity (ours equals the reference, autograd equals the formula)."""


class ClaimFailed(AssertionError):
    """A claim of the notes was not supported by the measurement."""


@dataclass(frozen=True)
class Claim:
    """A checked claim: what was claimed, what was measured, and what was required.

    Attributes
    ----------
    statement : str
        The claim in words, as the book states it.
    measured : str
        The measured value, formatted with :func:`helpers.repro.fmt`.
    requirement : str
        The condition the measurement had to meet, e.g. ``"<= 0.05"``.
    status : str
        ``"holds"``, or ``"holds; contradicts the notes"`` when the lecture shows that
        the notes' claim does not hold on our data and asserts what does.
    kind : str
        ``"course"`` or ``"check"`` (see :data:`KINDS`).
    repeats : int or None
        How many seeds, splits or resamples the measurement averages over.
    spread : str or None
        Their standard deviation, to one significant digit.
    deterministic : bool
        True when no randomness enters the measurement (fixed data, no split, no
        seed, no initialisation): every repeat would print the same number.
    """

    statement: str
    measured: str
    requirement: str
    status: str
    kind: str = "course"
    repeats: int | None = None
    spread: str | None = None
    deterministic: bool = False

    def record(self) -> dict[str, object]:
        """The fields the claims ledger needs (``repeats``/``spread``, ``deterministic``
        only when given)."""
        record = asdict(self)
        if self.repeats is None:
            del record["repeats"], record["spread"]
        if not self.deterministic:
            del record["deterministic"]
        return record

    def _measured_text(self) -> str:
        if self.deterministic:
            return f"{self.measured}, no randomness"
        if self.repeats is None:
            return self.measured
        return f"{self.measured} ± {self.spread} (sd over {self.repeats} repeats)"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        mark = "✔" if self.status == "holds" else "✔ (contradicts the notes)"
        label = "Claim" if self.kind == "course" else "Check"
        return {
            "text/plain": (f"{label} {self.status}: {self.statement} "
                           f"(measured {self._measured_text()}, "
                           f"required {self.requirement})"),
            "text/markdown": (f"{mark} **{label}:** {self.statement}  \n"
                              f"measured `{self._measured_text()}`, "
                              f"required {self.requirement}"),
            CLAIM_MIME: self.record(),
        }


def _format_measured(value: float, digits: int) -> str:
    """``fmt(value)``, or ``"< 1e-9"`` when ``value`` is round-off (nonzero, tiny)."""
    if 0 < abs(value) < ROUNDOFF:
        return f"< {ROUNDOFF:.0e}".replace("e-0", "e-")
    return fmt(value, digits)


def _check_real(name: str, value: object) -> float:
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        value = value.item()
    return check_real(name, value, finite=False)


@boundary(kind=one_of(KINDS), deterministic="bool")
def check_claim(
    statement: str,
    measured: object,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    target: float | None = None,
    tol: float | None = None,
    digits: int = 3,
    contradicts_notes: bool = False,
    kind: str = "course",
    repeats: int | None = None,
    spread: float | None = None,
    deterministic: bool = False,
) -> Claim:
    """Check that a measurement supports a claim; raise :class:`ClaimFailed` if not.

    Give a lower bound (``at_least``), an upper bound (``at_most``), both, or a
    ``target`` with an absolute tolerance ``tol``. Used by every lecture.

    Parameters
    ----------
    statement : str
        The claim, in words.
    measured : real number
        The measurement (Python, NumPy or torch scalar). NaN never satisfies a claim.
    at_least, at_most : float, optional
        Inclusive bounds on ``measured``.
    target, tol : float, optional
        ``measured`` must lie within ``tol`` of ``target``.
    digits : int
        Significant digits shown for the measurement (keep it stable across CPUs).
    contradicts_notes : bool
        True when the lecture found that the notes' claim does not hold on our
        data and this call asserts what holds instead; the ledger says so.
    kind : {"course", "check"}
        ``"course"`` for a claim about the world, ``"check"`` for an implementation
        check or identity; the ledger lists them separately.
    repeats, spread : int and float, optional
        For a measurement averaged over seeds, splits or resamples: how many, and
        their standard deviation. Give both or neither. The spread is shown to one
        significant digit: a standard deviation from 5 repeats is itself uncertain by
        about a third, so its second digit is noise (it moved between CPUs).
    deterministic : bool
        True when no randomness enters the measurement: fixed data, no split, no
        sampling, no seed, no initialisation, so every repeat would print the same
        number. A fixed seed does not make a measurement deterministic. A course claim
        gives either ``repeats`` and ``spread`` or ``deterministic=True`` (a test of
        the stored lectures checks it).

    A nonzero ``measured`` below :data:`ROUNDOFF` in magnitude is shown as
    ``"< 1e-9"``: its digits are round-off and differ between CPUs.

    Returns
    -------
    Claim
        Displays as a one-line verdict and carries the ledger record.

    Raises
    ------
    ClaimFailed
        If the measurement does not meet the requirement.
    ValueError, TypeError
        If the requirement is malformed (no bound, ``tol`` without ``target``, ...).
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError("statement must be a non-empty string")
    value = _check_real("measured", measured)
    if (repeats is None) != (spread is None):
        raise ValueError("give repeats and spread together, or neither")
    if deterministic and repeats is not None:
        raise ValueError("a deterministic measurement has no repeats: give one or the other")
    if repeats is not None:
        if isinstance(repeats, bool) or not isinstance(repeats, Integral) or repeats < 2:
            raise ValueError(f"repeats must be an int >= 2, got {repeats!r}")
        spread = _check_real("spread", spread)
        if not spread >= 0:
            raise ValueError(f"spread must be non-negative, got {spread}")
    if target is None and tol is not None:
        raise ValueError("tol is only meaningful together with target")
    if target is not None:
        if at_least is not None or at_most is not None:
            raise ValueError("give either target and tol, or at_least/at_most, not both")
        if tol is None:
            raise ValueError("target needs a tolerance: pass tol=")
        target, tol = _check_real("target", target), _check_real("tol", tol)
        if not tol >= 0:
            raise ValueError(f"tol must be non-negative, got {tol}")
        at_least, at_most = target - tol, target + tol
        requirement = f"within {fmt(tol, digits)} of {fmt(target, digits)}"
    elif at_least is None and at_most is None:
        raise ValueError("a claim needs a requirement: at_least, at_most, or target and tol")
    else:
        at_least = None if at_least is None else _check_real("at_least", at_least)
        at_most = None if at_most is None else _check_real("at_most", at_most)
        if at_least is not None and at_most is not None and at_least > at_most:
            raise ValueError(f"empty requirement: at_least={at_least} > at_most={at_most}")
        parts = []
        if at_least is not None:
            parts.append(f">= {fmt(at_least, digits)}")
        if at_most is not None:
            parts.append(f"<= {fmt(at_most, digits)}")
        requirement = " and ".join(parts)

    ok = not math.isnan(value)
    ok = ok and (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    if not ok:
        raise ClaimFailed(
            f"Claim failed: {statement!r}: measured {fmt(value, digits)}, "
            f"required {requirement}"
        )
    status = "holds; contradicts the notes" if contradicts_notes else "holds"
    return Claim(statement=statement.strip(), measured=_format_measured(value, digits),
                 requirement=requirement, status=status, kind=kind,
                 repeats=None if repeats is None else int(repeats),
                 spread=None if spread is None else fmt(spread, 1),
                 deterministic=deterministic)
