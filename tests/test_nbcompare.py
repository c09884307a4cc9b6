"""The regression comparator: text exactly, numbers within their printed precision."""

from __future__ import annotations

import nbformat
import pytest
from nbcompare import (
    CLAIM_MIME,
    Tolerance,
    compare_claims,
    compare_outputs,
    compare_text,
    make_sanitizer,
    numbers_match,
    printed_unit,
)


def _stream(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def _display(data):
    return nbformat.v4.new_output("display_data", data=data)


def _claim(measured="0.86", status="holds", **extra):
    return {"statement": "bagging helps", "measured": measured, "requirement": ">= 0.5",
            "status": status, "kind": "course", **extra}


@pytest.mark.parametrize(("text", "unit"), [
    ("0.45", 0.01), ("152", 1.0), ("1.23e+03", 10.0), ("1e-05", 1e-5), ("-0.008", 0.001),
])
def test_printed_unit_is_one_unit_of_the_last_digit(text, unit):
    assert printed_unit(text) == pytest.approx(unit)


def test_last_digit_noise_is_accepted():
    assert numbers_match("0.45", "0.46")
    assert numbers_match("1.4", "1.5")


def test_a_change_of_two_units_in_the_last_digit_fails():
    assert not numbers_match("0.45", "0.47")


def test_changed_round_count_fails():
    differences = compare_text("stdout", "stopped at 152 rounds", "stopped at 143 rounds")
    assert [(d.stored, d.new) for d in differences] == [("152", "143")]
    assert differences[0].context == "stopped at 152 rounds"


def test_changed_accuracy_fails():
    assert compare_text("stdout", "accuracy 0.86.", "accuracy 0.78.")


def test_sign_change_fails():
    assert compare_text("stdout", "gain -0.008", "gain 0.02")


def test_exact_zero_matches_only_zero():
    assert compare_text("stdout", "0 listings lost", "1 listings lost")
    assert not compare_text("stdout", "0 listings lost", "0 listings lost")


def test_round_off_digits_are_not_a_printed_precision():
    assert compare_text("stdout", "gap 1.14e-13", "gap 1.71e-13")


def test_changed_words_fail_even_with_equal_numbers():
    differences = compare_text("stdout", "holds: 0.5", "fails: 0.5")
    assert differences and "text" in differences[0].where


def test_version_like_strings_are_compared_as_text():
    assert compare_text("stdout", "numpy 1.2.3", "numpy 1.2.4")


def test_table_padding_does_not_count():
    assert not compare_text("text/plain", "a    0.5  b", "a  0.499  b")


def test_html_tables_compare_their_numbers():
    assert not compare_text("text/html", "<td>0.45</td>", "<td>0.46</td>")
    differences = compare_text("text/html", "<td>152</td>", "<td>143</td>")
    assert differences[0].context == "152"


def test_tolerance_tag_loosens_the_comparison():
    tolerance = Tolerance.from_tags(["nbval-tolerance-abs-0.1"])
    assert numbers_match("0.86", "0.78", tolerance)
    assert not numbers_match("0.86", "0.70", tolerance)


def test_relative_tolerance_tag():
    tolerance = Tolerance.from_tags(["nbval-tolerance-rel-0.05"])
    assert numbers_match("100", "104", tolerance)
    assert not numbers_match("100", "110", tolerance)


def test_unrelated_tags_give_no_tolerance():
    assert Tolerance.from_tags(["nbval-ignore-output", "hide-input"]) == Tolerance()


def test_claim_status_change_fails():
    differences = compare_claims(_claim(), _claim(status="holds; contradicts the notes"))
    assert [d.where for d in differences] == ["claim status"]


def test_claim_losing_its_deterministic_mark_fails():
    differences = compare_claims(_claim(deterministic=True), _claim())
    assert [d.where for d in differences] == ["claim deterministic"]


def test_claim_measured_value_within_precision_passes():
    assert not compare_claims(_claim("0.86"), _claim("0.87"))


def test_claim_measured_value_beyond_precision_fails():
    differences = compare_claims(_claim("0.86"), _claim("0.78"))
    assert differences[0].where == "claim measured"
    assert differences[0].context == "bagging helps"


def test_claim_spread_is_compared_as_a_number():
    assert not compare_claims(_claim(repeats=5, spread="0.031"),
                              _claim(repeats=5, spread="0.032"))
    assert compare_claims(_claim(repeats=5, spread="0.031"), _claim(repeats=6, spread="0.031"))


def test_claim_change_is_reported_once_not_in_every_mime_type():
    stored = [_display({CLAIM_MIME: _claim("0.86"), "text/plain": "measured 0.86"})]
    new = [_display({CLAIM_MIME: _claim("0.78"), "text/plain": "measured 0.78"})]
    assert [d.where for d in compare_outputs(stored, new)] == ["claim measured"]


def test_images_are_not_compared():
    stored = [_display({"image/png": "AAAA", "text/plain": "<Figure>"})]
    new = [_display({"image/png": "BBBB", "text/plain": "<Figure>"})]
    assert not compare_outputs(stored, new)


def test_streams_split_differently_compare_equal():
    assert not compare_outputs([_stream("a 1\n"), _stream("b 2\n")], [_stream("a 1\nb 2\n")])


def test_missing_output_is_reported():
    differences = compare_outputs([_stream("x\n")], [])
    assert differences[0].where == "stdout" and differences[0].new == "missing"


def test_sanitizer_applies_the_sanitize_file_patterns():
    sanitize = make_sanitizer([(r"0x[0-9a-f]+", "0xADDRESS")])
    assert not compare_outputs([_stream("at 0x7f00\n")], [_stream("at 0x7fff\n")],
                               sanitize=sanitize)


def test_description_labels_stored_and_new():
    text = compare_text("stdout", "stopped at 152", "stopped at 143")[0].describe()
    assert "stored 152 -> new 143" in text
