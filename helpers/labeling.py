"""Getting labels without labelling everything: semi-supervised, active and weak supervision.

Used in lecture 1.4 (and :func:`self_training` again in lecture 3.1). Every
function here is written from scratch on top of NumPy and works with any
scikit-learn-style classifier (``fit``, ``predict``, and ``predict_proba`` where
confidences are needed):

- :func:`self_training` -- fit on the labelled data, pseudo-label the unlabelled
  examples the model is confident about, refit, repeat.
- :func:`uncertainty_scores`, :func:`vote_entropy`, :func:`select_queries` and
  :func:`active_learning` -- ask a human (here: an oracle holding the true labels)
  about the examples the model is least sure of, or the ones a committee of models
  disagrees on most (query by committee), and trace the learning curve.
- :func:`apply_labeling_functions`, :func:`majority_vote` and :func:`lf_summary` --
  data programming: heuristics that vote for a class or abstain, combined by a
  majority vote, with the coverage, overlap, conflict and accuracy of each heuristic.

Labels are whatever the estimator uses (ints, strings). Labelling functions, in
contrast, vote with non-negative integer class ids and :data:`ABSTAIN` (``-1``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods

from helpers.checks import (
    boundary,
    check_indices,
    check_int,
    check_labels,
    check_params,
    check_proba,
    check_vector,
    one_of,
    with_options,
)

__all__ = [
    "ABSTAIN",
    "UNCERTAINTY_METHODS",
    "STRATEGIES",
    "ActiveLearningResult",
    "SelfTrainingResult",
    "active_learning",
    "apply_labeling_functions",
    "lf_summary",
    "majority_vote",
    "select_queries",
    "self_training",
    "uncertainty_scores",
    "vote_entropy",
]

ABSTAIN = -1
"""The vote of a labelling function that has no opinion on an example."""

UNCERTAINTY_METHODS = ("least_confident", "margin", "entropy")
STRATEGIES = ("random", *UNCERTAINTY_METHODS, "qbc")


# --------------------------------------------------------------------------- validation


def _check_classifier(estimator: object, name: str = "estimator", proba: bool = True) -> None:
    needed = ["fit", "predict_proba"] if proba else ["fit", "predict"]
    check_params({name: [HasMethods(needed)]}, {name: estimator}, "active_learning")


def _as_features(X: object, name: str, allow_empty: bool = False):
    """A 2-D NumPy array or SciPy sparse matrix (rows = examples)."""
    if sparse.issparse(X):
        X = sparse.csr_matrix(X)
    else:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-D (examples x features), got shape {X.shape}")
    if X.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: it needs at least one example")
    return X


def _as_labels(y: object, name: str, n_rows: int) -> np.ndarray:
    y = check_labels(y, name) if n_rows else np.asarray(y)
    if len(y) != n_rows:
        raise ValueError(f"{name} has {len(y)} labels for {n_rows} examples")
    return y


def _stack(a, b):
    """Rows of ``a`` followed by rows of ``b`` (dense or sparse)."""
    if sparse.issparse(a) or sparse.issparse(b):
        return sparse.vstack([sparse.csr_matrix(a), sparse.csr_matrix(b)], format="csr")
    return np.concatenate([a, b])


def _check_same_width(*arrays_and_names) -> None:
    widths = {name: X.shape[1] for X, name in arrays_and_names}
    if len(set(widths.values())) > 1:
        raise ValueError(f"the feature matrices have different numbers of columns: {widths}")


# --------------------------------------------------------------------------- self-training


@dataclass
class SelfTrainingResult:
    """What :func:`self_training` returns. Used in lectures 1.4 and 3.1.

    Attributes
    ----------
    model : estimator
        The final model (a fitted clone of ``student``, or of the estimator), trained on
        the labelled examples plus every pseudo-labelled one.
    history : list of dict
        One entry per round: ``round`` (1, 2, ...), ``n_train`` (examples the teacher was
        fitted on), ``n_added`` (pseudo-labels added in the round), ``n_pseudo`` (all
        pseudo-labels so far), ``n_remaining`` (unlabelled examples left), and, when
        ``y_unlabeled`` was given, ``added_accuracy`` (accuracy of the labels added in
        the round) and ``pseudo_accuracy`` (of all pseudo-labels so far); NaN when no
        label was added. ``pd.DataFrame(history)`` makes a table of it.
    pseudo_labels : numpy.ndarray
        One entry per unlabelled example: the pseudo-label, meaningful only where
        ``labeled_round > 0``.
    labeled_round : numpy.ndarray of int
        The round in which each unlabelled example was pseudo-labelled; 0 if never.
    """

    model: object
    history: list[dict] = field(default_factory=list)
    pseudo_labels: np.ndarray = field(default_factory=lambda: np.empty(0))
    labeled_round: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))

    @property
    def n_pseudo(self) -> int:
        """Number of unlabelled examples that received a pseudo-label."""
        return int((self.labeled_round > 0).sum())


def _self_training_args(args: dict) -> None:
    """Check and convert the arguments of :func:`self_training` (in place)."""
    X_labeled = args["X_labeled"] = _as_features(args["X_labeled"], "X_labeled")
    args["y_labeled"] = _as_labels(args["y_labeled"], "y_labeled", X_labeled.shape[0])
    X_unlabeled = args["X_unlabeled"] = _as_features(args["X_unlabeled"], "X_unlabeled",
                                                     allow_empty=True)
    _check_same_width((X_labeled, "X_labeled"), (X_unlabeled, "X_unlabeled"))
    if args["y_unlabeled"] is not None:
        args["y_unlabeled"] = _as_labels(args["y_unlabeled"], "y_unlabeled",
                                         X_unlabeled.shape[0])


@boundary(estimator=[HasMethods(["fit", "predict_proba"])], student=[None, HasMethods(["fit"])],
          threshold="real in [0, 1]", max_rounds="int >= 1", check=_self_training_args)
def self_training(
    estimator: object,
    X_labeled: object,
    y_labeled: object,
    X_unlabeled: object,
    *,
    threshold: float = 0.9,
    max_rounds: int = 10,
    y_unlabeled: object | None = None,
    student: object | None = None,
) -> SelfTrainingResult:
    """Self-training: grow the training set with the model's own confident predictions.

    Each round fits a fresh clone of ``estimator`` (the teacher) on the labelled
    examples and the pseudo-labels so far, predicts the still-unlabelled examples, and
    turns every prediction whose top class probability is strictly above ``threshold``
    into a pseudo-label. It stops when a round adds nothing, no unlabelled example is
    left, or after ``max_rounds`` rounds; then a clone of ``student`` (default: the
    estimator) is fitted on everything. The teacher may be an expensive model that is
    never deployed and the student a cheap one. With ``student=None`` the result
    matches scikit-learn's ``SelfTrainingClassifier(criterion="threshold")``. Used in
    lectures 1.4 and 3.1.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn-style classifier with ``fit`` and ``predict_proba`` (it is
        cloned, never modified).
    X_labeled, y_labeled : array-like or sparse matrix, 1-D array-like
        The labelled examples (at least one) and their labels.
    X_unlabeled : array-like or sparse matrix
        Unlabelled examples with the same columns (may be empty).
    threshold : float in [0, 1]
        Confidence a prediction must exceed to become a pseudo-label. Low values add
        more, and more often wrong, labels.
    max_rounds : int
        Maximum number of pseudo-labelling rounds (at least 1).
    y_unlabeled : 1-D array-like, optional
        True labels of ``X_unlabeled``, used *only* to report the accuracy of the
        pseudo-labels in ``history`` (a diagnosis no real project has).
    student : classifier, optional
        The model fitted on the final training set; default ``estimator``.

    Returns
    -------
    SelfTrainingResult
        The final model, the per-round history, and the pseudo-labels.

    Raises
    ------
    TypeError
        If an estimator lacks ``fit``/``predict_proba`` or a hyper-parameter has the
        wrong type.
    ValueError
        On empty labelled data, mismatched shapes, NaN labels, or a threshold outside
        [0, 1].
    """
    n_unlabeled = X_unlabeled.shape[0]
    pseudo_labels = np.empty(n_unlabeled, dtype=y_labeled.dtype)
    labeled_round = np.zeros(n_unlabeled, dtype=int)
    history: list[dict] = []
    for round_ in range(1, max_rounds + 1):
        remaining = np.flatnonzero(labeled_round == 0)
        if remaining.size == 0:
            break
        done = np.flatnonzero(labeled_round > 0)
        X_train = _stack(X_labeled, X_unlabeled[done])
        y_train = np.concatenate([y_labeled, pseudo_labels[done]])
        teacher = clone(estimator).fit(X_train, y_train)
        proba = np.asarray(teacher.predict_proba(X_unlabeled[remaining]))
        confidence = proba.max(axis=1)
        selected = remaining[confidence > threshold]
        pseudo_labels[selected] = teacher.classes_[proba.argmax(axis=1)][confidence > threshold]
        labeled_round[selected] = round_
        entry = {"round": round_, "n_train": len(y_train), "n_added": int(selected.size),
                 "n_pseudo": int((labeled_round > 0).sum()),
                 "n_remaining": int((labeled_round == 0).sum())}
        if y_unlabeled is not None:
            all_pseudo = labeled_round > 0
            entry["added_accuracy"] = (
                float(np.mean(pseudo_labels[selected] == y_unlabeled[selected]))
                if selected.size else math.nan)
            entry["pseudo_accuracy"] = (
                float(np.mean(pseudo_labels[all_pseudo] == y_unlabeled[all_pseudo]))
                if all_pseudo.any() else math.nan)
        history.append(entry)
        if selected.size == 0:
            break

    done = np.flatnonzero(labeled_round > 0)
    final = clone(estimator if student is None else student)
    final.fit(_stack(X_labeled, X_unlabeled[done]),
              np.concatenate([y_labeled, pseudo_labels[done]]))
    return SelfTrainingResult(model=final, history=history, pseudo_labels=pseudo_labels,
                              labeled_round=labeled_round)


# --------------------------------------------------------------------------- active learning


@boundary(method=one_of(UNCERTAINTY_METHODS), proba=partial(check_proba, min_classes=2))
def uncertainty_scores(proba: object, method: str = "entropy") -> np.ndarray:
    """How unsure a classifier is about each example; larger means more uncertain.

    With ``p_(1) >= p_(2)`` the two largest class probabilities of an example:

    - ``"least_confident"``: ``1 - p_(1)``, largest when the top class score is near
      ``1/n`` for ``n`` classes;
    - ``"margin"``: ``1 - (p_(1) - p_(2))``, largest when the two best classes tie;
    - ``"entropy"``: ``-sum_c p_c log p_c`` (natural log, ``0 log 0 = 0``), largest
      (``log n``) for the uniform distribution.

    Used in lecture 1.4.

    Parameters
    ----------
    proba : array-like, shape (n_examples, n_classes)
        Predicted class probabilities (rows sum to 1, at least 2 classes).
    method : {"least_confident", "margin", "entropy"}

    Returns
    -------
    numpy.ndarray
        One score per example.
    """
    if method == "least_confident":
        return 1.0 - proba.max(axis=1)
    if method == "margin":
        top2 = -np.partition(-proba, 1, axis=1)[:, :2]
        return 1.0 - (top2[:, 0] - top2[:, 1])
    logs = np.log(proba, out=np.zeros_like(proba), where=proba > 0)
    return -(proba * logs).sum(axis=1)


def _vote_entropy_args(args: dict) -> None:
    """Check the argument of :func:`vote_entropy`: a non-empty 2-D array of labels."""
    v = np.asarray(args["votes"])
    if v.ndim != 2:
        raise ValueError(f"votes must be 2-D (members x examples), got shape {v.shape}")
    check_labels(v.ravel(), "votes")  # also refuses an empty committee or pool


@boundary(check=_vote_entropy_args)
def vote_entropy(votes: object) -> np.ndarray:
    """Disagreement of a committee: the entropy of its vote distribution per example.

    ``VE(x) = -sum_c (V_c / C) log(V_c / C)``, where ``V_c`` of the ``C`` committee
    members predict class ``c`` for ``x``: 0 when all agree, ``log min(C, n)`` at most.
    Query by committee asks about the examples with the largest vote entropy. Used in
    lecture 1.4.

    Parameters
    ----------
    votes : array-like, shape (n_members, n_examples)
        The class each member predicts for each example (any hashable labels).

    Returns
    -------
    numpy.ndarray
        One entropy per example (natural log).
    """
    v = np.asarray(votes)
    _, codes = np.unique(v, return_inverse=True)
    codes = codes.reshape(v.shape)
    n_members, n_examples = v.shape
    counts = np.zeros((n_examples, codes.max() + 1))
    np.add.at(counts, (np.tile(np.arange(n_examples), n_members), codes.ravel()), 1.0)
    freq = counts / n_members
    logs = np.log(freq, out=np.zeros_like(freq), where=freq > 0)
    return -(freq * logs).sum(axis=1)


@boundary(scores=with_options(check_vector, allow_inf=True), k="int >= 1")
def select_queries(scores: object, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, largest first; ties go to the lower index.

    Used in lecture 1.4.
    """
    if k > scores.size:
        raise ValueError(f"cannot select {k} queries from {scores.size} candidates")
    return np.argsort(-scores, kind="stable")[:k]


