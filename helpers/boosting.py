"""Boosting from scratch: AdaBoost with decision stumps, and early stopping for gradient boosting.

Used in lecture 5.3. Boosting trains weak learners one after another, each one focused
on what the ensemble so far gets wrong, and adds them up. Two flavours:

- **AdaBoost** (Freund and Schapire, 1997) re-weights the *examples*: after each round
  the misclassified examples gain weight, so the next weak learner concentrates on them.
  :class:`AdaBoostClassifier` is binary AdaBoost with decision stumps fitted by
  :func:`fit_stump` (one vectorised search over all features and thresholds). Its
  learner weights are the notes' ``alpha = 1/2 ln((1 - err) / err)``; the normalised
  example weights and the predictions are exactly those of the SAMME algorithm of
  ``sklearn.ensemble.AdaBoostClassifier`` for two classes (whose learner weights are
  ``2 alpha``, which changes neither).
- **Gradient boosting** fits each new learner to the *residuals* (the negative gradient of
  the loss). The from-scratch model is :class:`helpers.trees.GradientBoostingRegressor`
  (lecture 3.2); this module adds what is needed to stop it early:
  :func:`staged_loss` (the validation loss after every round), :func:`early_stopping`
  (the round a patience rule stops at and the best round seen) and :func:`truncate`
  (the model cut after its first ``n`` rounds).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score

from helpers.checks import (
    boundary,
    check_fitted,
    check_fitted_X,
    check_int,
    check_real,
    check_target,
    instance,
    one_of,
)
from helpers.trees import FEATURE_THRESHOLD, GradientBoostingRegressor

__all__ = [
    "STUMP_CRITERIA",
    "AdaBoostClassifier",
    "EarlyStopping",
    "Stump",
    "early_stopping",
    "fit_stump",
    "staged_loss",
    "truncate",
]

STUMP_CRITERIA = ("gini", "error")
MIN_ERROR = 1e-10  # a perfect stump gets the weight of this weighted error, not infinity


# --------------------------------------------------------------------------- decision stumps


@dataclass(frozen=True)
class Stump:
    """A decision stump: predict ``left`` if ``x[feature] <= threshold``, else ``right``.

    Used in lecture 5.3. ``left`` and ``right`` are labels in {-1, +1}; a stump that
    found no split has ``threshold = inf`` and ``left == right``.
    """

    feature: int
    threshold: float
    left: int
    right: int

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels in {-1, +1} for the rows of ``X`` (a validated (n, d) float array)."""
        return np.where(X[:, self.feature] <= self.threshold, self.left, self.right)


