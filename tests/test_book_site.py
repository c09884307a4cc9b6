"""The book's site-level pieces that need no build: licences and the repository buttons."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from cs329p_book import claim_html, link_tables, repository_buttons  # noqa: E402


def test_code_and_text_licences_exist():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "CC BY 4.0" in (ROOT / "LICENSE-TEXT").read_text()
    index = (ROOT / "book" / "index.md").read_text()
    for name in ("Mu Li", "Alex Smola", "Qingqing Huang", "CC BY 4.0", "MIT", "study notes"):
        assert name in index, name


def test_one_repository_url_drives_the_buttons():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "url" in config["repository"]
    hidden = repository_buttons({"repository_url": "", "launch_buttons": {"thebe": False}})
    assert not hidden["use_repository_button"] and not hidden["use_issues_button"]
    assert hidden["launch_buttons"]["colab_url"] == "" and not hidden["launch_buttons"]["thebe"]
    shown = repository_buttons({"repository_url": "https://github.com/o/r"})
    assert shown["use_repository_button"] and shown["use_issues_button"]
    assert shown["launch_buttons"]["colab_url"].startswith("https://colab")


def test_lecture_numbers_in_tables_become_links():
    lectures = {"3.4": "notebooks/03-4-sgd", "A.1": "notebooks/A-1-gen"}
    row = "| Digits | 3.4, A.1, 9.9 | CC BY 4.0 | 8x8 |"
    assert link_tables(row, lectures, 1) == (
        "| Digits | {doc}`3.4 </notebooks/03-4-sgd>`, {doc}`A.1 </notebooks/A-1-gen>`, 9.9 "
        "| CC BY 4.0 | 8x8 |")
    assert "{doc}`3.4 SGD </notebooks/03-4-sgd>`" in link_tables("| 3 | 3.4 SGD |", lectures,
                                                                  None)


def _record(**extra) -> dict:
    return {"statement": "bagging helps", "measured": "0.25", "requirement": ">= 0.1",
            "status": "holds", "kind": "course", **extra}


def test_claim_box_shows_mean_and_spread_of_a_repeated_claim():
    box = claim_html(_record(repeats=5, spread="0.03"), 1)
    assert "measured <code>0.25 ± 0.03 (sd over 5 repeats)</code>" in box


def test_claim_box_says_a_deterministic_claim_has_no_randomness():
    assert "measured <code>0.25, no randomness</code>" in claim_html(
        _record(deterministic=True), 1)