@dataclass
class ActiveLearningResult:
    """What :func:`active_learning` returns. Used in lecture 1.4.

    Attributes
    ----------
    n_labeled : list of int
        Size of the labelled set at each evaluation (initial set, then after each round).
    accuracy : list of float
        Test accuracy of the model fitted on that labelled set.
    labeled : numpy.ndarray of int
        Pool indices in the order they were labelled (initial set first).
    model : estimator
        The model fitted on the final labelled set.
    """

    n_labeled: list[int]
    accuracy: list[float]
    labeled: np.ndarray
    model: object


def _committee_votes(committee, X_train, y_train, X_candidates, rng, bootstrap):
    votes = []
    for member in committee:
        rows = (rng.integers(0, len(y_train), size=len(y_train)) if bootstrap
                else np.arange(len(y_train)))
        if np.unique(y_train[rows]).size < 2:  # a resample with one class cannot be fitted
            rows = np.arange(len(y_train))
        votes.append(clone(member).fit(X_train[rows], y_train[rows]).predict(X_candidates))
    return np.vstack(votes)


def _active_learning_args(args: dict) -> None:
    """Check and convert the arguments of :func:`active_learning` (in place)."""
    strategy, committee = args["strategy"], args["committee"]
    _check_classifier(args["estimator"], proba=strategy in UNCERTAINTY_METHODS)
    if strategy == "qbc":
        if committee is None or len(committee) < 2:
            raise ValueError("strategy 'qbc' needs a committee of at least 2 classifiers")
        for i, member in enumerate(committee):
            _check_classifier(member, f"committee[{i}]", proba=False)
    for part in ("pool", "test"):
        X = args[f"X_{part}"] = _as_features(args[f"X_{part}"], f"X_{part}")
        args[f"y_{part}"] = _as_labels(args[f"y_{part}"], f"y_{part}", X.shape[0])
    _check_same_width((args["X_pool"], "X_pool"), (args["X_test"], "X_test"))
    batch_size = args["batch_size"]
    n_rounds = args["n_rounds"]
    args["rng"] = np.random.default_rng(args["rng"])
    n_pool, initial = args["X_pool"].shape[0], args["initial"]
    if isinstance(initial, Integral) and not isinstance(initial, bool):
        size = args["initial"] = check_int("initial", initial, low=1, high=n_pool)
    else:
        labeled = args["initial"] = check_indices("initial", initial, n_pool)
        if np.unique(labeled).size != labeled.size:
            raise ValueError("initial indices must be distinct indices into the pool")
        size = labeled.size
    if size + n_rounds * batch_size > n_pool:
        raise ValueError(f"the pool has {n_pool} examples, fewer than the "
                         f"{size} + {n_rounds} x {batch_size} labels requested")


