"""Stacking from scratch: out-of-fold predictions and stacked ensembles.

Used in lecture 5.4. Stacking trains *different* kinds of models (the level-1 models)
on the same data and learns how to combine their outputs with a second-level model
(the final estimator). The level-2 model must learn from level-1 outputs that look like
those it will see at prediction time, that is, predictions on examples the level-1
models did not train on. :func:`out_of_fold_predictions` produces them with (repeated)
k-fold cross-fitting: every row's prediction comes from a model trained on the other
folds, and with ``n_repeats > 1`` the predictions of several random fold assignments
are averaged, which lowers their variance.

:class:`StackingRegressor` and :class:`StackingClassifier` follow
``sklearn.ensemble.StackingRegressor`` / ``StackingClassifier``: the final estimator is
trained on the out-of-fold outputs (optionally next to the original features,
``passthrough=True``), and the level-1 models are then refitted on all the data for
prediction (``refit=True``) or, as AutoGluon does, the fold models are kept and their
predictions averaged (``refit=False``). A stack whose final estimator is itself a stack
is a multi-layer stack. ``cross_fit=False`` trains the next level on the level-1 models'
*in-sample* predictions instead: the naive scheme that overfits, kept to show why.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils._param_validation import HasMethods, Interval

from helpers.checks import boundary, check_fitted_X, check_params, check_target

_STACK_PARAMS = {"n_splits": [Interval(Integral, 2, None, closed="left")],
                 "n_repeats": [Interval(Integral, 1, None, closed="left")],
                 "seed": [None, Interval(Integral, 0, None, closed="left")],
                 "passthrough": ["boolean"], "cross_fit": ["boolean"], "refit": ["boolean"]}

__all__ = [
    "STACK_METHODS",
    "StackingClassifier",
    "StackingRegressor",
    "cross_fit",
    "out_of_fold_predictions",
]

STACK_METHODS = ("auto", "predict_proba", "decision_function", "predict")
_MAX_SEED = 2**31 - 1


# --------------------------------------------------------------------------- validation


def _named(estimators: object) -> list[tuple[str, object]]:
    """``estimators`` as a list of (name, estimator) pairs; plain estimators get names."""
    if isinstance(estimators, BaseEstimator) or not isinstance(estimators, Sequence):
        raise TypeError("estimators must be a list of estimators or of (name, estimator) pairs")
    if len(estimators) == 0:
        raise ValueError("estimators is empty: give at least one level-1 model")
    pairs = []
    for k, item in enumerate(estimators):
        name, est = item if isinstance(item, tuple) else (f"{type(item).__name__.lower()}{k}",
                                                         item)
        if not (hasattr(est, "fit") and hasattr(est, "predict")):
            raise TypeError(f"estimator {name!r} must have fit and predict methods, "
                            f"got {type(est).__name__}")
        pairs.append((str(name), est))
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"estimator names must be unique, got {names}")
    return pairs


def _method_name(estimator: object, method: str) -> str:
    """The prediction method a level-1 model contributes, as scikit-learn chooses it."""
    if method not in STACK_METHODS:
        raise ValueError(f"method must be one of {STACK_METHODS}, got {method!r}")
    candidates = ("predict_proba", "decision_function", "predict") if method == "auto" \
        else (method,)
    for candidate in candidates:
        if hasattr(estimator, candidate):
            return candidate
    raise ValueError(f"{type(estimator).__name__} has no {method} method")


def _columns(output: np.ndarray, method: str) -> np.ndarray:
    """A model's output as 2-D columns; binary probabilities keep only the positive class."""
    output = np.asarray(output, dtype=np.float64)
    if output.ndim == 1:
        return output[:, None]
    if method == "predict_proba" and output.shape[1] == 2:
        return output[:, 1:]                 # p(class 0) = 1 - p(class 1) is redundant
    return output


# --------------------------------------------------------------------------- out-of-fold


def _fold_splits(X: np.ndarray, y: np.ndarray, n_splits: int, n_repeats: int,
                 seed: int | None, stratify: bool) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """``n_repeats`` lists of ``n_splits`` (train, held-out) index pairs."""
    if n_splits > len(X):
        raise ValueError(f"n_splits={n_splits} exceeds the {len(X)} examples")
    if seed is None:
        if n_repeats > 1:
            raise ValueError("n_repeats > 1 needs a seed: unshuffled folds repeat identically")
        states = [None]
    else:
        states = np.random.default_rng(seed).integers(0, _MAX_SEED, size=n_repeats)
    splitter = StratifiedKFold if stratify else KFold
    return [list(splitter(n_splits, shuffle=state is not None,
                          random_state=None if state is None else int(state)).split(X, y))
            for state in states]


