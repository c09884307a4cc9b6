"""Tests for helpers.checks, the shared argument validators."""

import math
from numbers import Integral

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.utils._param_validation import Interval

from helpers.checks import (
    boundary,
    check_fitted,
    check_fitted_X,
    check_float_tensor,
    check_frame,
    check_int,
    check_labels,
    check_matrix,
    check_positive_float,
    check_positive_int,
    check_proba,
    check_real,
    check_rng,
    check_same_length,
    check_splits,
    check_target,
    check_vector,
)

# --------------------------------------------------------------------------- check_int


def test_check_int_returns_a_python_int_for_a_numpy_integer():
    value = check_int("n", np.int64(3))
    assert value == 3
    assert type(value) is int


def test_check_int_rejects_bool_with_type_error():
    with pytest.raises(TypeError, match="n must be an int, got bool"):
        check_int("n", True)



def test_check_int_accepts_its_inclusive_bounds():
    assert check_int("n", 1, low=1, high=3) == 1
    assert check_int("n", 3, low=1, high=3) == 3





def test_check_int_is_unbounded_by_default():
    assert check_int("n", -(10**30)) == -(10**30)


# --------------------------------------------------------------------------- check_positive_int


def test_check_positive_int_accepts_one():
    assert check_positive_int("batch_size", 1) == 1




def test_check_positive_int_rejects_bool():
    with pytest.raises(TypeError, match="got bool"):
        check_positive_int("batch_size", True)


# --------------------------------------------------------------------------- check_real


def test_check_real_returns_a_python_float_for_an_int_or_numpy_float():
    assert type(check_real("x", 2)) is float
    assert check_real("x", np.float32(0.5)) == 0.5


def test_check_real_rejects_bool_with_type_error():
    with pytest.raises(TypeError, match="x must be a real number, got bool"):
        check_real("x", False)




def test_check_real_accepts_infinity_and_nan_when_finite_is_false():
    assert check_real("x", math.inf, finite=False) == math.inf
    assert math.isnan(check_real("x", math.nan, finite=False))


def test_check_real_accepts_an_inclusive_low_bound():
    assert check_real("x", 0.0, low=0) == 0.0








# --------------------------------------------------------------------------- check_positive_float


def test_check_positive_float_returns_a_float():
    assert check_positive_float("lr", 1) == 1.0





# --------------------------------------------------------------------------- check_rng


def test_check_rng_returns_the_generator_itself():
    rng = np.random.default_rng(0)
    assert check_rng(rng) is rng



# --------------------------------------------------------------------------- check_float_tensor


def test_check_float_tensor_returns_the_tensor_itself():
    X = torch.zeros(2, 3)
    assert check_float_tensor("X", X, min_ndim=2) is X


def test_check_float_tensor_rejects_a_numpy_array():
    with pytest.raises(TypeError, match="X must be a torch tensor, got ndarray"):
        check_float_tensor("X", np.zeros(3))


def test_check_float_tensor_rejects_an_integer_tensor():
    with pytest.raises(TypeError, match="floating-point"):
        check_float_tensor("X", torch.zeros(3, dtype=torch.int64))


def test_check_float_tensor_rejects_too_few_axes():
    with pytest.raises(ValueError, match="X must have at least 2 axes"):
        check_float_tensor("X", torch.zeros(3), min_ndim=2)


def test_check_float_tensor_rejects_an_empty_tensor():
    with pytest.raises(ValueError, match="X is empty"):
        check_float_tensor("X", torch.zeros(0, 3))


def test_check_float_tensor_rejects_nan():
    with pytest.raises(ValueError, match="X contains NaN"):
        check_float_tensor("X", torch.tensor([1.0, float("nan")]))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_check_float_tensor_finds_one_bad_entry_anywhere(bad, dtype):
    X = torch.ones(4, 5, dtype=dtype)
    X[2, 3] = bad
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        check_float_tensor("X", X)


def test_check_float_tensor_accepts_the_largest_finite_values():
    X = torch.tensor([torch.finfo(torch.float64).max, torch.finfo(torch.float64).min],
                     dtype=torch.float64)
    assert check_float_tensor("X", X) is X


# --------------------------------------------------------------------------- check_frame


def test_check_frame_returns_the_frame_itself():
    df = pd.DataFrame({"a": [1]})
    assert check_frame("df", df) is df


def test_check_frame_rejects_a_dict():
    with pytest.raises(TypeError, match="df must be a pandas DataFrame, got dict"):
        check_frame("df", {"a": [1]})


