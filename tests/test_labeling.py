"""Tests of helpers.labeling: self-training, active learning, weak supervision."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.stats import entropy
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.semi_supervised import SelfTrainingClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from helpers.labeling import (
    ABSTAIN,
    active_learning,
    apply_labeling_functions,
    lf_summary,
    majority_vote,
    select_queries,
    self_training,
    uncertainty_scores,
    vote_entropy,
)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               n_clusters_per_class=1, class_sep=1.5, random_state=0)
    return X, y


def random_proba(rng, n, k):
    p = rng.random((n, k)) ** 3
    return p / p.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- self_training


@pytest.mark.parametrize("threshold", [0.6, 0.8, 0.95])
def test_self_training_matches_sklearn_self_training_classifier(blobs, threshold):
    X, y = blobs
    n_lab = 15
    est = LogisticRegression(max_iter=1000)
    ours = self_training(est, X[:n_lab], y[:n_lab], X[n_lab:], threshold=threshold,
                         max_rounds=5)
    y_masked = y.copy()
    y_masked[n_lab:] = -1
    ref = SelfTrainingClassifier(est, threshold=threshold, max_iter=5).fit(X, y_masked)
    ref_round = ref.labeled_iter_[n_lab:]
    assert np.array_equal(ours.labeled_round, np.where(ref_round < 0, 0, ref_round))
    added = ours.labeled_round > 0
    assert np.array_equal(ours.pseudo_labels[added], ref.transduction_[n_lab:][added])
    assert np.array_equal(ours.model.predict(X), ref.predict(X))


def test_self_training_history_counts_add_up(blobs):
    X, y = blobs
    res = self_training(LogisticRegression(max_iter=1000), X[:20], y[:20], X[20:],
                        threshold=0.7, max_rounds=4)
    history = pd.DataFrame(res.history)
    assert list(history["round"]) == list(range(1, len(history) + 1))
    assert history["n_added"].sum() == res.n_pseudo
    assert (history["n_pseudo"] + history["n_remaining"] == len(X) - 20).all()
    assert list(history["n_train"]) == list(20 + history["n_pseudo"] - history["n_added"])
    assert "pseudo_accuracy" not in history  # no ground truth given


def test_self_training_reports_pseudo_label_accuracy_with_ground_truth(blobs):
    X, y = blobs
    res = self_training(LogisticRegression(max_iter=1000), X[:20], y[:20], X[20:],
                        threshold=0.7, max_rounds=3, y_unlabeled=y[20:])
    added = res.labeled_round > 0
    expected = np.mean(res.pseudo_labels[added] == y[20:][added])
    assert res.history[-1]["pseudo_accuracy"] == pytest.approx(expected)
    first = res.labeled_round == 1
    assert res.history[0]["added_accuracy"] == pytest.approx(
        np.mean(res.pseudo_labels[first] == y[20:][first]))


def test_self_training_with_threshold_one_adds_nothing_and_equals_supervised(blobs):
    X, y = blobs
    res = self_training(LogisticRegression(max_iter=1000), X[:30], y[:30], X[30:],
                        threshold=1.0, y_unlabeled=y[30:])
    assert res.n_pseudo == 0
    assert len(res.history) == 1 and math.isnan(res.history[0]["added_accuracy"])
    plain = LogisticRegression(max_iter=1000).fit(X[:30], y[:30])
    assert np.allclose(res.model.coef_, plain.coef_)


def test_self_training_stops_when_every_example_is_labelled(blobs):
    X, y = blobs
    res = self_training(LogisticRegression(max_iter=1000), X[:30], y[:30], X[30:],
                        threshold=0.0, max_rounds=10)
    assert res.n_pseudo == len(X) - 30
    assert len(res.history) == 1


def test_self_training_respects_max_rounds(blobs):
    X, y = blobs
    res = self_training(LogisticRegression(max_iter=1000), X[:10], y[:10], X[10:],
                        threshold=0.9, max_rounds=2)
    assert len(res.history) <= 2
    assert res.labeled_round.max() <= 2


def test_self_training_uses_the_student_for_the_final_model(blobs):
    X, y = blobs
    res = self_training(GaussianNB(), X[:30], y[:30], X[30:],
                        threshold=0.8, student=DecisionTreeClassifier(random_state=0))
    assert isinstance(res.model, DecisionTreeClassifier)
    added = res.labeled_round > 0
    X_final = np.concatenate([X[:30], X[30:][added]])
    y_final = np.concatenate([y[:30], res.pseudo_labels[added]])
    assert res.model.score(X_final, y_final) == 1.0


def test_self_training_works_with_string_labels_and_sparse_features():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    order = np.random.default_rng(0).permutation(len(y))
    X, names = X[order], names[order]
    res = self_training(LogisticRegression(max_iter=1000), sparse.csr_matrix(X[:15]),
                        names[:15], sparse.csr_matrix(X[15:]), threshold=0.8,
                        y_unlabeled=names[15:])
    assert res.model.predict(sparse.csr_matrix(X[:3])).dtype.kind == "U"
    assert res.n_pseudo > 0
    assert res.history[-1]["pseudo_accuracy"] > 0.8


def test_self_training_with_empty_unlabelled_set_is_plain_supervised(blobs):
    X, y = blobs
    res = self_training(LogisticRegression(max_iter=1000), X, y, X[:0])
    assert res.history == [] and res.n_pseudo == 0
    assert np.allclose(res.model.coef_, LogisticRegression(max_iter=1000).fit(X, y).coef_)


def test_self_training_does_not_modify_the_estimator(blobs):
    X, y = blobs
    est = LogisticRegression(max_iter=1000)
    self_training(est, X[:20], y[:20], X[20:])
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("kwargs, error", [
    ({"threshold": 1.5}, ValueError),
    ({"threshold": -0.1}, ValueError),
    ({"threshold": "high"}, TypeError),
    ({"max_rounds": 0}, ValueError),
    ({"max_rounds": 2.5}, TypeError),
])
def test_self_training_rejects_bad_hyper_parameters(blobs, kwargs, error):
    X, y = blobs
    with pytest.raises(error):
        self_training(LogisticRegression(), X[:20], y[:20], X[20:], **kwargs)


def test_self_training_rejects_a_classifier_without_predict_proba(blobs):
    X, y = blobs
    with pytest.raises(TypeError, match="predict_proba"):
        self_training(SVC(), X[:20], y[:20], X[20:])


def test_self_training_rejects_bad_data(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="empty"):
        self_training(LogisticRegression(), X[:0], y[:0], X)
    with pytest.raises(ValueError, match="labels for"):
        self_training(LogisticRegression(), X[:20], y[:19], X[20:])
    with pytest.raises(ValueError, match="columns"):
        self_training(LogisticRegression(), X[:20], y[:20], X[20:, :3])
    with pytest.raises(ValueError, match="NaN"):
        self_training(LogisticRegression(), X[:2], [0.0, np.nan], X[20:])
    with pytest.raises(ValueError, match="2-D"):
        self_training(LogisticRegression(), X[:20, 0], y[:20], X[20:])
    with pytest.raises(ValueError, match="y_unlabeled"):
        self_training(LogisticRegression(), X[:20], y[:20], X[20:], y_unlabeled=y[:5])


# --------------------------------------------------------------------------- uncertainty


def test_uncertainty_scores_match_reference_formulas():
    rng = np.random.default_rng(0)
    p = random_proba(rng, 50, 4)
    top2 = np.sort(p, axis=1)[:, ::-1][:, :2]
    assert np.allclose(uncertainty_scores(p, "least_confident"), 1 - p.max(axis=1))
    assert np.allclose(uncertainty_scores(p, "margin"), 1 - (top2[:, 0] - top2[:, 1]))
    assert np.allclose(uncertainty_scores(p, "entropy"), entropy(p, axis=1))


def test_uncertainty_scores_are_extreme_for_uniform_and_certain_predictions():
    n = 5
    uniform, certain = np.full((1, n), 1 / n), np.eye(n)[:1]
    assert uncertainty_scores(uniform, "least_confident")[0] == pytest.approx(1 - 1 / n)
    assert uncertainty_scores(uniform, "margin")[0] == pytest.approx(1.0)
    assert uncertainty_scores(uniform, "entropy")[0] == pytest.approx(math.log(n))
    for method in ("least_confident", "margin", "entropy"):
        assert uncertainty_scores(certain, method)[0] == pytest.approx(0.0)


def test_uncertainty_scores_handle_zero_probabilities_without_nan():
    p = np.array([[0.5, 0.5, 0.0]])
    assert uncertainty_scores(p, "entropy")[0] == pytest.approx(math.log(2))


@pytest.mark.parametrize("proba", [
    [[0.5, 0.6]],            # does not sum to 1
    [[1.2, -0.2]],           # negative
    [[1.0]],                 # one class
    [0.5, 0.5],              # 1-D
    [[np.nan, 1.0]],         # NaN
])
def test_uncertainty_scores_reject_invalid_probabilities(proba):
    with pytest.raises(ValueError):
        uncertainty_scores(proba)


def test_uncertainty_scores_reject_unknown_method():
    with pytest.raises(ValueError, match="method"):
        uncertainty_scores([[0.5, 0.5]], "variance")


def test_vote_entropy_matches_scipy_entropy_of_vote_counts():
    rng = np.random.default_rng(1)
    votes = rng.integers(0, 4, size=(7, 40))
    expected = [entropy(np.bincount(votes[:, i], minlength=4)) for i in range(40)]
    assert np.allclose(vote_entropy(votes), expected)


def test_vote_entropy_is_zero_when_the_committee_agrees_and_works_with_strings():
    votes = np.array([["cat", "dog"], ["cat", "cow"], ["cat", "dog"], ["cat", "cow"]])
    assert np.allclose(vote_entropy(votes), [0.0, math.log(2)])


def test_vote_entropy_rejects_bad_input():
    with pytest.raises(ValueError):
        vote_entropy([1, 2, 3])
    with pytest.raises(ValueError):
        vote_entropy(np.empty((0, 3)))
    with pytest.raises(ValueError):
        vote_entropy([[0.0, np.nan]])


def test_select_queries_picks_largest_scores_with_ties_to_lower_index():
    assert list(select_queries([0.1, 0.9, 0.5, 0.9, 0.2], 3)) == [1, 3, 2]


def test_select_queries_rejects_bad_k_and_nan():
    with pytest.raises(ValueError):
        select_queries([0.1, 0.2], 3)
    with pytest.raises(ValueError):
        select_queries([0.1, 0.2], 0)
    with pytest.raises(ValueError):
        select_queries([0.1, np.nan], 1)


# --------------------------------------------------------------------------- active_learning


def test_active_learning_curve_has_one_point_per_round_and_grows_by_batch(blobs):
    X, y = blobs
    res = active_learning(LogisticRegression(max_iter=1000), X[:200], y[:200], X[200:],
                          y[200:], strategy="entropy", initial=10, batch_size=5,
                          n_rounds=4, rng=0)
    assert res.n_labeled == [10, 15, 20, 25, 30]
    assert len(res.accuracy) == 5 and all(0 <= a <= 1 for a in res.accuracy)
    assert len(np.unique(res.labeled)) == 30


def test_active_learning_queries_the_most_uncertain_example(blobs):
    X, y = blobs
    start = np.arange(12)
    res = active_learning(LogisticRegression(max_iter=1000), X[:200], y[:200], X[200:],
                          y[200:], strategy="margin", initial=start, batch_size=1,
                          n_rounds=1)
    model = LogisticRegression(max_iter=1000).fit(X[start], y[start])
    candidates = np.arange(12, 200)
    scores = uncertainty_scores(model.predict_proba(X[candidates]), "margin")
    assert res.labeled[-1] == candidates[np.argmax(scores)]


def test_active_learning_random_strategy_is_reproducible_with_a_seed(blobs):
    X, y = blobs
    runs = [active_learning(GaussianNB(), X[:200], y[:200], X[200:], y[200:],
                            strategy="random", n_rounds=3, rng=7) for _ in range(2)]
    assert np.array_equal(runs[0].labeled, runs[1].labeled)
    assert runs[0].accuracy == runs[1].accuracy


def test_active_learning_qbc_queries_examples_the_committee_disagrees_on(blobs):
    X, y = blobs
    committee = [LogisticRegression(max_iter=1000), GaussianNB(),
                 DecisionTreeClassifier(random_state=0)]
    start = np.arange(15)
    res = active_learning(LogisticRegression(max_iter=1000), X[:200], y[:200], X[200:],
                          y[200:], strategy="qbc", initial=start, batch_size=3,
                          n_rounds=1, committee=committee, bootstrap=False)
    votes = np.vstack([m.fit(X[start], y[start]).predict(X[15:200]) for m in committee])
    scores = vote_entropy(votes)
    queried = res.labeled[15:] - 15
    assert scores[queried].min() >= np.sort(scores)[-3] - 1e-12


def test_active_learning_rejects_bad_arguments(blobs):
    X, y = blobs
    est = LogisticRegression(max_iter=1000)
    args = (X[:100], y[:100], X[100:], y[100:])
    with pytest.raises(ValueError, match="strategy"):
        active_learning(est, *args, strategy="smart")
    with pytest.raises(ValueError, match="committee"):
        active_learning(est, *args, strategy="qbc")
    with pytest.raises(ValueError, match="pool"):
        active_learning(est, *args, initial=10, batch_size=50, n_rounds=3)
    with pytest.raises(ValueError, match="distinct"):
        active_learning(est, *args, initial=[0, 0, 1])
    with pytest.raises(TypeError, match="predict_proba"):
        active_learning(SVC(), *args, strategy="entropy")
    with pytest.raises(ValueError, match="columns"):
        active_learning(est, X[:100], y[:100], X[100:, :2], y[100:])


# --------------------------------------------------------------------------- weak supervision


def reference_majority(row):
    votes = Counter(v for v in row if v != ABSTAIN)
    if not votes:
        return ABSTAIN
    (top, n), *rest = votes.most_common()
    return ABSTAIN if rest and rest[0][1] == n else top


def test_majority_vote_matches_a_counting_reference_on_random_votes():
    rng = np.random.default_rng(3)
    L = rng.integers(-1, 3, size=(500, 5))
    expected = [reference_majority(row) for row in L]
    assert np.array_equal(majority_vote(L), expected)


def test_majority_vote_abstains_on_ties_and_when_all_abstain():
    L = np.array([[0, 1, -1], [-1, -1, -1], [1, 1, 0], [2, -1, -1]])
    assert list(majority_vote(L)) == [ABSTAIN, ABSTAIN, 1, 2]


def test_majority_vote_accepts_integer_valued_floats_and_n_classes():
    assert list(majority_vote(np.array([[0.0, 0.0, 1.0]]), n_classes=3)) == [0]


@pytest.mark.parametrize("L, error", [
    (np.array([[0, -2]]), ValueError),
    (np.array([[0.5, 1.0]]), ValueError),
    (np.array([[np.nan, 1.0]]), ValueError),
    (np.array([["a", "b"]]), TypeError),
    (np.array([0, 1]), ValueError),
    (np.empty((3, 0), dtype=int), ValueError),
])
def test_majority_vote_rejects_invalid_vote_matrices(L, error):
    with pytest.raises(error):
        majority_vote(L)


def test_majority_vote_rejects_votes_beyond_n_classes():
    with pytest.raises(ValueError, match="n_classes"):
        majority_vote(np.array([[0, 3]]), n_classes=2)


def test_apply_labeling_functions_builds_the_vote_matrix():
    def has_check(s):
        return 1 if "check out" in s else ABSTAIN

    def short(s):
        return 0 if len(s.split()) < 5 else ABSTAIN

    texts = ["check out my channel", "great song, I love it so much", "nice"]
    L = apply_labeling_functions([has_check, short], texts)
    assert L.tolist() == [[1, 0], [-1, -1], [-1, 0]]


def test_apply_labeling_functions_rejects_invalid_votes_and_non_callables():
    with pytest.raises(ValueError, match="returned"):
        apply_labeling_functions([lambda s: "spam"], ["a"])
    with pytest.raises(ValueError, match="returned"):
        apply_labeling_functions([lambda s: True], ["a"])
    with pytest.raises(TypeError):
        apply_labeling_functions(["not a function"], ["a"])
    with pytest.raises(ValueError):
        apply_labeling_functions([], ["a"])


def test_lf_summary_matches_brute_force_definitions():
    rng = np.random.default_rng(4)
    L = rng.integers(-1, 2, size=(200, 4))
    y = rng.integers(0, 2, size=200)
    table = lf_summary(L, y, names=list("abcd"))
    for j, name in enumerate("abcd"):
        cov = ovl = con = correct = 0
        for i in range(200):
            if L[i, j] == ABSTAIN:
                continue
            others = [L[i, k] for k in range(4) if k != j and L[i, k] != ABSTAIN]
            cov += 1
            ovl += bool(others)
            con += any(o != L[i, j] for o in others)
            correct += L[i, j] == y[i]
        row = table.loc[name]
        assert row["coverage"] == pytest.approx(cov / 200)
        assert row["overlaps"] == pytest.approx(ovl / 200)
        assert row["conflicts"] == pytest.approx(con / 200)
        assert row["accuracy"] == pytest.approx(correct / cov)
        assert row["polarity"] == (0, 1)


def test_lf_summary_gives_nan_accuracy_for_a_function_that_never_votes():
    L = np.array([[0, -1], [1, -1]])
    table = lf_summary(L, [0, 0])
    assert table.loc["lf0", "accuracy"] == 0.5
    assert math.isnan(table.loc["lf1", "accuracy"]) and table.loc["lf1", "coverage"] == 0
    assert table.loc["lf1", "polarity"] == ()


def test_lf_summary_without_labels_has_no_accuracy_column():
    assert "accuracy" not in lf_summary(np.array([[0, 1]]))


def test_lf_summary_rejects_mismatched_names_and_labels():
    with pytest.raises(ValueError, match="names"):
        lf_summary(np.array([[0, 1]]), names=["only one"])
    with pytest.raises(ValueError, match="labels for"):
        lf_summary(np.array([[0, 1]]), y=[0, 1])
    with pytest.raises(ValueError, match="no examples"):
        lf_summary(np.empty((0, 2), dtype=int))