def cross_fit(estimators: list[tuple[str, object]], methods: list[str], X: np.ndarray,
               y: np.ndarray, n_splits: int, n_repeats: int, seed: int | None
               ) -> tuple[np.ndarray, list[list[object]]]:
    """Out-of-fold outputs averaged over repeats, and every fold model of every estimator.

    Cross-fitting, the heart of stacking: every level-1 model is fitted on all folds
    but one and predicts the held-out fold, so the level-2 model learns from outputs
    on data the level-1 models did not see. Used in lecture 5.4 (inputs are checked
    by :func:`out_of_fold_predictions` and :class:`StackingRegressor`).

    Parameters
    ----------
    estimators : list of (str, estimator)
        Named unfitted scikit-learn estimators.
    methods : list of str
        The output method of each (``"predict"``, ``"predict_proba"``...).
    X : numpy.ndarray
        ``(n, d)`` features.
    y : numpy.ndarray
        ``(n,)`` targets.
    n_splits, n_repeats : int
        Folds, and repetitions with different shuffles (averaged).
    seed : int or None
        Seed of the shuffles; None: unshuffled folds.

    Returns
    -------
    level1 : numpy.ndarray
        ``(n, total output columns)`` out-of-fold outputs.
    fold_models : list of list
        The fitted fold models of every estimator.
    """
    stratify = all(is_classifier(est) for _, est in estimators)
    repeats = _fold_splits(X, y, n_splits, n_repeats, seed, stratify)
    blocks, fold_models = [], []
    for (_, est), method in zip(estimators, methods, strict=True):
        total, models = None, []
        for folds in repeats:
            oof = None
            for train, held_out in folds:
                model = clone(est).fit(X[train], y[train])
                out = _columns(getattr(model, method)(X[held_out]), method)
                if oof is None:
                    oof = np.full((len(X), out.shape[1]), np.nan)
                oof[held_out] = out
                models.append(model)
            total = oof if total is None else total + oof
        blocks.append(total / len(repeats))
        fold_models.append(models)
    return np.hstack(blocks), fold_models


@boundary(X="matrix", n_splits="int >= 2", n_repeats="int >= 1", seed="int >= 0 or None")
def out_of_fold_predictions(estimators: object, X: object, y: object, n_splits: int = 5,
                            n_repeats: int = 1, seed: int | None = 0,
                            method: str = "auto") -> np.ndarray:
    """Predictions of each model on every row from a model that did not train on that row.

    For every repeat, the rows are split into ``n_splits`` folds (stratified by class
    when all the estimators are classifiers); for each fold a fresh clone of each
    estimator is trained on the other folds and predicts the held-out fold. The
    ``n_repeats`` repeats use different random fold assignments and their predictions
    are averaged. Used in lecture 5.4.

    Parameters
    ----------
    estimators : list of estimators or of (name, estimator) pairs
        Unfitted scikit-learn-style models (cloned, never modified).
    X : array-like of shape (n, d)
    y : array-like of shape (n,)
    n_splits : int
        Number of folds k (at least 2).
    n_repeats : int
        Number of repeated k-fold splits to average (at least 1).
    seed : int or None
        Seed of the fold assignments; None uses unshuffled contiguous folds (as
        scikit-learn's ``cv=5`` does), which allows only one repeat.
    method : {"auto", "predict_proba", "decision_function", "predict"}
        The output each model contributes; ``"auto"`` takes the first of these three
        that the model has. Binary ``predict_proba`` keeps only the positive class.

    Returns
    -------
    ndarray of shape (n, n_columns)
        The models' output columns side by side, in the order of ``estimators``.
    """
    pairs = _named(estimators)
    y = check_target(y, len(X), numeric=False)
    methods = [_method_name(est, method) for _, est in pairs]
    return cross_fit(pairs, methods, X, y, n_splits, n_repeats, seed)[0]


# --------------------------------------------------------------------------- stacking


class _BaseStacking(BaseEstimator):
    """Shared fitting and prediction of the stacked ensembles."""

    def __init__(self, estimators: object, final_estimator: object = None, *,
                 n_splits: int = 5, n_repeats: int = 1, seed: int | None = 0,
                 passthrough: bool = False, method: str = "auto", cross_fit: bool = True,
                 refit: bool = True) -> None:
        self.estimators = estimators
        self.final_estimator = final_estimator
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.seed = seed
        self.passthrough = passthrough
        self.method = method
        self.cross_fit = cross_fit
        self.refit = refit

    def _default_final_estimator(self) -> object:  # pragma: no cover - overridden
        raise NotImplementedError

    def _fit_stack(self, X: np.ndarray, y: np.ndarray) -> None:
        pairs = _named(self.estimators)
        final = self._default_final_estimator() if self.final_estimator is None \
            else self.final_estimator
        check_params({**_STACK_PARAMS, "final_estimator": [HasMethods(["fit", "predict"])]},
                     {**vars(self), "final_estimator": final}, type(self).__name__)
        self.stack_methods_ = [_method_name(est, self.method) for _, est in pairs]
        self.n_features_in_ = X.shape[1]
        if self.cross_fit:
            level1, fold_models = cross_fit(pairs, self.stack_methods_, X, y, self.n_splits,
                                             self.n_repeats, self.seed)
            if self.refit:
                members = [[clone(est).fit(X, y)] for _, est in pairs]
            else:
                members = fold_models
        else:       # naive: the next level learns from in-sample predictions
            members = [[clone(est).fit(X, y)] for _, est in pairs]
            level1 = self._level1(X, members)
        self.members_ = members
        self.level1_train_ = level1
        self.named_estimators_ = {name: models[0] if len(models) == 1 else models
                                  for (name, _), models in zip(pairs, members, strict=True)}
        self.final_estimator_ = clone(final).fit(self._with_passthrough(level1, X), y)

    def _level1(self, X: np.ndarray, members: list[list[object]]) -> np.ndarray:
        blocks = []
        for models, method in zip(members, self.stack_methods_, strict=True):
            outputs = [_columns(getattr(model, method)(X), method) for model in models]
            blocks.append(np.mean(outputs, axis=0))
        return np.hstack(blocks)

    def _with_passthrough(self, level1: np.ndarray, X: np.ndarray) -> np.ndarray:
        return np.hstack([level1, X]) if self.passthrough else level1

    def transform(self, X: object) -> np.ndarray:
        """The final estimator's input for new rows: level-1 outputs (then ``X`` if passthrough).

        With ``refit=False`` each level-1 output is the average over the fold models.
        """
        X = check_fitted_X(self, X, "final_estimator_")
        return self._with_passthrough(self._level1(X, self.members_), X)