@boundary(strategy=one_of(STRATEGIES), batch_size="int >= 1", n_rounds="int >= 0",
          check=_active_learning_args)
def active_learning(
    estimator: object,
    X_pool: object,
    y_pool: object,
    X_test: object,
    y_test: object,
    *,
    strategy: str = "entropy",
    initial: int | Sequence[int] = 10,
    batch_size: int = 10,
    n_rounds: int = 10,
    committee: Sequence[object] | None = None,
    bootstrap: bool = True,
    rng: np.random.Generator | int | None = 0,
) -> ActiveLearningResult:
    """Pool-based active learning with a simulated annotator, tracing the learning curve.

    Starts from an initial labelled subset of the pool, then for ``n_rounds`` rounds:
    fit a clone of ``estimator`` on the labelled examples, score the unlabelled pool,
    "ask the annotator" for the labels of the ``batch_size`` highest-scoring examples
    (the oracle is ``y_pool``), and add them. The model is evaluated on the test set
    after every fit. Strategies:

    - ``"random"``: a uniformly random batch (the baseline);
    - ``"least_confident"``, ``"margin"``, ``"entropy"``: uncertainty sampling with
      :func:`uncertainty_scores` of the current model;
    - ``"qbc"``: query by committee; each member of ``committee`` is fitted (on a
      bootstrap resample of the labelled set if ``bootstrap``) and the examples with
      the largest :func:`vote_entropy` are queried.

    Used in lecture 1.4.

    Parameters
    ----------
    estimator : classifier
        Model being trained (cloned); needs ``predict_proba`` for uncertainty sampling.
    X_pool, y_pool : array-like
        The pool of candidates and the labels the annotator would give.
    X_test, y_test : array-like
        Held-out data for the learning curve.
    strategy : {"random", "least_confident", "margin", "entropy", "qbc"}
    initial : int or sequence of int
        Size of a random initial labelled set, or the pool indices of one.
    batch_size : int
        Labels bought per round.
    n_rounds : int
        Number of query rounds.
    committee : sequence of classifiers
        Required for ``"qbc"``: the committee members (unfitted, cloned).
    bootstrap : bool
        Fit each committee member on a bootstrap resample (query by bagging).
    rng : numpy.random.Generator or int or None
        Randomness of the initial set, the random strategy and the resamples.

    Returns
    -------
    ActiveLearningResult
        The learning curve (``n_labeled``, ``accuracy``) and the query order.
    """
    n_pool = X_pool.shape[0]
    labeled = (rng.choice(n_pool, size=initial, replace=False) if isinstance(initial, int)
               else initial)                     # a random start, or the given indices
    is_labeled = np.zeros(n_pool, dtype=bool)
    is_labeled[labeled] = True
    order = list(labeled)
    n_labeled, accuracy = [], []
    for round_ in range(n_rounds + 1):
        idx = np.asarray(order)
        model = clone(estimator).fit(X_pool[idx], y_pool[idx])
        n_labeled.append(idx.size)
        accuracy.append(float(np.mean(model.predict(X_test) == y_test)))
        if round_ == n_rounds:
            break
        candidates = np.flatnonzero(~is_labeled)
        if strategy == "random":
            picked = rng.choice(candidates, size=batch_size, replace=False)
        else:
            if strategy == "qbc":
                scores = vote_entropy(_committee_votes(committee, X_pool[idx], y_pool[idx],
                                                       X_pool[candidates], rng, bootstrap))
            else:
                scores = uncertainty_scores(model.predict_proba(X_pool[candidates]), strategy)
            picked = candidates[select_queries(scores, batch_size)]
        is_labeled[picked] = True
        order.extend(picked)
    return ActiveLearningResult(n_labeled=n_labeled, accuracy=accuracy,
                                labeled=np.asarray(order), model=model)


