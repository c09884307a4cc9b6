"""Bias-variance decomposition by simulation, on a problem whose true function is known.

Used in lectures 5.1 (the decomposition and the trade-off) and 5.2 (how much bagging
lowers the variance). With labels ``y = f(x) + eps``, ``E[eps] = 0``,
``Var(eps) = sigma^2`` and ``eps`` independent of the training set ``D``, the expected
squared error of a learned model ``f_D`` at a test point ``x`` splits into

    E_{D,eps}[(y - f_D(x))^2] = (f(x) - E_D[f_D(x)])^2 + Var_D[f_D(x)] + sigma^2
                              =        bias^2         +    variance   +  noise.

Estimating the terms needs the truth: the function ``f`` and the distribution that
training sets are drawn from. :func:`bias_variance_decomposition` therefore draws many
training sets from a known distribution (``sample_training_set``), fits one model per
set, predicts on a fixed grid of test points, and averages. It also measures the
expected squared error directly, with fresh noisy test labels, so the identity itself
can be checked.

:func:`function_sampler` builds ``sample_training_set`` for a 1-D function with uniform
inputs and Gaussian noise; :func:`bias_variance_sweep` repeats the decomposition over a
list of hyper-parameter values on the *same* training sets. :class:`PolynomialRegression`
is a fast polynomial (ridge) regressor of a 1-D input whose degree sets its complexity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from helpers.checks import (
    boundary,
    check_fitted,
    check_int,
    check_matrix,
    check_real,
    check_target,
    check_vector,
    with_options,
)

__all__ = [
    "BiasVarianceResult",
    "PolynomialRegression",
    "bias_variance_decomposition",
    "bias_variance_sweep",
    "function_sampler",
]

TrainingSetSampler = Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------- validation


def _as_column(X: object) -> np.ndarray:
    """``X`` as a finite float array of one column (a 1-D ``X`` is that column)."""
    X = check_matrix(X, "X", one_d="column")
    if X.shape[1] != 1:
        raise ValueError(f"PolynomialRegression takes one input column, got shape {X.shape}")
    return X


def _polynomial_fit_args(args: dict) -> None:
    """Check the hyper-parameters and convert the data of :meth:`PolynomialRegression.fit`."""
    model = args["self"]
    check_int("degree", model.degree, low=0)
    check_real("alpha", model.alpha, low=0)
    try:
        low, high = (check_real("domain", v) for v in model.domain)
    except (TypeError, ValueError) as err:
        raise ValueError(f"domain must be a pair (low, high) of finite numbers, "
                         f"got {model.domain!r}") from err
    if not low < high:
        raise ValueError(f"domain must satisfy low < high, got {model.domain!r}")
    X = args["X"] = _as_column(args["X"])
    args["y"] = check_target(args["y"], len(X), numeric=True)


def _as_vector(name: str, values: object, length: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.shape not in ((length,), (length, 1)):
        raise ValueError(f"{name} must have shape ({length},), got {values.shape}")
    return check_vector(values.reshape(length), name)


def _check_training_set(sample: object, round_: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        X, y = sample
    except (TypeError, ValueError) as err:
        raise ValueError(f"sample_training_set must return a pair (X, y); round {round_} "
                         f"returned {type(sample).__name__}") from err
    X = check_matrix(X, f"round {round_}: the training X")
    y = check_vector(y, f"round {round_}: the training y")
    if len(y) != len(X):
        raise ValueError(f"round {round_}: the training y must have shape ({len(X)},), "
                         f"got {y.shape}")
    return X, y


# --------------------------------------------------------------------------- sampling


@boundary(f_true="callable", n_train="int >= 1", noise_sigma="real >= 0", low="real",
          high="real")
def function_sampler(
    f_true: Callable[[np.ndarray], np.ndarray],
    n_train: int,
    noise_sigma: float,
    low: float = 0.0,
    high: float = 1.0,
) -> TrainingSetSampler:
    """Return ``sample(rng) -> (X, y)`` that draws one noisy training set of a 1-D function.

    Each call draws ``n_train`` inputs ``x ~ Uniform(low, high)`` and labels
    ``y = f_true(x) + noise_sigma * N(0, 1)``. Used in lectures 5.1 and 5.2.

    Parameters
    ----------
    f_true : callable
        The true function, vectorised: ``f_true(x)`` maps a 1-D array to one of the same shape.
    n_train : int
        Training-set size (at least 1).
    noise_sigma : float
        Standard deviation of the Gaussian label noise (0 for exact labels).
    low, high : float
        The input interval, ``low < high``.

    Returns
    -------
    callable
        ``sample(rng)`` with a ``numpy.random.Generator`` returns ``X`` of shape
        ``(n_train, 1)`` and ``y`` of shape ``(n_train,)``.
    """
    if not low < high:
        raise ValueError(f"low must be smaller than high, got low={low}, high={high}")

    def sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        x = rng.uniform(low, high, size=n_train)
        y = _as_vector("f_true(x)", f_true(x), n_train) + noise_sigma * rng.standard_normal(n_train)
        return x.reshape(-1, 1), y

    return sample


# --------------------------------------------------------------------------- a model family


class PolynomialRegression(RegressorMixin, BaseEstimator):
    """Least-squares (optionally ridge) fit of a polynomial of one input variable.

    The input is mapped from ``domain`` to ``[-1, 1]`` and expanded in Legendre
    polynomials, which span the same functions as ``1, x, ..., x^degree`` but are far
    better conditioned, so a degree-12 fit is numerically stable. The fit minimises
    ``||y - b - A w||^2 + alpha ||w||^2``: the constant ``b`` is not penalised, as in
    ``sklearn.linear_model.Ridge(fit_intercept=True)``. With ``alpha=0`` it equals
    ``make_pipeline(PolynomialFeatures(degree), LinearRegression())``, about ten times
    faster, which matters when thousands of models are fitted. Used in lectures 5.1
    and 5.2.

    Parameters
    ----------
    degree : int
        Polynomial degree (``>= 0``); degree 0 predicts the mean label.
    alpha : float
        Ridge penalty on the non-constant coefficients (``>= 0``).
    domain : tuple of float
        The input interval ``(low, high)`` mapped to ``[-1, 1]``; fixed, not learned, so
        that the penalty means the same thing for every training set.
    """

    def __init__(self, degree: int = 1, alpha: float = 0.0,
                 domain: tuple[float, float] = (0.0, 1.0)) -> None:
        self.degree = degree
        self.alpha = alpha
        self.domain = domain

    def _features(self, X: object) -> np.ndarray:
        X = _as_column(X)
        low, high = self.domain
        t = (2.0 * X[:, 0] - (low + high)) / (high - low)
        return np.polynomial.legendre.legvander(t, self.degree)

    @boundary(check=_polynomial_fit_args)
    def fit(self, X: object, y: object) -> PolynomialRegression:
        """Fit the coefficients ``coef_`` (Legendre basis, constant first)."""
        A = self._features(X)
        alpha = float(self.alpha)
        if alpha == 0.0:
            self.coef_ = np.linalg.lstsq(A, y, rcond=None)[0]
        else:
            # Centre to remove the unpenalised constant, then solve the ridge normal equations.
            a_mean, y_mean = A[:, 1:].mean(axis=0), y.mean()
            Ac = A[:, 1:] - a_mean
            w = np.linalg.solve(Ac.T @ Ac + alpha * np.eye(self.degree), Ac.T @ (y - y_mean))
            self.coef_ = np.concatenate([[y_mean - a_mean @ w], w])
        self.n_features_in_ = 1
        return self

    def predict(self, X: object) -> np.ndarray:
        """Evaluate the fitted polynomial at the rows of ``X``."""
        check_fitted(self, "coef_")
        return self._features(X) @ self.coef_


# --------------------------------------------------------------------------- decomposition


@dataclass(frozen=True)
class BiasVarianceResult:
    """Predictions of many models trained on independent training sets, and their summary.

    Used in lectures 5.1 and 5.2. Every scalar property averages its per-point version
    over the test points, i.e. it is the expectation over ``x`` uniform on the grid.

    Attributes
    ----------
    x_test : numpy.ndarray
        The test points, as given.
    f_test : numpy.ndarray
        ``(n_test,)`` true function values ``f(x)``.
    predictions : numpy.ndarray
        ``(n_rounds, n_test)``: row ``r`` is the model trained on the ``r``-th training set.
    y_test : numpy.ndarray
        ``(n_rounds, n_test)`` fresh noisy labels ``f(x) + eps``, one per round and point,
        drawn independently of the training sets.
    noise_sigma : float
        The true noise standard deviation.
    """

    x_test: np.ndarray
    f_test: np.ndarray
    predictions: np.ndarray
    y_test: np.ndarray
    noise_sigma: float

    @property
    def n_rounds(self) -> int:
        """Number of simulated training sets."""
        return int(self.predictions.shape[0])

    @property
    def mean_prediction(self) -> np.ndarray:
        """``E_D[f_D(x)]`` estimated by the average over rounds, per test point."""
        return self.predictions.mean(axis=0)

    @property
    def variance_per_x(self) -> np.ndarray:
        """``Var_D[f_D(x)]`` per test point (unbiased, ``ddof=1``)."""
        return self.predictions.var(axis=0, ddof=1)

    @property
    def bias_sq_per_x(self) -> np.ndarray:
        """``(f(x) - E_D[f_D(x)])^2`` per test point, estimated without bias.

        The squared distance of the *sample* mean from ``f(x)`` overshoots by the
        variance of that mean, ``Var/n_rounds``; it is subtracted, so a single point's
        estimate can be slightly negative when the true bias is close to 0.
        """
        return (self.mean_prediction - self.f_test) ** 2 - self.variance_per_x / self.n_rounds

    @property
    def bias_sq(self) -> float:
        """Squared bias averaged over the test points."""
        return float(self.bias_sq_per_x.mean())

    @property
    def variance(self) -> float:
        """Variance averaged over the test points."""
        return float(self.variance_per_x.mean())

    @property
    def noise(self) -> float:
        """``E[(y - f(x))^2]`` measured on the fresh test labels; estimates ``sigma^2``."""
        return float(np.mean((self.y_test - self.f_test) ** 2))

    @property
    def total(self) -> float:
        """``bias_sq + variance + noise``: the right-hand side of the decomposition."""
        return self.bias_sq + self.variance + self.noise

    @property
    def expected_error(self) -> float:
        """``E_{D,eps}[(y - f_D(x))^2]`` measured directly: the left-hand side."""
        return float(np.mean((self.y_test - self.predictions) ** 2))

    @property
    def decomposition_gap(self) -> float:
        """``expected_error - total``, which is ``2 * mean(eps * (f - f_D))``.

        This is the sample cross term that the derivation shows has expectation 0 when
        the test noise is independent of the training set.
        """
        return self.expected_error - self.total

    @property
    def gap_standard_error(self) -> float:
        """Monte-Carlo standard error of :attr:`decomposition_gap`.

        The gap is the mean of ``n_rounds * n_test`` terms ``2 eps (f - f_D)``, which are
        independent given the predictions because every ``eps`` is drawn afresh; its
        standard error is their standard deviation over the square root of their number.
        """
        terms = 2.0 * (self.y_test - self.f_test) * (self.f_test - self.predictions)
        return float(terms.std() / math.sqrt(terms.size))

    def summary(self) -> dict[str, float]:
        """The scalar terms as a dict: bias_sq, variance, noise, total, expected_error."""
        return {"bias_sq": self.bias_sq, "variance": self.variance, "noise": self.noise,
                "total": self.total, "expected_error": self.expected_error}


@boundary(make_model="callable", sample_training_set="callable", f_true="callable",
          x_test=with_options(check_matrix, one_d="keep"), noise_sigma="real >= 0",
          n_rounds="int >= 2", seed="int >= 0")
def bias_variance_decomposition(
    make_model: Callable[[], object],
    sample_training_set: TrainingSetSampler,
    x_test: object,
    f_true: Callable[[np.ndarray], np.ndarray],
    noise_sigma: float,
    n_rounds: int = 200,
    seed: int = 0,
) -> BiasVarianceResult:
    """Estimate bias^2, variance and noise of a learner by simulating many training sets.

    Round ``r`` draws a training set ``D_r = sample_training_set(rng)``, fits
    ``make_model()`` on it, predicts at ``x_test``, and draws fresh test labels
    ``f(x_test) + noise_sigma * N(0, 1)``. The training sets come from one random stream
    and the test labels from another, both derived from ``seed``: two learners simulated
    with the same seed see exactly the same training sets and test labels, so their
    terms differ only because the learners differ. Used in lectures 5.1 and 5.2.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns a new, unfitted estimator with ``fit(X, y)`` and
        ``predict(X)`` (any scikit-learn regressor). Fix its ``random_state`` if it has one.
    sample_training_set : callable
        ``sample_training_set(rng)`` returns ``(X, y)``, ``X`` of shape ``(n, d)`` and ``y``
        of shape ``(n,)``, drawn with the given ``numpy.random.Generator``.
    x_test : array-like
        ``(n_test,)`` or ``(n_test, d)`` fixed test points. A 1-D array is passed to the
        model as one column and to ``f_true`` as it is.
    f_true : callable
        The true function; ``f_true(x_test)`` returns ``(n_test,)`` values.
    noise_sigma : float
        Standard deviation of the label noise of the data-generating process (``>= 0``).
    n_rounds : int
        Number of training sets (at least 2, to estimate a variance).
    seed : int
        Non-negative seed of the simulation.

    Returns
    -------
    BiasVarianceResult
    """
    X_test = x_test.reshape(-1, 1) if x_test.ndim == 1 else x_test  # the models' input
    n_test = len(x_test)
    f_test = _as_vector("f_true(x_test)", f_true(x_test), n_test)

    train_seq, noise_seq = np.random.SeedSequence(seed).spawn(2)
    train_rng, noise_rng = np.random.default_rng(train_seq), np.random.default_rng(noise_seq)
    y_test = f_test + noise_sigma * noise_rng.standard_normal((n_rounds, n_test))
    predictions = np.empty((n_rounds, n_test))
    for r in range(n_rounds):
        X, y = _check_training_set(sample_training_set(train_rng), r)
        model = make_model()
        model.fit(X, y)
        predictions[r] = _as_vector(f"round {r}: the model's predictions",
                                    model.predict(X_test), n_test)
    return BiasVarianceResult(x_test=x_test, f_test=f_test, predictions=predictions,
                              y_test=y_test, noise_sigma=noise_sigma)


@boundary(make_model="callable")
def bias_variance_sweep(
    make_model: Callable[[object], object],
    values: Sequence,
    sample_training_set: TrainingSetSampler,
    x_test: object,
    f_true: Callable[[np.ndarray], np.ndarray],
    noise_sigma: float,
    n_rounds: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Run :func:`bias_variance_decomposition` for ``make_model(v)``, one row per value ``v``.

    All values share the seed, hence the same training sets and test labels (common
    random numbers), so differences between rows are due to the hyper-parameter alone.
    Used in lectures 5.1 and 5.2.

    Parameters
    ----------
    make_model : callable
        ``make_model(v)`` returns a new, unfitted estimator for the value ``v``.
    values : sequence
        The hyper-parameter values, e.g. polynomial degrees or tree depths (non-empty).
    sample_training_set, x_test, f_true, noise_sigma, n_rounds, seed
        As in :func:`bias_variance_decomposition`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``value``, with columns ``bias_sq``, ``variance``, ``noise``, ``total``,
        ``expected_error``, ``gap`` (expected error minus total) and ``gap_se`` (its
        Monte-Carlo standard error).
    """
    values = list(values)
    if not values:
        raise ValueError("values is empty: give at least one hyper-parameter value")
    rows = []
    for value in values:
        result = bias_variance_decomposition(lambda v=value: make_model(v), sample_training_set,
                                             x_test, f_true, noise_sigma, n_rounds, seed)
        rows.append({"value": value, **result.summary(), "gap": result.decomposition_gap,
                     "gap_se": result.gap_standard_error})
    return pd.DataFrame(rows).set_index("value")