class StackingRegressor(RegressorMixin, _BaseStacking):
    """A stack of regressors with a learned combiner, from scratch.

    Used in lecture 5.4. Fitting: (1) out-of-fold predictions of every level-1 model
    (:func:`out_of_fold_predictions`, ``n_splits``-fold, averaged over ``n_repeats``
    random splits); (2) the final estimator is trained on them (next to ``X`` when
    ``passthrough=True``); (3) the level-1 models are refitted on all rows
    (``refit=True``, scikit-learn's choice) or their fold models are kept and averaged
    (``refit=False``, AutoGluon's choice). Prediction passes new rows through the
    level-1 models and the final estimator. With ``seed=None`` (unshuffled folds) the
    result equals ``sklearn.ensemble.StackingRegressor(cv=n_splits)``.

    Parameters
    ----------
    estimators : list of estimators or of (name, estimator) pairs
        The level-1 models.
    final_estimator : estimator, optional
        The combiner; ``RidgeCV()`` by default. Another stack gives a multi-layer stack.
    n_splits, n_repeats, seed, method :
        As in :func:`out_of_fold_predictions`.
    passthrough : bool
        Give the final estimator the original features too.
    cross_fit : bool
        False trains the final estimator on the level-1 models' in-sample predictions
        (the naive scheme, which overfits).
    refit : bool
        Refit the level-1 models on all rows (True) or average the fold models (False).

    Attributes
    ----------
    members_ : list of lists of fitted estimators
        For each level-1 model, the fitted copies whose outputs are averaged.
    named_estimators_ : dict
        Level-1 name to its fitted model (or list of fold models).
    final_estimator_ : fitted estimator
    level1_train_ : ndarray of shape (n, n_columns)
        The level-1 outputs on the training rows that the final estimator learned from:
        out-of-fold (averaged over repeats), or in-sample when ``cross_fit=False``.
        Without the passthrough columns.
    stack_methods_ : list of str
        The method each level-1 model contributes.
    """

    def _default_final_estimator(self) -> object:
        return RidgeCV()

    @boundary(X="matrix")
    def fit(self, X: object, y: object) -> StackingRegressor:
        """Fit the level-1 models and the final estimator; return self."""
        y = check_target(y, len(X), numeric=False)
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError("y must be numeric for a regressor") from err
        self._fit_stack(X, y)
        return self

    def predict(self, X: object) -> np.ndarray:
        """The final estimator's prediction from the level-1 outputs, shape (n,)."""
        features = self.transform(X)
        return np.asarray(self.final_estimator_.predict(features), dtype=np.float64)


class StackingClassifier(ClassifierMixin, _BaseStacking):
    """A stack of classifiers with a learned combiner, from scratch.

    Used in lecture 5.4. As :class:`StackingRegressor`, with class labels encoded as
    ``0..K-1`` for the level-1 models (``classes_`` keeps the originals), stratified
    folds, and ``LogisticRegression()`` as the default final estimator. Level-1
    models contribute class probabilities (only the positive class for two classes).
    With ``seed=None`` the result equals ``sklearn.ensemble.StackingClassifier(cv=n_splits)``.

    Parameters and attributes are those of :class:`StackingRegressor`, plus ``classes_``.
    """

    def _default_final_estimator(self) -> object:
        return LogisticRegression()

    @boundary(X="matrix")
    def fit(self, X: object, y: object) -> StackingClassifier:
        """Fit the level-1 models and the final estimator; return self."""
        y = check_target(y, len(X), numeric=False)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("StackingClassifier needs at least 2 classes, got 1")
        self._fit_stack(X, codes)
        return self

    def predict_proba(self, X: object) -> np.ndarray:
        """The final estimator's class probabilities, shape (n, n_classes)."""
        features = self.transform(X)
        return self.final_estimator_.predict_proba(features)

    def predict(self, X: object) -> np.ndarray:
        """Predicted labels (in the original label set)."""
        features = self.transform(X)
        codes = np.asarray(self.final_estimator_.predict(features)).astype(int)
        return self.classes_[codes]
