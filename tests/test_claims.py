import math

import numpy as np
import pytest
import torch

from helpers.claims import CLAIM_MIME, Claim, ClaimFailed, check_claim


def test_claim_within_upper_bound_holds():
    claim = check_claim("error is small", 0.01, at_most=0.05)
    assert claim.status == "holds"
    assert claim.requirement == "<= 0.05"


def test_claim_beyond_upper_bound_raises_with_statement_and_values():
    with pytest.raises(ClaimFailed, match=r"error is small.*measured 0\.2.*<= 0\.05"):
        check_claim("error is small", 0.2, at_most=0.05)


def test_claim_below_lower_bound_raises():
    with pytest.raises(ClaimFailed):
        check_claim("accuracy is high", 0.5, at_least=0.9)


def test_bounds_are_inclusive():
    check_claim("at the edge", 1.0, at_least=1.0, at_most=1.0)


def test_claim_with_target_and_tolerance():
    claim = check_claim("slope is recovered", 2.004, target=2.0, tol=0.01)
    assert claim.requirement == "within 0.01 of 2"
    with pytest.raises(ClaimFailed):
        check_claim("slope is recovered", 2.02, target=2.0, tol=0.01)


def test_nan_measurement_never_satisfies_a_claim():
    with pytest.raises(ClaimFailed, match="nan"):
        check_claim("loss is finite and small", math.nan, at_most=1e9)


def test_claim_accepts_numpy_and_torch_scalars():
    check_claim("numpy scalar", np.float64(0.5), at_least=0.0)
    check_claim("torch scalar", torch.tensor(0.5), at_least=0.0)


def test_claim_needs_a_requirement():
    with pytest.raises(ValueError, match="requirement"):
        check_claim("no bound", 1.0)


def test_tolerance_without_target_is_rejected():
    with pytest.raises(ValueError, match="target"):
        check_claim("tol alone", 1.0, tol=0.1)


def test_target_without_tolerance_is_rejected():
    with pytest.raises(ValueError, match="tol"):
        check_claim("target alone", 1.0, target=1.0)


def test_target_and_bounds_together_are_rejected():
    with pytest.raises(ValueError, match="either"):
        check_claim("both", 1.0, target=1.0, tol=0.1, at_least=0.0)


def test_empty_interval_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        check_claim("empty", 1.0, at_least=2.0, at_most=1.0)


def test_negative_tolerance_is_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        check_claim("negative tol", 1.0, target=1.0, tol=-0.1)


@pytest.mark.parametrize("bad", ["0.1", None, True, [0.1]])
def test_non_numeric_measurement_is_rejected(bad):
    with pytest.raises(TypeError, match="measured"):
        check_claim("bad value", bad, at_most=1.0)


def test_empty_statement_is_rejected():
    with pytest.raises(ValueError, match="statement"):
        check_claim("  ", 1.0, at_most=2.0)


def test_claim_record_has_what_the_ledger_needs():
    claim = check_claim("loss drops", 0.123456, at_most=0.5, digits=2)
    assert claim.record() == {"statement": "loss drops", "measured": "0.12",
                              "requirement": "<= 0.5", "status": "holds", "kind": "course"}


def test_claim_contradicting_the_notes_is_marked_in_its_status():
    claim = check_claim("notes say X; here Y", 1.0, at_least=0.5, contradicts_notes=True)
    assert claim.status == "holds; contradicts the notes"


def test_claim_displays_text_markdown_and_ledger_record():
    bundle = check_claim("loss drops", 0.1, at_most=0.5)._repr_mimebundle_()
    assert "loss drops" in bundle["text/plain"]
    assert "**Claim:**" in bundle["text/markdown"]
    assert bundle[CLAIM_MIME]["statement"] == "loss drops"


def test_claim_failed_is_an_assertion_error():
    assert issubclass(ClaimFailed, AssertionError)
    assert isinstance(check_claim("x", 0, at_most=1), Claim)


def test_round_off_measurement_is_shown_as_a_bound():
    claim = check_claim("ours equals the reference", 1.14e-13, at_most=1e-6, kind="check")
    assert claim.measured == "< 1e-9"


def test_exact_zero_is_shown_as_zero():
    assert check_claim("identity", 0.0, at_most=1e-12, kind="check").measured == "0"


def test_check_kind_is_recorded_and_labelled():
    claim = check_claim("autograd equals the formula", 0.0, at_most=1e-9, kind="check")
    assert claim.record()["kind"] == "check"
    assert claim._repr_mimebundle_()["text/plain"].startswith("Check holds")


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="kind"):
        check_claim("x", 0.5, at_most=1.0, kind="theory")


def test_repeats_and_spread_are_recorded_and_shown():
    claim = check_claim("bagging helps", 0.25, at_least=0.1, repeats=5, spread=0.0312)
    assert claim.record()["repeats"] == 5
    assert claim.record()["spread"] == "0.03"   # one significant digit
    assert "± 0.03 (sd over 5 repeats)" in claim._repr_mimebundle_()["text/plain"]


def test_repeats_without_spread_is_rejected():
    with pytest.raises(ValueError, match="together"):
        check_claim("x", 0.5, at_most=1.0, repeats=5)


@pytest.mark.parametrize("repeats", [1, 2.5, True])
def test_repeats_must_be_an_int_of_at_least_two(repeats):
    with pytest.raises(ValueError, match="repeats"):
        check_claim("x", 0.5, at_most=1.0, repeats=repeats, spread=0.1)


def test_deterministic_claim_is_recorded_and_shown():
    claim = check_claim("the tree splits on age", 0.5, at_least=0.1, deterministic=True)
    assert claim.record()["deterministic"] is True
    assert "measured 0.5, no randomness" in claim._repr_mimebundle_()["text/plain"]


def test_claim_record_omits_deterministic_when_not_given():
    assert "deterministic" not in check_claim("x", 0.5, at_most=1.0).record()


def test_deterministic_claim_with_repeats_is_rejected():
    with pytest.raises(ValueError, match="deterministic"):
        check_claim("x", 0.5, at_most=1.0, repeats=5, spread=0.1, deterministic=True)


def test_deterministic_must_be_a_bool():
    with pytest.raises(TypeError, match="deterministic"):
        check_claim("x", 0.5, at_most=1.0, deterministic=1)
