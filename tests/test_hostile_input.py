"""Hostile input (issue 15): one test per defect found by the adversarial pass, and one
table-driven test of the public API on NaN, infinity, empty, wrong ndim, wrong length,
None, numpy scalars and bools. Each defect test failed before the fix (commit 1acf3cb);
those of the last conversions (autocorrelation, crossover_size, RNNScratch,
SequenceClassifier, fine_tune_classifier, and the table rows that name them, early_stopping,
SmallConvNet and train) failed on the helpers of commit 5c3f9cc."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import gaussian_kde
from sklearn.cluster import KMeans
from sklearn.metrics import precision_recall_fscore_support
from sklearn.preprocessing import StandardScaler

from helpers import (
    boosting,
    cleaning,
    complexity,
    ensembles,
    features,
    learning,
    metrics,
    monitoring,
    nas,
    sequence,
    timeseries,
    training,
    transfer,
    transforms,
    trees,
    tuning,
    validation,
)
from helpers.attention import attention_weights

# --------------------------------------------------------------------------- silent wrong answers

ESTIMATORS = [trees.DecisionTreeClassifier, trees.DecisionTreeRegressor,
              trees.RandomForestClassifier, trees.RandomForestRegressor,
              trees.GradientBoostingRegressor, boosting.AdaBoostClassifier]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_score_refuses_a_target_of_the_wrong_length(estimator):
    X, y = np.arange(8.0).reshape(4, 2), np.array([0, 1, 0, 1])
    model = estimator(**({"n_estimators": 3} if "Forest" in estimator.__name__
                         or "Boost" in estimator.__name__ else {})).fit(X, y)
    with pytest.raises(ValueError, match="X and y"):
        model.score(X, [1])


@pytest.mark.parametrize("metric", [metrics.accuracy, metrics.confusion_matrix,
                                    metrics.per_class_precision_recall])
@pytest.mark.parametrize("bad", [[np.nan, 1.0], [None, 1], [np.inf, 1.0]])
def test_label_metrics_refuse_missing_labels(metric, bad):
    with pytest.raises(ValueError, match="y_true"):
        metric(bad, bad)


def test_label_metrics_refuse_mixed_label_types():
    with pytest.raises(TypeError, match="y_true"):
        metrics.accuracy(np.array(["a", 1], dtype=object), np.array(["a", 1], dtype=object))


@pytest.mark.parametrize("offset", [0.0, 1e6, 1e8])
def test_kmeans_far_from_the_origin_matches_sklearn(offset):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) + np.repeat([[0, 0], [4, 4]], 100, axis=0) + offset
    ours = learning.kmeans(X, 2, np.random.default_rng(0))
    ref = KMeans(2, n_init=10, random_state=0).fit(X)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-6)
    assert abs(np.corrcoef(ours.labels, ref.labels_)[0, 1]) == pytest.approx(1.0)


@pytest.mark.parametrize("offset", [0.0, 1e8])
def test_kde_far_from_the_origin_matches_scipy(offset):
    X = np.random.default_rng(1).normal(size=(60, 2)) + offset
    ours = learning.fit_kde(X).log_density(X[:5])
    np.testing.assert_allclose(ours, gaussian_kde(X.T).logpdf(X[:5].T), atol=1e-6)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_bin_edges_refuse_non_finite_values(bad):
    with pytest.raises(ValueError, match="x contains NaN or infinity"):
        features.bin_edges([1.0, bad, 3.0], 2)


def test_parse_area_reads_numbers_in_exponent_form():
    parsed = cleaning.parse_area([1e16, 2.5e-05, np.float32(3.0)], default_unit="sqft")
    assert parsed.tolist() == [1e16, 2.5e-05, 3.0]


# --------------------------------------------------------------------------- unclear crashes


def test_out_of_bag_mask_of_an_empty_list_is_everything():
    assert ensembles.out_of_bag_mask([], 3).tolist() == [True, True, True]


def test_cross_categories_accepts_category_and_nullable_columns():
    a = pd.Series(pd.Categorical(["x", "y", "x"]))
    b = pd.Series(["u", None, "v"], dtype="string")
    assert features.cross_categories(a, b).tolist() == ["x x u", None, "x x v"]


def test_parse_area_refuses_a_non_string_default_unit_by_name():
    with pytest.raises(TypeError, match="default_unit"):
        cleaning.parse_area(["12"], default_unit=5)


def test_parse_dates_refuses_time_zone_aware_timestamps_clearly():
    with pytest.raises(ValueError, match="time-zone-aware"):
        cleaning.parse_dates([pd.Timestamp("2021-04-12", tz="UTC")])


def test_bayesian_optimization_survives_an_infinite_loss():
    space = tuning.SearchSpace({"x": tuning.Uniform(0.0, 1.0)})

    def loss(config: dict) -> float:
        return np.inf if config["x"] > 0.5 else (config["x"] - 0.2) ** 2

    result = tuning.bayesian_optimization(loss, space, 8, num_initial=4, num_candidates=50,
                                          maximize=False)
    assert len(result.trials) == 8 and np.isfinite(result.best_trial.value)


def test_vocab_to_tokens_accepts_a_numpy_integer():
    vocab = sequence.Vocab(["a", "b", "c", "a"])
    assert vocab.to_tokens(np.int64(2)) == vocab.to_tokens(2)


def test_attention_accepts_a_numpy_float_scale():
    Q = torch.randn(1, 3, 4)
    torch.testing.assert_close(attention_weights(Q, Q, scale=np.float32(0.5)),
                               attention_weights(Q, Q, scale=0.5))


def test_calibrate_threshold_accepts_an_int_seed():
    ref, holdout = np.zeros((40, 2)), np.arange(60.0).reshape(30, 2)
    assert monitoring.calibrate_threshold(ref, holdout, 5, 0) == \
        monitoring.calibrate_threshold(ref, holdout, 5, np.random.default_rng(0))


def test_mean_squared_error_refuses_empty_input():
    with pytest.raises(ValueError, match="y_true is empty"):
        complexity.mean_squared_error([], [])


def test_autocorrelation_of_a_constant_with_round_off_is_refused():
    # the mean of seven 0.1s is not exactly 0.1: the centred series was ~1e-17, not 0
    with pytest.raises(ValueError, match="x is constant"):
        timeseries.autocorrelation(np.full(7, 0.1), 2)


def test_crossover_size_refuses_fractional_sizes():
    with pytest.raises(TypeError, match="sizes"):
        complexity.crossover_size([10.5, 20.0, 40.0], [1.0, 0.8, 0.7], [2.0, 0.7, 0.5])


def test_rnn_scratch_refuses_integer_inputs_and_states_by_name():
    with pytest.raises(TypeError, match="X"):
        sequence.RNNScratch(3, 4)(torch.zeros(2, 2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="state"):
        sequence.RNNScratch(3, 4)(torch.zeros(2, 2, 3), torch.zeros(2, 4, dtype=torch.long))


def test_rnn_scratch_refuses_inputs_of_another_dtype_than_its_weights():
    with pytest.raises(TypeError, match="X has dtype torch.float64"):
        sequence.RNNScratch(3, 4)(torch.zeros(2, 2, 3, dtype=torch.float64))


def test_sequence_classifier_refuses_fractional_token_ids_and_masks():
    with pytest.raises(TypeError, match="X"):
        _classifier()(IDS.float(), MASK)
    with pytest.raises(ValueError, match="attention_mask must hold only 0 and 1"):
        _classifier()(IDS, torch.tensor([[1, 2, 1], [1, 1, 0]]))


@pytest.mark.parametrize("bad", [[0, 2], [-1, 0]])
def test_fine_tune_refuses_labels_the_head_cannot_output(bad):
    with pytest.raises(ValueError, match="y"):
        _fine_tune(y=torch.tensor(bad))


def test_fine_tune_refuses_a_callback_that_is_not_callable_before_training():
    with pytest.raises(TypeError, match="callback"):
        _fine_tune(callback=5)


# --------------------------------------------------------------------------- named references


def test_per_class_precision_with_a_label_subset_is_sklearns():
    # class 1 is also predicted for a true 0, which is outside labels: precision 2/3
    y_true, y_pred = [0, 1, 1, 2], [1, 1, 1, 2]
    ours = metrics.per_class_precision_recall(y_true, y_pred, labels=[1, 2])
    ref = precision_recall_fscore_support(y_true, y_pred, labels=[1, 2], average=None,
                                          zero_division=0)
    np.testing.assert_allclose(ours.precision, ref[0])
    np.testing.assert_allclose(ours.recall, ref[1])


def test_z_score_of_two_decimal_constants_is_standard_scalers():
    constants = np.round(np.arange(0.01, 10.0, 0.01), 2)
    X = np.tile(constants, (7, 1))
    np.testing.assert_allclose(transforms.z_score(X), StandardScaler().fit_transform(X),
                               atol=1e-9)


def test_rnn_from_torch_keeps_float64():
    rnn = torch.nn.RNN(3, 4).double()
    X = torch.randn(5, 2, 3, dtype=torch.float64)
    scratch = sequence.RNNScratch.from_torch(rnn)
    assert scratch.W_xh.dtype == torch.float64
    torch.testing.assert_close(scratch(X)[0], rnn(X)[0], rtol=0, atol=1e-12)


# ----------------------------------------------------------------- the public API, table-driven

RNG = np.random.default_rng(0)
X4 = RNG.normal(size=(6, 2))
Y_CLASS = np.array([0, 1, 0, 1, 0, 1])
Y_REAL = RNG.normal(size=6)
GOOD = object()  # marks the argument under test


def _fitted(estimator: type) -> object:
    return estimator().fit(X4, Y_CLASS if "Classifier" in estimator.__name__ else Y_REAL)


LOSSES = np.array([3.0, 2.0, 1.0, 1.5, 1.2, 1.1])
SIZES, ERR_SMALL, ERR_BIG = np.array([10, 20, 40, 80]), np.array([1.0, 0.8, 0.7, 0.6]), \
    np.array([2.0, 0.7, 0.5, 0.4])
SERIES = np.sin(np.arange(12.0))
RNN_X = torch.randn(4, 2, 3, generator=torch.Generator().manual_seed(0))
IDS = torch.tensor([[1, 2, 3], [4, 5, 0]])
MASK = torch.tensor([[1, 1, 1], [1, 1, 0]])


def _rnn() -> sequence.RNNScratch:
    return sequence.RNNScratch(3, 4, torch.Generator().manual_seed(0))


class _Embedder(torch.nn.Module):
    """A stand-in body: token ids to vectors."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(10, 4)

    def forward(self, X: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.embedding(X)


def _classifier() -> transfer.SequenceClassifier:
    torch.manual_seed(0)
    return transfer.SequenceClassifier(_Embedder(), 4, 2, seed=0)


def _fine_tune(**kwargs: object) -> list[float]:
    args = {"X": IDS, "attention_mask": MASK, "y": torch.tensor([0, 1]), "num_epochs": 1,
            "batch_size": 2, "lr": 1e-3} | kwargs
    return transfer.fine_tune_classifier(_classifier(), **args)


def _train(**kwargs: object) -> list[float]:
    torch.manual_seed(0)
    args = {"X_train": X4_T, "y_train": torch.tensor(Y_CLASS), "num_epochs": 1,
            "batch_size": 3} | kwargs
    return training.train(torch.nn.Linear(2, 2), **args).train_loss


X4_T = torch.tensor(X4, dtype=torch.float32)


# (name, callable of the value under test, argument name)
API = [
    ("kmeans X", lambda v: learning.kmeans(v, 2, 0), "X"),
    ("kmeans k", lambda v: learning.kmeans(X4, v, 0), "k"),
    ("fit_kde X", lambda v: learning.fit_kde(v), "X"),
    ("fit_kde bandwidth", lambda v: learning.fit_kde(X4, v), "bandwidth"),
    ("q_learning alpha", lambda v: learning.q_learning(learning.Corridor(), 0, num_episodes=2,
                                                      alpha=v), "alpha"),
    ("q_learning num_episodes", lambda v: learning.q_learning(learning.Corridor(), 0,
                                                             num_episodes=v), "num_episodes"),
    ("tree fit X", lambda v: trees.DecisionTreeClassifier().fit(v, Y_CLASS), "X"),
    ("tree fit y", lambda v: trees.DecisionTreeClassifier().fit(X4, v), "y"),
    ("tree score y", lambda v: _fitted(trees.DecisionTreeClassifier).score(X4, v), "y"),
    ("forest score y", lambda v: _fitted(trees.RandomForestRegressor).score(X4, v), "y"),
    ("adaboost fit y", lambda v: boosting.AdaBoostClassifier().fit(X4, v), "y"),
    ("bagging fit X", lambda v: ensembles.BaggingRegressor().fit(v, Y_REAL), "X"),
    ("accuracy y_true", lambda v: metrics.accuracy(v, Y_CLASS), "y_true"),
    ("confusion y_pred", lambda v: metrics.confusion_matrix(Y_CLASS, v), "y_pred"),
    ("roc_auc scores", lambda v: metrics.roc_auc(Y_CLASS, v), "scores"),
    ("z_score X", lambda v: transforms.z_score(v), "X"),
    ("bin_edges x", lambda v: features.bin_edges(v, 2), "x"),
    ("bin_edges num_bins", lambda v: features.bin_edges([1.0, 2.0, 3.0], v), "num_bins"),
    ("ks_statistic sample_a", lambda v: monitoring.ks_statistic(v, [1.0, 2.0]), "sample_a"),
    ("group_k_fold groups", lambda v: validation.group_k_fold(v, 2), "groups"),
    ("mse y_true", lambda v: complexity.mean_squared_error(v, Y_REAL), "y_true"),
    ("early_stopping losses", lambda v: boosting.early_stopping(v), "losses"),
    ("early_stopping patience", lambda v: boosting.early_stopping(LOSSES, patience=v),
     "patience"),
    ("early_stopping tol", lambda v: boosting.early_stopping(LOSSES, tol=v), "tol"),
    ("crossover sizes", lambda v: complexity.crossover_size(v, ERR_SMALL, ERR_BIG), "sizes"),
    ("crossover small_error", lambda v: complexity.crossover_size(SIZES, v, ERR_BIG),
     "small_error"),
    ("crossover big_error", lambda v: complexity.crossover_size(SIZES, ERR_SMALL, v),
     "big_error"),
    ("conv_flops in_channels", lambda v: nas.conv_flops(v, 8, 3, 5), "in_channels"),
    ("conv_flops out_size", lambda v: nas.conv_flops(4, 8, 3, v), "out_size"),
    ("conv_flops groups", lambda v: nas.conv_flops(4, 8, 3, 5, v), "groups"),
    ("autocorrelation x", lambda v: timeseries.autocorrelation(v, 1), "x"),
    ("autocorrelation nlags", lambda v: timeseries.autocorrelation(SERIES, v), "nlags"),
    ("RNNScratch X", lambda v: _rnn()(v), "X"),
    ("RNNScratch state", lambda v: _rnn()(RNN_X, v), "state"),
    ("SmallConvNet num_classes", lambda v: transfer.SmallConvNet(v), "num_classes"),
    ("SmallConvNet width", lambda v: transfer.SmallConvNet(width=v), "width"),
    ("SmallConvNet X", lambda v: transfer.SmallConvNet()(v), "X"),
    ("SequenceClassifier X", lambda v: _classifier()(v, MASK), "X"),
    ("SequenceClassifier attention_mask", lambda v: _classifier()(IDS, v), "attention_mask"),
    ("fine_tune y", lambda v: _fine_tune(y=v), "y"),
    ("fine_tune lr", lambda v: _fine_tune(lr=v), "lr"),
    ("fine_tune weight_decay", lambda v: _fine_tune(weight_decay=v), "weight_decay"),
    ("fine_tune warmup", lambda v: _fine_tune(warmup=v), "warmup"),
    ("fine_tune seed", lambda v: _fine_tune(seed=v), "seed"),
    ("train X_train", lambda v: _train(X_train=v), "X_train"),
    ("train lr", lambda v: _train(lr=v), "lr"),
    ("train weight_decay", lambda v: _train(weight_decay=v), "weight_decay"),
    ("train seed", lambda v: _train(seed=v), "seed"),
]

HOSTILE = {
    "NaN": lambda name, label: np.nan if name in SCALARS else _with(np.nan, name, label),
    "inf": lambda name, label: np.inf if name in SCALARS else _with(np.inf, name, label),
    "empty": lambda name, label: _empty(name, label),
    "wrong ndim": lambda name, label: _wrong_ndim(name, label),
    "wrong length": lambda name, label: None if name in SCALARS else _short(name, label),
    "None": lambda name, label: None,
    "bool": lambda name, label: True if name in SCALARS else None,
}
SCALARS = {"k", "bandwidth", "alpha", "num_episodes", "num_bins", "patience", "tol", "nlags",
           "in_channels", "out_size", "groups", "num_classes", "width", "lr", "weight_decay",
           "warmup", "seed"}
# arguments whose length nothing else constrains
NO_LENGTH = {"kmeans X", "fit_kde X", "z_score X", "bin_edges x", "ks_statistic sample_a",
             "group_k_fold groups", "early_stopping losses", "autocorrelation x",
             "RNNScratch X", "SmallConvNet X"}
# (label, kind) pairs where a result, not an error, is right, and what it must satisfy:
# scores and KS samples may hold infinities (they are ordered); no state means zeros
ACCEPTED = {("roc_auc scores", "inf"): np.isfinite, ("ks_statistic sample_a", "inf"): np.isfinite,
            ("RNNScratch state", "None"): lambda result: bool(torch.isfinite(result[0]).all())}
VALID_BY_LABEL = {
    "crossover sizes": SIZES, "crossover small_error": ERR_SMALL,
    "crossover big_error": ERR_BIG, "early_stopping losses": LOSSES,
    "autocorrelation x": SERIES, "RNNScratch X": RNN_X,
    "RNNScratch state": torch.zeros(2, 4), "SmallConvNet X": torch.zeros(2, 1, 8, 8),
    "SequenceClassifier X": IDS, "SequenceClassifier attention_mask": MASK,
    "fine_tune y": torch.tensor([0, 1]), "train X_train": X4_T,
}


def _with(bad: float, name: str, label: str) -> np.ndarray | torch.Tensor:
    value = _valid(name, label)
    if isinstance(value, torch.Tensor):
        value = value.clone().double() if not value.is_floating_point() else value.clone()
        value.view(-1)[-1] = bad
        return value
    value = value.astype(float)
    value.flat[0] = bad
    return value


def _empty(name: str, label: str) -> list | torch.Tensor:
    if name in SCALARS:
        return []
    value = _valid(name, label)
    return value[:0] if isinstance(value, torch.Tensor) else []


def _wrong_ndim(name: str, label: str) -> object:
    if name in SCALARS:
        return [1]
    value = _valid(name, label)
    return value[None] if isinstance(value, torch.Tensor) else np.zeros((2, 3, 2))


def _valid(name: str, label: str = "") -> np.ndarray | torch.Tensor:
    if label in VALID_BY_LABEL:
        return VALID_BY_LABEL[label]
    if name == "X":
        return X4.copy()
    if name in ("y", "y_true", "y_pred"):
        return Y_CLASS.copy()
    if name in ("scores", "x", "sample_a"):
        return RNG.normal(size=6)
    if name == "groups":
        return np.array([0, 0, 1, 1, 2, 2])
    raise KeyError(name)


def _short(name: str, label: str) -> np.ndarray | torch.Tensor:
    value = _valid(name, label)
    return value[:1] if isinstance(value, torch.Tensor) else value[:3]


CASES = [(label, call, name, kind) for label, call, name in API for kind in HOSTILE]


@pytest.mark.parametrize(("label", "call", "name", "kind"), CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_public_api_refuses_hostile_input_naming_the_argument(label, call, name, kind):
    value = HOSTILE[kind](name, label)
    if kind == "wrong length" and value is None:
        pytest.skip("a scalar has no length")
    if kind == "wrong length" and label in NO_LENGTH:
        pytest.skip("no second argument to disagree with")
    if kind == "bool" and value is None:
        pytest.skip("bools are numbers only where a scalar is expected")
    try:
        result = call(value)
    except (ValueError, TypeError) as err:
        assert name in str(err), f"{label} on {kind}: {err}"
    else:
        if (label, kind) in ACCEPTED:
            assert ACCEPTED[label, kind](result)
        else:
            pytest.fail(f"{label} accepted {kind} silently")


NUMPY_SCALARS = [
    ("kmeans k", lambda: learning.kmeans(X4, np.int64(2), 0).labels,
     lambda: learning.kmeans(X4, 2, 0).labels),
    ("fit_kde bandwidth", lambda: learning.fit_kde(X4, np.float32(0.5)).factor,
     lambda: learning.fit_kde(X4, 0.5).factor),
    ("q_learning alpha", lambda: learning.q_learning(learning.Corridor(), 0, num_episodes=3,
                                                    alpha=np.float32(0.5)).q,
     lambda: learning.q_learning(learning.Corridor(), 0, num_episodes=3, alpha=0.5).q),
    ("bin_edges num_bins", lambda: features.bin_edges([1.0, 2.0, 3.0], np.int64(2)),
     lambda: features.bin_edges([1.0, 2.0, 3.0], 2)),
    ("tree max_depth", lambda: trees.DecisionTreeClassifier(max_depth=np.int64(1))
     .fit(X4, Y_CLASS).predict(X4),
     lambda: trees.DecisionTreeClassifier(max_depth=1).fit(X4, Y_CLASS).predict(X4)),
    ("vocab to_tokens", lambda: sequence.Vocab(["a", "b"]).to_tokens(np.int64(1)),
     lambda: sequence.Vocab(["a", "b"]).to_tokens(1)),
    ("parse_area strict", lambda: cleaning.parse_area(["1 sqft"], strict=np.bool_(True)),
     lambda: cleaning.parse_area(["1 sqft"], strict=True)),
    ("early_stopping patience and tol",
     lambda: boosting.early_stopping(LOSSES, np.int64(2), np.float32(0.25)).stopped_round,
     lambda: boosting.early_stopping(LOSSES, 2, 0.25).stopped_round),
    ("autocorrelation nlags", lambda: timeseries.autocorrelation(SERIES, np.int64(2)),
     lambda: timeseries.autocorrelation(SERIES, 2)),
    ("conv_flops out_size", lambda: nas.conv_flops(4, 8, 3, (np.int64(5), 5), np.int64(2)),
     lambda: nas.conv_flops(4, 8, 3, 5, 2)),
    ("SmallConvNet num_classes", lambda: transfer.SmallConvNet(np.int64(3)).fc.out_features,
     lambda: transfer.SmallConvNet(3).fc.out_features),
    ("fine_tune seed and rates", lambda: _fine_tune(seed=np.int64(1), lr=np.float32(1e-3),
                                                    warmup=np.float64(0.5)),
     lambda: _fine_tune(seed=1, lr=float(np.float32(1e-3)), warmup=0.5)),
    ("train lr and seed", lambda: _train(lr=np.float32(0.5), seed=np.int64(1),
                                         weight_decay=np.float64(0.1)),
     lambda: _train(lr=float(np.float32(0.5)), seed=1, weight_decay=0.1)),
]


@pytest.mark.parametrize(("label", "with_numpy", "with_python"), NUMPY_SCALARS,
                         ids=[c[0] for c in NUMPY_SCALARS])
def test_public_api_treats_numpy_scalars_as_python_numbers(label, with_numpy, with_python):
    np.testing.assert_array_equal(np.asarray(with_numpy()), np.asarray(with_python()))