# --------------------------------------------------------------------------- weak supervision


def _as_vote_matrix(L: object) -> np.ndarray:
    votes = np.asarray(L)
    if votes.ndim != 2:
        raise ValueError(f"the vote matrix must be 2-D (examples x labelling functions), "
                         f"got shape {votes.shape}")
    if votes.shape[1] == 0:
        raise ValueError("the vote matrix has no labelling function (no columns)")
    if votes.dtype.kind == "f":
        if np.isnan(votes).any():
            raise ValueError("the vote matrix contains NaN; use ABSTAIN (-1) for no vote")
        if not np.all(votes == np.round(votes)):
            raise ValueError("votes must be integer class ids or ABSTAIN (-1)")
    elif votes.dtype.kind not in "iub":
        raise TypeError(f"votes must be integers, got dtype {votes.dtype}")
    votes = votes.astype(int)
    if (votes < ABSTAIN).any():
        raise ValueError("votes must be class ids >= 0 or ABSTAIN (-1)")
    return votes


def apply_labeling_functions(
    lfs: Sequence[Callable[[object], int]], examples: Iterable[object]
) -> np.ndarray:
    """Run every labelling function on every example: the vote matrix ``L``.

    ``L[i, j]`` is the vote of ``lfs[j]`` on ``examples[i]``: a class id ``>= 0`` or
    :data:`ABSTAIN`. Used in lecture 1.4.

    Parameters
    ----------
    lfs : sequence of callables
        Each takes one example and returns an int class id or ``ABSTAIN``.
    examples : iterable
        The (unlabelled) examples, e.g. strings.

    Returns
    -------
    numpy.ndarray of int, shape (n_examples, n_lfs)
    """
    lfs = list(lfs)
    if not lfs:
        raise ValueError("give at least one labelling function")
    for lf in lfs:
        if not callable(lf):
            raise TypeError(f"labelling functions must be callable, got {type(lf).__name__}")
    examples = list(examples)
    L = np.full((len(examples), len(lfs)), ABSTAIN, dtype=int)
    for j, lf in enumerate(lfs):
        for i, example in enumerate(examples):
            vote = lf(example)
            if isinstance(vote, bool) or not isinstance(vote, Integral) or vote < ABSTAIN:
                name = getattr(lf, "__name__", repr(lf))
                raise ValueError(f"labelling function {name} returned {vote!r}; "
                                 f"it must return a class id >= 0 or ABSTAIN ({ABSTAIN})")
            L[i, j] = vote
    return L