def _check_weights(sample_weight: object, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    if w.sum() <= 0:
        raise ValueError("sample_weight sums to 0: at least one example needs a positive weight")
    return w


def _check_signs(y: object, n: int) -> np.ndarray:
    y = check_target(y, n, numeric=True)
    if not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("y must contain only the labels -1 and +1")
    return y


@boundary(X="matrix", criterion=one_of(STUMP_CRITERIA))
def fit_stump(X: object, y: object, sample_weight: object = None,
              criterion: str = "gini") -> Stump:
    """Fit the best weighted decision stump to labels in {-1, +1}, over all features at once.

    Each feature's values are sorted once; cumulative sums of the positive and negative
    weights give the weight of each class left of every candidate threshold, so all
    ``n - 1`` thresholds of all ``d`` features are scored in a few array operations,
    ``O(n d log n)``. Thresholds lie halfway between consecutive distinct values (as in
    CART); each side predicts its heavier class (-1 on a tie). Ties between splits go
    to the lowest feature, then the lowest threshold. Used in lecture 5.3.

    Parameters
    ----------
    X : array-like of shape (n, d)
    y : array-like of shape (n,)
        Labels -1 or +1.
    sample_weight : array-like of shape (n,), optional
        Non-negative example weights (uniform by default).
    criterion : {"gini", "error"}
        ``"gini"`` minimises the weighted Gini impurity of the two sides, as
        ``sklearn.tree.DecisionTreeClassifier(max_depth=1)`` with ``sample_weight`` does;
        ``"error"`` minimises the weighted misclassification error directly (the weak
        learner of the original AdaBoost).

    Returns
    -------
    Stump
    """
    y = _check_signs(y, len(X))
    w = _check_weights(sample_weight, len(X))
    w_pos = np.where(y > 0, w, 0.0)
    total_pos, total_neg = w_pos.sum(), w.sum() - w_pos.sum()
    majority = 1 if total_pos > total_neg else -1
    constant = Stump(0, math.inf, majority, majority)
    if total_pos == 0 or total_neg == 0 or len(X) < 2:
        return constant                                          # pure node: nothing to split
    order = np.argsort(X, axis=0, kind="stable")                 # (n, d)
    xs = np.take_along_axis(X, order, axis=0)
    pos_left = np.cumsum(w_pos[order], axis=0)[:-1]               # (n - 1, d)
    neg_left = np.cumsum((w - w_pos)[order], axis=0)[:-1]
    pos_right, neg_right = total_pos - pos_left, total_neg - neg_left
    w_left, w_right = pos_left + neg_left, pos_right + neg_right
    valid = (xs[1:] > xs[:-1] + FEATURE_THRESHOLD) & (w_left > 0) & (w_right > 0)
    if not valid.any():
        return constant                                          # every feature is constant
    with np.errstate(divide="ignore", invalid="ignore"):
        if criterion == "gini":     # minimising sum_side W_side * gini_side <=> maximising this
            score = ((pos_left ** 2 + neg_left ** 2) / w_left
                     + (pos_right ** 2 + neg_right ** 2) / w_right)
        else:                       # minus the weighted error of predicting each side's majority
            score = -(np.minimum(pos_left, neg_left) + np.minimum(pos_right, neg_right))
    score = np.where(valid, score, -np.inf).T                    # (d, n - 1): feature-major
    feature, pos = np.unravel_index(np.argmax(score), score.shape)
    lo, hi = xs[pos, feature], xs[pos + 1, feature]
    threshold = lo / 2.0 + hi / 2.0
    if threshold == hi:                                          # rounding hit the upper value
        threshold = lo
    left = 1 if pos_left[pos, feature] > neg_left[pos, feature] else -1
    right = 1 if pos_right[pos, feature] > neg_right[pos, feature] else -1
    return Stump(int(feature), float(threshold), left, right)


# --------------------------------------------------------------------------- AdaBoost


def _adaboost_fit_args(args: dict) -> None:
    """Check and convert the data given to :meth:`AdaBoostClassifier.fit` (in place)."""
    X = args["X"]
    y = args["y"] = check_target(args["y"], len(X), numeric=False)
    num_classes = len(np.unique(y))
    if num_classes != 2:
        raise ValueError(f"AdaBoostClassifier needs exactly 2 classes, got {num_classes}")


class AdaBoostClassifier:
    """Binary AdaBoost with decision stumps (Freund and Schapire, 1997), from scratch.

    Start with uniform example weights ``w_i = 1/n``. In round ``t``:

    1. fit a stump ``h_t`` to the weighted examples (:func:`fit_stump`);
    2. compute its weighted error ``err_t = sum_i w_i [h_t(x_i) != y_i]``;
    3. give it the weight ``alpha_t = learning_rate * 1/2 ln((1 - err_t) / err_t)``;
    4. update ``w_i <- w_i exp(-alpha_t y_i h_t(x_i))`` and renormalise: misclassified
       examples gain weight, correctly classified ones lose it.

    The prediction is the sign of ``F_T(x) = sum_t alpha_t h_t(x)``. Unrolling step 4
    shows ``w_i`` proportional to ``exp(-y_i F_t(x_i))``: AdaBoost is boosting on the
    exponential loss. Boosting stops early when a stump is perfect on the training set
    (it is kept, with the weight of an error of 1e-10) or no better than chance
    (``err >= 1/2``; it is dropped). For two classes the weights and predictions are
    those of scikit-learn's SAMME, whose learner weights are ``2 alpha_t``.
    Used in lecture 5.3.

    Parameters
    ----------
    n_estimators : int
        Maximum number of rounds (stumps).
    learning_rate : float
        Factor ``> 0`` applied to every ``alpha_t``.
    criterion : {"gini", "error"}
        Split criterion of the stumps (see :func:`fit_stump`); ``"gini"`` is
        scikit-learn's default weak learner.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels, sorted; ``classes_[1]`` is coded +1.
    estimators_ : list of Stump
        The fitted stumps, in order.
    estimator_weights_ : ndarray
        ``alpha_t`` of each stump.
    estimator_errors_ : ndarray
        Weighted training error ``err_t`` of each stump.
    sample_weights_ : ndarray of shape (n_rounds, n)
        Row ``t`` holds the normalised example weights the stump of round ``t`` was fitted
        with (row 0 is uniform).
    """

    @boundary(criterion=one_of(STUMP_CRITERIA))
    def __init__(self, *, n_estimators: int = 50, learning_rate: float = 1.0,
                 criterion: str = "gini") -> None:
        self.n_estimators = check_int("n_estimators", n_estimators, low=1)
        self.learning_rate = check_real("learning_rate", learning_rate, low=0, low_inclusive=False)
        self.criterion = criterion

    @boundary(X="matrix", check=_adaboost_fit_args)
    def fit(self, X: object, y: object) -> AdaBoostClassifier:
        """Run up to ``n_estimators`` rounds on ``X`` (n, d) and two-class ``y``; return self."""
        self.classes_ = np.unique(y)
        signs = np.where(y == self.classes_[1], 1.0, -1.0)
        n = len(X)
        self.n_features_in_ = X.shape[1]
        w = np.full(n, 1.0 / n)
        stumps, alphas, errors, weights = [], [], [], []
        for _ in range(self.n_estimators):
            stump = fit_stump(X, signs, w, self.criterion)
            h = stump.predict(X)
            err = float(w[h != signs].sum())
            if err >= 0.5:
                if not stumps:
                    raise ValueError("the first stump is no better than chance "
                                     "(weighted error >= 1/2); AdaBoost cannot start")
                break
            alpha = self.learning_rate * 0.5 * math.log((1.0 - max(err, MIN_ERROR))
                                                        / max(err, MIN_ERROR))
            stumps.append(stump)
            alphas.append(alpha)
            errors.append(err)
            weights.append(w)
            if err == 0.0:
                break
            w = w * np.exp(-alpha * signs * h)
            w = w / w.sum()
        self.estimators_ = stumps
        self.estimator_weights_ = np.array(alphas)
        self.estimator_errors_ = np.array(errors)
        self.sample_weights_ = np.array(weights)
        return self

    def staged_decision_function(self, X: object) -> Iterator[np.ndarray]:
        """Yield ``F_t(X) = sum_{s <= t} alpha_s h_s(X)`` after each round ``t``."""
        X = check_fitted_X(self, X)
        F = np.zeros(len(X))
        for alpha, stump in zip(self.estimator_weights_, self.estimators_, strict=True):
            F = F + alpha * stump.predict(X)
            yield F

    def decision_function(self, X: object) -> np.ndarray:
        """``F_T(X)``: positive values vote for ``classes_[1]``, shape (n,)."""
        X = check_fitted_X(self, X)
        F = np.zeros(len(X))
        for alpha, stump in zip(self.estimator_weights_, self.estimators_, strict=True):
            F += alpha * stump.predict(X)
        return F

    def staged_predict(self, X: object) -> Iterator[np.ndarray]:
        """Yield the predicted labels after each round."""
        for F in self.staged_decision_function(X):
            yield self.classes_[(F > 0).astype(int)]

    def predict(self, X: object) -> np.ndarray:
        """Predicted labels: ``classes_[1]`` where ``F_T(x) > 0``, else ``classes_[0]``."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    @boundary(X="matrix")
    def score(self, X: object, y: object) -> float:
        """Accuracy on ``(X, y)`` (``sklearn.metrics.accuracy_score``)."""
        return float(accuracy_score(check_target(y, len(X), numeric=False), self.predict(X)))


# --------------------------------------------------------------------------- early stopping


def _mean_squared_error(y: np.ndarray, prediction: np.ndarray) -> float:
    return float(np.mean((y - prediction) ** 2))


@boundary(loss="callable or None")
def staged_loss(model: object, X: object, y: object,
                loss: Callable[[np.ndarray, np.ndarray], float] | None = None) -> np.ndarray:
    """The loss on ``(X, y)`` after every boosting round, from ``model.staged_predict(X)``.

    Works with any fitted model that has ``staged_predict`` (ours or scikit-learn's
    gradient boosting and AdaBoost). Used in lecture 5.3.

    Parameters
    ----------
    model : fitted estimator with ``staged_predict``
    X : array-like of shape (n, d)
    y : array-like of shape (n,)
    loss : callable, optional
        ``loss(y, prediction) -> float``; the mean squared error by default.

    Returns
    -------
    ndarray of shape (n_rounds,)
        Entry ``t - 1`` is the loss after round ``t``.
    """
    if not hasattr(model, "staged_predict"):
        raise TypeError(f"model must have a staged_predict method, got {type(model).__name__}")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"y must be a non-empty 1-D array, got shape {y.shape}")
    loss = _mean_squared_error if loss is None else loss
    return np.array([float(loss(y, prediction)) for prediction in model.staged_predict(X)])


@dataclass(frozen=True)
class EarlyStopping:
    """Where a patience rule stops boosting on a validation-loss curve.

    Used in lecture 5.3. Rounds are counted from 1.

    Attributes
    ----------
    best_round : int
        Round with the lowest loss among those computed before stopping (the first
        such round on a tie): the model to keep.
    best_loss : float
        The loss at ``best_round``.
    stopped_round : int
        The last round that was trained: where the rule fired, or the last round of the
        curve if it never fired.
    stopped : bool
        Whether the rule fired before the end of the curve.
    """

    best_round: int
    best_loss: float
    stopped_round: int
    stopped: bool


@boundary(losses="vector", patience="int >= 1", tol="real >= 0.0",
          rule=one_of(("best", "window")))
def early_stopping(losses: object, patience: int = 10, tol: float = 0.0,
                   rule: str = "best") -> EarlyStopping:
    """Replay early stopping on a validation-loss curve, one round at a time.

    Used in lecture 5.3. Two patience rules:

    - ``"best"``: a round *improves* when its loss is below the best loss so far minus
      ``tol``; training stops at the first round that comes ``patience`` rounds after the
      last improvement (the rule of most deep-learning libraries).
    - ``"window"``: training stops at the first round whose loss plus ``tol`` is not below
      any of the losses of the last ``patience`` improving rounds; this is scikit-learn's
      ``n_iter_no_change`` rule, and ``stopped_round`` equals the ``n_estimators_`` of a
      scikit-learn gradient-boosting model that saw the same validation losses.

    Parameters
    ----------
    losses : array-like of shape (n_rounds,)
        Validation loss after every round (e.g. from :func:`staged_loss`): finite.
    patience : int
        Rounds without improvement tolerated (at least 1).
    tol : float
        Minimum decrease that counts as an improvement (``>= 0``).
    rule : {"best", "window"}

    Returns
    -------
    EarlyStopping
    """
    stopped_round = len(losses)
    if rule == "best":
        best, last_improvement = math.inf, 0
        for t, value in enumerate(losses, start=1):
            if value < best - tol:
                best, last_improvement = value, t
            elif t - last_improvement >= patience:
                stopped_round = t
                break
    else:
        history = np.full(patience, math.inf)
        for t, value in enumerate(losses, start=1):
            if np.any(value + tol < history):
                history[(t - 1) % patience] = value
            else:
                stopped_round = t
                break
    seen = losses[:stopped_round]
    best_round = int(np.argmin(seen)) + 1
    return EarlyStopping(best_round=best_round, best_loss=float(seen[best_round - 1]),
                         stopped_round=stopped_round, stopped=stopped_round < len(losses))


@boundary(model=instance(GradientBoostingRegressor,
                         what="a helpers.trees.GradientBoostingRegressor"), n_rounds="int >= 1")
def truncate(model: GradientBoostingRegressor, n_rounds: int) -> GradientBoostingRegressor:
    """A copy of a fitted :class:`helpers.trees.GradientBoostingRegressor` cut after ``n_rounds``.

    The copy predicts ``F_{n_rounds}`` (it shares the trees with ``model``, which is left
    unchanged). Use it to keep the round that early stopping chose. Used in lecture 5.3.
    """
    check_fitted(model)
    if n_rounds > len(model.estimators_):
        raise ValueError(f"n_rounds={n_rounds} exceeds the model's "
                         f"{len(model.estimators_)} rounds")
    cut = copy.copy(model)
    cut.estimators_ = model.estimators_[:n_rounds]
    cut.train_mse_ = model.train_mse_[:n_rounds]
    cut.n_estimators = n_rounds
    return cut