# --------------------------------------------------------------------------- check_matrix


def test_check_matrix_converts_a_nested_list_to_float64():
    X = check_matrix([[1, 2], [3, 4]])
    assert X.dtype == np.float64
    assert X.shape == (2, 2)


def test_check_matrix_rejects_strings_with_type_error():
    with pytest.raises(TypeError, match="X must be numeric"):
        check_matrix([["a", "b"]])


def test_check_matrix_rejects_a_1d_array():
    with pytest.raises(ValueError, match="2-D"):
        check_matrix([1.0, 2.0])


def test_check_matrix_rejects_zero_columns():
    with pytest.raises(ValueError, match="X is empty"):
        check_matrix(np.zeros((3, 0)))


def test_check_matrix_rejects_infinity_and_uses_the_given_name():
    with pytest.raises(ValueError, match="X_test contains NaN or infinity"):
        check_matrix([[1.0, np.inf]], name="X_test")


# --------------------------------------------------------------------------- check_target


def test_check_target_keeps_string_labels():
    y = check_target(["a", "b"], 2, numeric=False)
    assert y.tolist() == ["a", "b"]


def test_check_target_converts_numeric_targets_to_float64():
    assert check_target([1, 2], 2, numeric=True).dtype == np.float64


def test_check_target_suggests_ravel_for_a_column_vector():
    with pytest.raises(ValueError, match="pass y.ravel"):
        check_target(np.zeros((3, 1)), 3, numeric=True)


def test_check_target_rejects_a_length_mismatch():
    with pytest.raises(ValueError, match="same number of rows, got 3 and 2"):
        check_target([0, 1], 3, numeric=False)


def test_check_target_rejects_non_numeric_regression_targets():
    with pytest.raises(TypeError, match="y must be numeric"):
        check_target(["a", "b"], 2, numeric=True)


def test_check_target_rejects_nan_labels():
    with pytest.raises(ValueError, match="y contains NaN"):
        check_target([0.0, np.nan], 2, numeric=False)


def test_check_target_rejects_missing_object_labels():
    with pytest.raises(ValueError, match="missing labels"):
        check_target(np.array(["a", None], dtype=object), 2, numeric=False)


# --------------------------------------------------------------------------- check_splits


def test_check_splits_returns_integer_array_pairs():
    (train, val), = check_splits([([0, 1], [2])], 3)
    assert train.tolist() == [0, 1]
    assert val.tolist() == [2]


def test_check_splits_rejects_no_pairs():
    with pytest.raises(ValueError, match="folds is empty"):
        check_splits([], 3, name="folds")


def test_check_splits_rejects_an_item_that_is_not_a_pair():
    with pytest.raises(ValueError, match=r"splits\[0\] must be a pair"):
        check_splits([[0, 1, 2]], 3)


def test_check_splits_rejects_float_indices():
    with pytest.raises(ValueError, match="non-empty 1-D integer array"):
        check_splits([([0.0], [1])], 3)


def test_check_splits_rejects_an_index_out_of_range():
    with pytest.raises(ValueError, match=r"validation indices must lie in \[0, 3\)"):
        check_splits([([0], [3])], 3)


def test_check_splits_rejects_overlapping_sides():
    with pytest.raises(ValueError, match="overlap"):
        check_splits([([0, 1], [1])], 3)


# ------------------------------------------------------------------ scikit-learn's messages


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: check_int("n", 2.0), TypeError, "n must be an instance of int, not float"),
    (lambda: check_int("n", 0, low=1), ValueError, "n == 0, must be >= 1"),
    (lambda: check_int("n", 4, high=3), ValueError, "n == 4, must be <= 3"),
    (lambda: check_positive_int("batch_size", 0), ValueError, "batch_size == 0"),
    (lambda: check_real("x", "1"), TypeError, "x must be an instance of float, not str"),
    (lambda: check_real("x", math.inf), ValueError, "x must be a finite number, got inf"),
    (lambda: check_real("x", 0.0, low=0, low_inclusive=False), ValueError, "x == 0.0, must be > 0"),
    (lambda: check_real("x", 1.0, high=1, high_inclusive=False), ValueError, "must be < 1"),
    (lambda: check_real("x", 1.5, low=0, high=1), ValueError, "x == 1.5, must be <= 1"),
    (lambda: check_real("x", math.nan, low=0, high=1), ValueError, "x must be a finite number"),
    (lambda: check_positive_float("lr", 0.0), ValueError, "lr == 0.0, must be > 0"),
    (lambda: check_positive_float("lr", math.nan), ValueError, "lr must be a finite number"),
    (lambda: check_positive_float("lr", True), TypeError, "lr must be a real number, got bool"),
    (lambda: check_rng("0"), TypeError, "rng must be a numpy.random.Generator or an int seed"),
    (lambda: check_rng(-1), ValueError, "rng == -1, must be >= 0"),
])
def test_scalar_checks_raise_scikit_learns_errors_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_check_rng_seeds_a_generator_from_an_int_or_numpy_int():
    assert check_rng(np.int64(3)).random() == np.random.default_rng(3).random()


