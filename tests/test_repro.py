import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from helpers.repro import fmt, seed_everything, setup_notebook


def test_seed_everything_makes_python_numpy_and_torch_repeat():
    seed_everything(7)
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()  # noqa: NPY002

    first = draw()
    seed_everything(7)
    assert draw() == first


def test_seed_everything_returns_a_generator_seeded_with_the_seed():
    a = seed_everything(3).random(4)
    b = np.random.default_rng(3).random(4)
    np.testing.assert_array_equal(a, b)


def test_different_seeds_give_different_streams():
    seed_everything(1)
    x = torch.rand(5)
    seed_everything(2)
    assert not torch.equal(x, torch.rand(5))


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, None])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        seed_everything(bad)


def test_setup_notebook_fixes_torch_threads():
    before = torch.get_num_threads()
    try:
        setup_notebook(threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


TORCH_LATER = """
import sys
from helpers.repro import seed_everything, setup_notebook
setup_notebook(seed=5, threads=1)
{more}
assert "torch" not in sys.modules, "setup_notebook imported torch"
import torch
first = torch.rand(3).tolist()
torch.manual_seed({expected_seed})
assert first == torch.rand(3).tolist(), "torch was not seeded on import"
assert torch.get_num_threads() == 1, "torch threads not set on import"
"""


def _run_fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_setup_notebook_configures_torch_when_it_is_imported_later():
    done = _run_fresh(TORCH_LATER.format(more="", expected_seed=5))
    assert done.returncode == 0, done.stderr


def test_the_last_seed_wins_when_torch_is_imported_later():
    done = _run_fresh(TORCH_LATER.format(more="seed_everything(8)", expected_seed=8))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("bad", [0, -2, 1.0, True])
def test_setup_notebook_rejects_bad_thread_counts(bad):
    with pytest.raises(ValueError, match="threads"):
        setup_notebook(threads=bad)


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (3.14159, 3, "3.14"),
        (0.000123456, 3, "0.000123"),
        (-12345.6, 2, "-1.2e+04"),
        (2, 3, "2"),
        (-0.0, 3, "0"),
        (-1e-20, 3, "-1e-20"),
        (float("nan"), 3, "nan"),
        (float("-inf"), 3, "-inf"),
    ],
)
def test_fmt_rounds_to_significant_digits(value, digits, expected):
    assert fmt(value, digits) == expected


def test_fmt_accepts_numpy_and_torch_scalars():
    assert fmt(np.float32(0.5)) == "0.5"
    assert fmt(torch.tensor(2.25)) == "2.25"


def test_fmt_formats_sequences_elementwise():
    assert fmt([1, 2.5, 1 / 3]) == "[1, 2.5, 0.333]"
    assert fmt(np.array([[1.0, 2.0]])) == "[1, 2]"


def test_fmt_hides_last_bit_differences():
    assert fmt(0.1 + 0.2) == fmt(0.3)


@pytest.mark.parametrize("bad", ["1.0", None, True, 1 + 2j])
def test_fmt_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="real number"):
        fmt(bad)


@pytest.mark.parametrize("digits", [0, 16, 2.0])
def test_fmt_rejects_bad_digit_counts(digits):
    with pytest.raises(ValueError, match="digits"):
        fmt(1.0, digits)