def _votes_within_classes(args: dict) -> None:
    top = int(args["L"].max(initial=ABSTAIN)) + 1
    if args["n_classes"] is not None and top > args["n_classes"]:
        raise ValueError(f"a vote for class {top - 1} exceeds n_classes={args['n_classes']}")


@boundary(L=lambda _, L: _as_vote_matrix(L), n_classes="int >= 1 or None",
          check=_votes_within_classes)
def majority_vote(L: object, n_classes: int | None = None) -> np.ndarray:
    """Combine the votes of labelling functions: the most voted class, per example.

    Abstentions do not count. An example on which every function abstains, or on
    which two or more classes tie for the most votes, gets :data:`ABSTAIN`. Used in
    lecture 1.4 (also for aggregating crowd workers' labels).

    Parameters
    ----------
    L : array-like of int, shape (n_examples, n_lfs)
        Votes: class ids ``>= 0`` or ``ABSTAIN``.
    n_classes : int, optional
        Number of classes; default ``max(L) + 1``.

    Returns
    -------
    numpy.ndarray of int, shape (n_examples,)
    """
    n_classes = n_classes or max(int(L.max(initial=ABSTAIN)) + 1, 1)
    counts = np.zeros((len(L), n_classes), dtype=int)
    rows, cols = np.nonzero(L != ABSTAIN)
    np.add.at(counts, (rows, L[rows, cols]), 1)
    best = counts.max(axis=1)
    winner = counts.argmax(axis=1)
    tied = (counts == best[:, None]).sum(axis=1) > 1
    return np.where((best == 0) | tied, ABSTAIN, winner)


