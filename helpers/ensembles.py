"""Ensemble learning from scratch: combining many models into one.

Organised by method, one section each:

- **Bootstrap** (lecture 5.2): :func:`bootstrap_indices` draws a bootstrap sample,
  :func:`out_of_bag_mask` marks the examples it missed, and
  :func:`expected_unique_fraction` gives the share of distinct examples,
  ``1 - (1 - 1/m)^m``, which tends to ``1 - 1/e``, about 63%.
- **Bagging** (lecture 5.2): :class:`BaggingRegressor` and :class:`BaggingClassifier`
  train clones of any scikit-learn-style estimator on bootstrap samples and average
  their predictions (regression) or take a majority vote (classification), with
  out-of-bag estimates of the generalisation error. The reference implementations are
  ``sklearn.ensemble.BaggingRegressor`` and ``BaggingClassifier``.

The base learners are scikit-learn estimators (anything with ``fit`` and ``predict``
that ``sklearn.base.clone`` can copy), so the ensembles work with trees, linear models,
nearest neighbours, or another ensemble.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Sequence
from numbers import Integral, Real

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from helpers.checks import boundary, check_fitted_X, check_indices, check_params, check_target

__all__ = [
    "BaggingClassifier",
    "BaggingRegressor",
    "bootstrap_indices",
    "expected_unique_fraction",
    "out_of_bag_mask",
]

_MAX_SEED = 2**31 - 1
_BAGGING_PARAMS = {"n_estimators": [Interval(Integral, 1, None, closed="left")],
                   "max_samples": [None, Interval(Integral, 1, None, closed="left"),
                                   Interval(Real, 0, 1, closed="right")],
                   "oob_score": ["boolean"],
                   "random_state": [None, Interval(Integral, 0, None, closed="left")]}


# --------------------------------------------------------------------------- validation


@boundary(X="matrix")
def _check_Xy(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    return X, check_target(y, len(X), numeric=False)


def _checked(trusted: bool = True) -> contextlib.AbstractContextManager:
    """Skip scikit-learn's own checks in the calls made inside (when ``trusted``).

    The members of an ensemble see rows of data that the ensemble has already checked
    (numeric, finite), and hyper-parameters that the first member's ``fit`` validated; a
    few thousand small members would otherwise spend more time re-checking them than
    fitting. The results are the same.
    """
    if not trusted:
        return contextlib.nullcontext()
    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


# --------------------------------------------------------------------------- bootstrap


@boundary(n="int >= 1", n_samples="int >= 1 or None", rng="rng")
def bootstrap_indices(n: int, n_samples: int | None = None,
                      rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw a bootstrap sample: ``n_samples`` row indices from ``range(n)`` with replacement.

    Every draw picks each of the ``n`` rows with probability ``1/n``, independently, so
    some rows appear several times and others not at all. Used in lecture 5.2.

    Parameters
    ----------
    n : int
        Number of examples to draw from (at least 1).
    n_samples : int, optional
        Size of the bootstrap sample; ``n`` (the usual choice) when omitted.
    rng : numpy.random.Generator
        Source of randomness (required, so that every draw is reproducible).

    Returns
    -------
    numpy.ndarray
        ``(n_samples,)`` integer indices in ``[0, n)``.
    """
    return rng.integers(0, n, size=n if n_samples is None else n_samples)


@boundary(n="int >= 1")
def out_of_bag_mask(indices: object, n: int) -> np.ndarray:
    """Mark the examples a bootstrap sample missed: its out-of-bag (OOB) examples.

    Used in lecture 5.2.

    Parameters
    ----------
    indices : array-like of int
        A bootstrap sample's row indices, each in ``[0, n)``.
    n : int
        Number of examples the sample was drawn from.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` booleans, True for the rows that do not occur in ``indices``.
    """
    indices = check_indices("indices", indices, n, allow_empty=True)  # none: all out of bag
    return np.bincount(indices, minlength=n) == 0