@pytest.mark.parametrize("bad", [[np.nan, 1.0], [None, 1], [np.inf, 2.0]])
def test_check_labels_refuses_missing_labels(bad):
    with pytest.raises(ValueError, match="labels"):
        check_labels(bad, "labels")


def test_check_labels_refuses_mixed_strings_and_numbers():
    with pytest.raises(TypeError, match="y mixes strings and numbers"):
        check_labels(np.array(["a", 1], dtype=object))


def test_check_same_length_names_both_arrays():
    with pytest.raises(ValueError, match="X and y must have the same length, got X: 3, y: 2"):
        check_same_length(X=np.zeros(3), y=np.zeros(2))


def test_boundary_converts_and_checks_before_the_body_runs():
    calls = []

    @boundary(X=lambda name, v: check_matrix(v, name), k=[Interval(Integral, 1, None,
                                                                    closed="left")],
              same_length=("X", "y"))
    def algorithm(X, y, k=1):
        calls.append(X)
        return X.dtype

    assert algorithm([[1], [2]], [0, 1]) == np.float64
    with pytest.raises(ValueError, match="The 'k' parameter of"):
        algorithm([[1], [2]], [0, 1], k=0)
    with pytest.raises(ValueError, match="X and y must have the same length"):
        algorithm([[1], [2]], [0])
    assert len(calls) == 1


def test_boundary_refuses_to_check_an_argument_the_function_does_not_have():
    with pytest.raises(TypeError, match="has no argument"):
        boundary(z=[int])(lambda x: x)


def test_boundary_refuses_a_bool_for_a_scikit_learn_interval():
    # scikit-learn's Interval(Integral, ...) lets True through: bool is an int
    @boundary(n=[Interval(Integral, 1, None, closed="left")])
    def count(n):
        return n

    assert count(np.int64(3)) == 3
    with pytest.raises(TypeError, match="n must be a number, got bool"):
        count(True)


# ------------------------------------------------- the shared checkers that replaced local ones


def test_check_matrix_reads_a_1d_array_as_one_column_when_asked():
    X = check_matrix([1.0, 2.0, 3.0], one_d="column")
    assert X.shape == (3, 1)


def test_check_matrix_keeps_a_1d_array_when_asked():
    assert check_matrix([1.0, 2.0, 3.0], one_d="keep").shape == (3,)


def test_check_vector_refuses_infinity_even_where_nan_is_allowed():
    assert np.isnan(check_vector([1.0, np.nan], allow_nan=True)[1])
    with pytest.raises(ValueError, match="x contains NaN or infinity"):
        check_vector([1.0, np.inf], allow_nan=True)


def test_check_vector_allows_infinity_but_not_nan_when_asked():
    assert np.isinf(check_vector([1.0, np.inf], allow_inf=True)[1])
    with pytest.raises(ValueError, match="x contains NaN at index 1"):
        check_vector([1.0, np.nan], allow_inf=True)


def test_check_proba_refuses_a_negative_probability():
    with pytest.raises(ValueError, match="proba must hold probabilities"):
        check_proba("proba", [[1.2, -0.2], [0.5, 0.5]])


def test_check_proba_refuses_rows_that_do_not_sum_to_one():
    with pytest.raises(ValueError, match="proba must hold probabilities"):
        check_proba("proba", [[0.6, 0.6]])


class _Model:
    n_features_in_ = 2


def test_check_fitted_raises_sklearns_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="_Model is not fitted yet"):
        check_fitted(_Model(), "tree_")


def test_check_fitted_x_refuses_another_number_of_features():
    model = _Model()
    model.tree_ = object()
    assert check_fitted_X(model, [[1.0, 2.0]], "tree_").shape == (1, 2)
    with pytest.raises(ValueError, match="X has 3 features, but _Model was fitted with 2"):
        check_fitted_X(model, [[1.0, 2.0, 3.0]], "tree_")