def lf_summary(
    L: object, y: object | None = None, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per labelling function: coverage, overlaps, conflicts and (given ``y``) accuracy.

    Over all examples: *coverage* is the fraction on which the function votes;
    *overlaps* the fraction on which it and at least one other function vote;
    *conflicts* the fraction on which it votes and another function votes for a
    different class. *accuracy* is the fraction of its votes that equal ``y`` (NaN if
    it never votes). Used in lecture 1.4.

    Parameters
    ----------
    L : array-like of int, shape (n_examples, n_lfs)
        The vote matrix (:func:`apply_labeling_functions`).
    y : array-like of int, optional
        True class ids, for the accuracy columns.
    names : sequence of str, optional
        Row labels; default ``lf0, lf1, ...``.

    Returns
    -------
    pandas.DataFrame
        One row per function: ``polarity`` (the classes it votes for), ``coverage``,
        ``overlaps``, ``conflicts``, and with ``y`` also ``correct``, ``incorrect``,
        ``accuracy``.
    """
    votes = _as_vote_matrix(L)
    n_examples, n_lfs = votes.shape
    if n_examples == 0:
        raise ValueError("the vote matrix has no examples (no rows)")
    if names is None:
        names = [f"lf{j}" for j in range(n_lfs)]
    names = list(names)
    if len(names) != n_lfs:
        raise ValueError(f"got {len(names)} names for {n_lfs} labelling functions")
    voted = votes != ABSTAIN
    n_voting = voted.sum(axis=1)
    table = pd.DataFrame(index=pd.Index(names, name="labelling function"))
    table["polarity"] = [tuple(int(c) for c in np.unique(votes[voted[:, j], j]))
                         for j in range(n_lfs)]
    table["coverage"] = voted.mean(axis=0)
    table["overlaps"] = (voted & (n_voting[:, None] > 1)).mean(axis=0)
    conflicts = np.zeros(n_lfs)
    for j in range(n_lfs):
        other = np.delete(votes, j, axis=1)
        differs = (other != ABSTAIN) & (other != votes[:, [j]])
        conflicts[j] = np.mean(voted[:, j] & differs.any(axis=1))
    table["conflicts"] = conflicts
    if y is not None:
        y = _as_labels(y, "y", n_examples)
        hits = voted & (votes == y[:, None])
        table["correct"] = hits.sum(axis=0)
        table["incorrect"] = (voted & ~hits).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["accuracy"] = table["correct"] / voted.sum(axis=0)
    return table