@boundary(m="int >= 1")
def expected_unique_fraction(m: int) -> float:
    """Expected share of distinct examples in a bootstrap sample of ``m`` from ``m``.

    A given example is missed by one draw with probability ``1 - 1/m`` and by all ``m``
    independent draws with probability ``(1 - 1/m)^m``, so the expected share of
    distinct examples is ``1 - (1 - 1/m)^m``, which decreases to ``1 - 1/e ~ 0.632``
    as ``m`` grows. Used in lecture 5.2.
    """
    return 1.0 - (1.0 - 1.0 / m) ** m


# --------------------------------------------------------------------------- bagging


class _Bagging(BaseEstimator):
    """Shared fitting logic of :class:`BaggingRegressor` and :class:`BaggingClassifier`."""

    def __init__(self, estimator: object = None, n_estimators: int = 10,
                 max_samples: int | float | None = None, oob_score: bool = False,
                 random_state: int | None = None) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.oob_score = oob_score
        self.random_state = random_state

    # -- hyper-parameters

    def _default_estimator(self) -> object:  # pragma: no cover - overridden
        raise NotImplementedError

    def _check_params(self, n: int) -> tuple[object, int, int]:
        estimator = self._default_estimator() if self.estimator is None else self.estimator
        check_params({**_BAGGING_PARAMS, "estimator": [HasMethods(["fit", "predict"])]},
                     {**vars(self), "estimator": estimator}, type(self).__name__)
        m = self.max_samples
        if m is None:
            m = n
        elif not isinstance(m, Integral):  # a fraction of the training set
            m = max(1, round(m * n))
        return estimator, int(self.n_estimators), int(m)

    # -- fitting

    def fit_members(self, X: np.ndarray, y: np.ndarray,
                    sample_indices: Sequence | None) -> None:
        """Fit a clone of the base learner on each bootstrap sample (the core of ``fit``).

        Used in lecture 5.2.

        Parameters
        ----------
        X, y : numpy.ndarray
            The checked training data, ``(n, d)`` and ``(n,)``.
        sample_indices : sequence of arrays or None
            One index array per member, or None to draw bootstrap samples.
        """
        n = len(X)
        estimator, n_estimators, m = self._check_params(n)
        rng = np.random.default_rng(self.random_state)
        seeds = rng.integers(0, _MAX_SEED, size=n_estimators)
        if sample_indices is None:
            samples = [bootstrap_indices(n, m, rng) for _ in range(n_estimators)]
        else:
            samples = self._check_sample_indices(sample_indices, n, n_estimators)
        params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
        self.estimators_, self.estimators_samples_ = [], samples
        for seed, idx in zip(seeds, samples, strict=True):  # independent: could run in parallel
            member = clone(estimator)
            if "random_state" in params:  # e.g. a tree that samples features (random forest)
                member.set_params(random_state=int(seed))
            with _checked(trusted=bool(self.estimators_)):  # the first fit checks everything
                member.fit(X[idx], y[idx])
            self.estimators_.append(member)
        self.n_features_in_ = X.shape[1]

    @staticmethod
    def _check_sample_indices(sample_indices: Sequence, n: int,
                              n_estimators: int) -> list[np.ndarray]:
        samples = [check_indices(f"sample_indices[{k}]", idx, n)
                   for k, idx in enumerate(sample_indices)]
        if len(samples) != n_estimators:
            raise ValueError(f"sample_indices must hold one index array per estimator "
                             f"({n_estimators}), got {len(samples)}")
        return samples

    def oob_average(self, X: np.ndarray, member_output: Callable[[object, np.ndarray], np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Average each example's member outputs over the members that did not see it.

        Used in lecture 5.2 (out-of-bag estimates).

        Parameters
        ----------
        X : numpy.ndarray
            The ``(n, d)`` training features.
        member_output : callable
            ``(member, rows) -> outputs`` of one member on some rows.

        Returns
        -------
        average : numpy.ndarray
            ``(n, ...)`` OOB average (NaN where no member left the example out).
        counts : numpy.ndarray of int
            ``(n,)`` number of members each example was out of bag for.
        """
        n = len(X)
        totals, counts = None, np.zeros(n, dtype=int)
        for member, idx in zip(self.estimators_, self.estimators_samples_, strict=True):
            oob = out_of_bag_mask(idx, n)
            if not oob.any():
                continue
            with _checked():
                out = member_output(member, X[oob])
            if totals is None:
                totals = np.zeros((n, *out.shape[1:]))
            totals[oob] += out
            counts[oob] += 1
        if not counts.any():
            raise ValueError("no example is out of bag for any estimator, so the OOB score is "
                             "undefined; use more estimators or a smaller max_samples")
        if not counts.all():
            warnings.warn(f"{int((counts == 0).sum())} of {n} examples are in every bootstrap "
                          "sample and have no OOB prediction; the OOB score ignores them",
                          UserWarning, stacklevel=3)
        with np.errstate(invalid="ignore", divide="ignore"):
            average = totals / counts.reshape(-1, *([1] * (totals.ndim - 1)))
        return average, counts



class BaggingRegressor(RegressorMixin, _Bagging):
    """Bootstrap aggregating for regression: average the predictions of bootstrapped models.

    Each of the ``n_estimators`` members is a clone of ``estimator`` (made with
    ``sklearn.base.clone``) fitted on its own bootstrap sample of the training set; the
    members are independent, so they could be trained in parallel. A member whose
    estimator has a ``random_state`` parameter gets its own seed, drawn from
    ``random_state``, so that randomised learners (a tree with ``max_features``, i.e. a
    random forest) differ beyond their data. Reference:
    ``sklearn.ensemble.BaggingRegressor``, which weights examples by their bootstrap
    counts instead of repeating them. Used in lecture 5.2.

    Parameters
    ----------
    estimator : estimator, optional
        The base learner; an unpruned ``DecisionTreeRegressor`` when omitted.
    n_estimators : int
        Number of members (at least 1).
    max_samples : int or float, optional
        Bootstrap sample size: all ``n`` rows when omitted, an int, or a fraction of ``n``.
    oob_score : bool
        Whether to compute ``oob_prediction_`` and ``oob_score_`` during ``fit``.
    random_state : int, optional
        Seed of the bootstrap samples and member seeds; fix it for reproducible results.

    Attributes
    ----------
    estimators_ : list
        The fitted members.
    estimators_samples_ : list of numpy.ndarray
        Each member's bootstrap indices.
    oob_prediction_ : numpy.ndarray
        ``(n,)`` average prediction of the members that did not see each example (NaN for
        an example that every member saw). Only with ``oob_score=True``.
    oob_score_ : float
        :math:`R^2` of ``oob_prediction_`` on the examples that have one.
    """

    def _default_estimator(self) -> object:
        from sklearn.tree import DecisionTreeRegressor

        return DecisionTreeRegressor()

    def fit(self, X: object, y: object, sample_indices: Sequence | None = None
            ) -> BaggingRegressor:
        """Fit every member on a bootstrap sample of ``(X, y)``.

        Parameters
        ----------
        X : array-like
            ``(n, d)`` numeric features without NaN.
        y : array-like
            ``(n,)`` numeric targets.
        sample_indices : sequence of arrays, optional
            One index array per member to use instead of drawing bootstrap samples, e.g.
            the ``estimators_samples_`` of another ensemble.

        Returns
        -------
        BaggingRegressor
            The fitted ensemble.
        """
        X, y = _check_Xy(X, y)
        try:
            y = y.astype(float)
        except (TypeError, ValueError) as err:
            raise TypeError("y must be numeric for a regressor") from err
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinite values")
        self.fit_members(X, y, sample_indices)
        if self.oob_score:
            self.oob_prediction_, counts = self.oob_average(
                X, lambda member, rows: np.asarray(member.predict(rows), dtype=float))
            seen = counts > 0
            residual = np.sum((y[seen] - self.oob_prediction_[seen]) ** 2)
            spread = np.sum((y[seen] - y[seen].mean()) ** 2)
            self.oob_score_ = float(1.0 - residual / spread) if spread > 0 else math.nan
        return self

    def member_predictions(self, X: object) -> np.ndarray:
        """Every member's prediction, shape ``(n_estimators, n)``."""
        X = check_fitted_X(self, X)
        with _checked():
            return np.stack([np.asarray(m.predict(X), dtype=float) for m in self.estimators_])

    def predict(self, X: object) -> np.ndarray:
        """Average of the members' predictions, shape ``(n,)``."""
        return self.member_predictions(X).mean(axis=0)


class BaggingClassifier(ClassifierMixin, _Bagging):
    """Bootstrap aggregating for classification: a vote of bootstrapped classifiers.

    As :class:`BaggingRegressor`, but the members' predictions are combined by a vote.
    With ``voting="hard"`` (the default) each member casts one vote for the class it
    predicts and the class with most votes wins; a tie goes to the smallest class
    label (the first in ``classes_``), so the result is deterministic. With
    ``voting="soft"`` the members' ``predict_proba`` outputs are averaged and the
    largest average wins, which is what ``sklearn.ensemble.BaggingClassifier`` does
    when the base learner has ``predict_proba``. A bootstrap sample can miss a rare
    class; each member's outputs are aligned to the ensemble's ``classes_``. Used in
    lecture 5.2.

    Parameters
    ----------
    estimator : estimator, optional
        The base classifier; an unpruned ``DecisionTreeClassifier`` when omitted.
    n_estimators, max_samples, oob_score, random_state
        As in :class:`BaggingRegressor`.
    voting : {"hard", "soft"}
        Majority vote of predicted labels, or average of predicted probabilities.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The sorted class labels seen in ``fit``.
    estimators_, estimators_samples_
        As in :class:`BaggingRegressor`.
    oob_decision_function_ : numpy.ndarray
        ``(n, n_classes)`` vote shares (or average probabilities) of the members that did
        not see each example; NaN rows for examples every member saw.
    oob_score_ : float
        Accuracy of the OOB decision on the examples that have one.
    """

    def __init__(self, estimator: object = None, n_estimators: int = 10,
                 max_samples: int | float | None = None, oob_score: bool = False,
                 random_state: int | None = None, voting: str = "hard") -> None:
        super().__init__(estimator=estimator, n_estimators=n_estimators,
                         max_samples=max_samples, oob_score=oob_score,
                         random_state=random_state)
        self.voting = voting

    def _default_estimator(self) -> object:
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier()

    def fit(self, X: object, y: object, sample_indices: Sequence | None = None
            ) -> BaggingClassifier:
        """Fit every member on a bootstrap sample of ``(X, y)``; see :meth:`BaggingRegressor.fit`.

        Returns
        -------
        BaggingClassifier
            The fitted ensemble.
        """
        check_params({"voting": [StrOptions({"hard", "soft"})]}, vars(self), "BaggingClassifier")
        if self.voting == "soft" and self.estimator is not None \
                and not hasattr(self.estimator, "predict_proba"):
            raise TypeError("voting='soft' needs an estimator with predict_proba, got "
                            f"{type(self.estimator).__name__}")
        X, y = _check_Xy(X, y)
        self.classes_ = np.unique(y)
        self.fit_members(X, y, sample_indices)
        if self.oob_score:
            self.oob_decision_function_, counts = self.oob_average(X, self.member_scores)
            seen = counts > 0
            decided = self.classes_[np.argmax(self.oob_decision_function_[seen], axis=1)]
            self.oob_score_ = float(np.mean(decided == y[seen]))
        return self

    def member_scores(self, member: object, X: np.ndarray) -> np.ndarray:
        """One member's vote (one-hot) or probabilities, aligned to ``classes_``.

        Used in lecture 5.2. A bootstrap sample can miss a class, so the member's own
        classes are mapped onto the ensemble's.

        Returns
        -------
        numpy.ndarray
            ``(len(X), n_classes)`` scores.
        """
        scores = np.zeros((len(X), len(self.classes_)))
        if self.voting == "hard":
            labels = np.asarray(member.predict(X))
            cols = np.searchsorted(self.classes_, labels)
            scores[np.arange(len(X)), cols] = 1.0
        else:
            cols = np.searchsorted(self.classes_, member.classes_)
            scores[:, cols] = member.predict_proba(X)
        return scores

    def predict_proba(self, X: object) -> np.ndarray:
        """Vote shares (hard voting) or average probabilities (soft), ``(n, n_classes)``."""
        X = check_fitted_X(self, X)
        with _checked():
            scores = sum(self.member_scores(m, X) for m in self.estimators_)
        return scores / len(self.estimators_)

    def predict(self, X: object) -> np.ndarray:
        """The class with the largest vote share; ties go to the first class in ``classes_``."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
