"""Unit tests for helpers.tuning (lectures 9.1 and 9.2: model tuning and HPO)."""

from __future__ import annotations

import itertools
import math
import sqlite3

import numpy as np
import pytest
import torch
from scipy import stats

from helpers.tuning import (
    Categorical,
    DataSplit,
    ExperimentLog,
    IntUniform,
    LogUniform,
    MLPObjective,
    MLPTrainer,
    SearchResult,
    SearchSpace,
    Trial,
    Uniform,
    _accuracy,
    bayesian_optimization,
    best_so_far,
    code_hash,
    expected_improvement,
    grid_search,
    hyperband,
    hyperband_brackets,
    load_digits_split,
    one_at_a_time,
    optuna_mlp_objective,
    optuna_worker,
    random_search,
    refine_space,
    stopping_point,
    successive_halving,
    suggest_config,
    tolerance_range,
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models and GP fits are slower with several threads on a shared machine."""
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits() -> DataSplit:
    return load_digits_split(seed=0)


def _space() -> SearchSpace:
    return SearchSpace({"lr": LogUniform(1e-4, 1.0), "momentum": Uniform(0.0, 0.9),
                        "width": IntUniform(8, 64, log=True), "opt": Categorical(["sgd", "adam"])})


def _quadratic(config: dict) -> float:
    """Maximum 0 at lr = 1e-2, momentum = 0.5; width and opt do not matter."""
    return -((math.log10(config["lr"]) + 2) ** 2) - (config["momentum"] - 0.5) ** 2


def _score(config: dict) -> float:
    """A budget-independent quality: larger for x closer to 0.3."""
    return -abs(config["x"] - 0.3)


# --------------------------------------------------------------------------- dimensions


def test_loguniform_samples_are_uniform_in_log_space_like_scipy_loguniform():
    rng = np.random.default_rng(0)
    dim = LogUniform(1e-4, 10.0)
    draws = np.array([dim.sample(rng) for _ in range(3000)])
    assert draws.min() >= 1e-4 and draws.max() <= 10.0
    assert stats.kstest(draws, stats.loguniform(1e-4, 10.0).cdf).pvalue > 0.01


def test_uniform_samples_match_scipy_uniform():
    rng = np.random.default_rng(1)
    draws = np.array([Uniform(-2.0, 3.0).sample(rng) for _ in range(3000)])
    assert stats.kstest(draws, stats.uniform(-2.0, 5.0).cdf).pvalue > 0.01


def test_intuniform_covers_both_ends_inclusively():
    rng = np.random.default_rng(2)
    draws = {IntUniform(3, 6).sample(rng) for _ in range(500)}
    assert draws == {3, 4, 5, 6}
    assert all(isinstance(v, int) for v in draws)


def test_intuniform_log_stays_in_bounds_and_favours_small_values():
    rng = np.random.default_rng(3)
    draws = np.array([IntUniform(1, 1000, log=True).sample(rng) for _ in range(2000)])
    assert draws.min() >= 1 and draws.max() <= 1000
    assert np.mean(draws <= 31) == pytest.approx(0.5, abs=0.05)  # sqrt(1000) ~ 31.6


def test_categorical_samples_every_choice_equally_often():
    rng = np.random.default_rng(4)
    draws = [Categorical(["a", "b", "c"]).sample(rng) for _ in range(3000)]
    counts = np.array([draws.count(c) for c in "abc"])
    assert stats.chisquare(counts).pvalue > 0.01


def test_grids_match_numpy_spacing():
    np.testing.assert_allclose(LogUniform(1e-3, 1.0).grid(4), np.geomspace(1e-3, 1.0, 4))
    np.testing.assert_allclose(Uniform(0.0, 1.0).grid(5), np.linspace(0, 1, 5))
    assert IntUniform(1, 3).grid(10) == [1, 2, 3]
    assert Categorical([3, 1]).grid(7) == [3, 1]
    assert LogUniform(1e-2, 1.0).grid(1) == pytest.approx([0.1])


def test_dimension_to_unit_puts_log_midpoint_at_one_half_and_one_hot_categories():
    assert LogUniform(1e-4, 1.0).to_unit(1e-2)[0] == pytest.approx(0.5)
    assert Uniform(0.0, 2.0).to_unit(0.5)[0] == pytest.approx(0.25)
    np.testing.assert_array_equal(Categorical(["a", "b", "c"]).to_unit("b"), [0, 1, 0])


@pytest.mark.parametrize("make, match", [
    (lambda: Uniform(1.0, 1.0), "smaller"),
    (lambda: LogUniform(0.0, 1.0), "low > 0"),
    (lambda: IntUniform(0, 5, log=True), "low >= 1"),
    (lambda: Uniform(0.0, float("nan")), "finite"),
    (lambda: Categorical([]), "at least one"),
    (lambda: Categorical(["a", "a"]), "distinct"),
])
def test_dimensions_reject_bad_ranges(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_dimensions_reject_wrong_types():
    with pytest.raises(TypeError):
        Uniform("0", 1.0)
    with pytest.raises(TypeError):
        IntUniform(0.5, 3)
    with pytest.raises(TypeError, match="sequence"):
        Categorical("abc")
    with pytest.raises(TypeError, match="Generator"):
        Uniform(0.0, 1.0).sample(np.random)


# --------------------------------------------------------------------------- search space


def test_search_space_grid_is_the_cartesian_product():
    space = SearchSpace({"a": Uniform(0.0, 1.0), "b": Categorical(["x", "y"]),
                         "c": IntUniform(1, 3)})
    grid = space.grid(3)
    expected = [dict(zip("abc", combo, strict=True))
                for combo in itertools.product([0.0, 0.5, 1.0], ["x", "y"], [1, 2, 3])]
    assert grid == expected
    assert space.grid_size(3) == len(grid) == 18


def test_search_space_grid_accepts_points_per_dimension():
    space = SearchSpace({"a": Uniform(0.0, 1.0), "b": LogUniform(1.0, 100.0)})
    assert space.grid_size({"a": 2, "b": 3}) == 6
    with pytest.raises(ValueError, match="no number of points"):
        space.grid({"a": 2})
    with pytest.raises(ValueError, match="unknown"):
        space.grid({"a": 2, "b": 2, "z": 2})


def test_search_space_sampling_is_reproducible_and_valid():
    space = _space()
    a = space.sample_many(np.random.default_rng(5), 20)
    b = space.sample_many(np.random.default_rng(5), 20)
    assert a == b
    for config in a:
        space.validate(config)


def test_search_space_validate_and_encoding():
    space = _space()
    config = {"lr": 1e-2, "momentum": 0.45, "width": 8, "opt": "adam"}
    unit = space.to_unit(config)
    assert unit.shape == (space.unit_size,) == (5,)
    np.testing.assert_allclose(unit, [0.5, 0.5, 0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="do not match"):
        space.validate({"lr": 1e-2})
    with pytest.raises(ValueError, match="not in"):
        space.validate({**config, "lr": 5.0})
    with pytest.raises(TypeError, match="Dimension"):
        SearchSpace({"lr": (0, 1)})
    with pytest.raises(ValueError, match="at least one"):
        SearchSpace({})


# --------------------------------------------------------------------------- results and rules


def test_best_so_far_matches_numpy_accumulate_and_skips_nan():
    values = [0.2, np.nan, 0.1, 0.5, 0.4]
    np.testing.assert_allclose(best_so_far(values), [0.2, 0.2, 0.2, 0.5, 0.5])
    np.testing.assert_allclose(best_so_far(values, maximize=False), [0.2, 0.2, 0.1, 0.1, 0.1])
    out = best_so_far([np.nan, 1.0])
    assert np.isnan(out[0]) and out[1] == 1.0


def test_stopping_point_counts_trials_until_patience_runs_out():
    assert stopping_point([1, 2, 3, 3, 3, 3], patience=2) == 5
    assert stopping_point([1, 2, 3, 4], patience=2) == 4          # never fires
    assert stopping_point([1.0, 1.001, 1.002, 2.0], patience=2, min_delta=0.01) == 3
    assert stopping_point([3, 2, 1, 1, 1], patience=2, maximize=False) == 5
    with pytest.raises(ValueError, match="values is empty"):
        stopping_point([], patience=1)
    with pytest.raises(ValueError, match="min_delta"):
        stopping_point([1.0], patience=1, min_delta=-1)


def test_best_trial_ranks_nan_last_and_prefers_largest_budget():
    result = SearchResult([Trial(0, {"a": 1}, float("nan"), 4.0, 0),
                           Trial(1, {"a": 2}, 0.9, 1.0, 1),
                           Trial(2, {"a": 3}, 0.5, 4.0, 2)])
    assert result.best_trial.trial_id == 2
    assert result.total_budget == 9.0
    np.testing.assert_allclose(result.cumulative_budget(), [4, 5, 9])
    with pytest.raises(ValueError, match="no trials"):
        _ = SearchResult().best_trial


# --------------------------------------------------------------------------- black-box search


def test_grid_search_evaluates_every_point_and_returns_the_best():
    space = SearchSpace({"x": Uniform(0.0, 1.0)})
    result = grid_search(lambda c: -(c["x"] - 0.25) ** 2, space, 5)
    assert [t.config["x"] for t in result.trials] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert result.best_config == {"x": 0.25}
    assert result.total_budget == 5.0
    with pytest.raises(ValueError, match="max_trials"):
        grid_search(lambda c: 0.0, space, 5, max_trials=4)


def test_random_search_is_reproducible_and_charges_its_budget():
    space = _space()
    a = random_search(_quadratic, space, 30, seed=7, cost_per_trial=3)
    b = random_search(_quadratic, space, 30, seed=7, cost_per_trial=3)
    c = random_search(_quadratic, space, 30, seed=8, cost_per_trial=3)
    assert [t.config for t in a.trials] == [t.config for t in b.trials]
    assert [t.config for t in a.trials] != [t.config for t in c.trials]
    assert a.total_budget == 90.0


def test_random_search_gets_close_to_a_known_optimum():
    result = random_search(_quadratic, _space(), 300, seed=0)
    assert result.best_value > -0.02
    assert abs(math.log10(result.best_config["lr"]) + 2) < 0.15


def test_random_search_stops_when_the_curve_is_flat():
    result = random_search(lambda c: 1.0, _space(), 100, seed=0, patience=5)
    assert len(result.trials) == 6


def test_search_rejects_bad_objectives_and_arguments():
    space = _space()
    with pytest.raises(TypeError, match="real number"):
        random_search(lambda c: "good", space, 2)
    with pytest.raises(TypeError, match="callable"):
        random_search(None, space, 2)
    with pytest.raises(ValueError, match="num_trials"):
        random_search(_quadratic, space, 0)
    with pytest.raises(TypeError, match="SearchSpace"):
        random_search(_quadratic, {"lr": LogUniform(1e-3, 1)}, 2)


# --------------------------------------------------------------------------- Bayesian optimisation


def test_expected_improvement_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mu, sigma, best, xi = np.array([0.2, 1.0, -0.5]), np.array([0.3, 0.5, 1.0]), 0.4, 0.05
    samples = mu + sigma * rng.standard_normal((400_000, 3))
    monte_carlo = np.maximum(samples - best - xi, 0).mean(axis=0)
    np.testing.assert_allclose(expected_improvement(mu, sigma, best, xi=xi), monte_carlo,
                               atol=3e-3)


def test_expected_improvement_with_zero_sigma_and_for_minimisation():
    np.testing.assert_allclose(expected_improvement([1.0, 0.0], [0.0, 0.0], 0.5), [0.5, 0.0])
    up = expected_improvement([0.3], [0.2], 0.5)
    down = expected_improvement([0.7], [0.2], 0.5, maximize=False)
    np.testing.assert_allclose(up, down)


def test_expected_improvement_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        expected_improvement([1.0, 2.0], [1.0], 0.0)
    with pytest.raises(ValueError, match="non-negative"):
        expected_improvement([1.0], [-1.0], 0.0)
    with pytest.raises(ValueError, match="NaN"):
        expected_improvement([np.nan], [1.0], 0.0)


def test_bayesian_optimization_starts_exactly_like_random_search():
    space = SearchSpace({"lr": LogUniform(1e-4, 1.0), "momentum": Uniform(0.0, 0.9)})
    bo = bayesian_optimization(_quadratic, space, 6, num_initial=4, num_candidates=50, seed=3)
    rs = random_search(_quadratic, space, 4, seed=3)
    assert [t.config for t in bo.trials[:4]] == [t.config for t in rs.trials]
    assert [t.rung for t in bo.trials] == [0, 0, 0, 0, 1, 1]


def test_bayesian_optimization_concentrates_near_the_optimum():
    space = SearchSpace({"lr": LogUniform(1e-4, 1.0), "momentum": Uniform(0.0, 0.9)})
    bo = bayesian_optimization(_quadratic, space, 16, num_initial=4, num_candidates=300, seed=0)
    initial, later = bo.values[:4], bo.values[-6:]
    assert later.mean() > initial.mean()
    assert bo.best_value > -0.05


# --------------------------------------------------------------------------- successive halving


def test_successive_halving_schedule_and_budget_are_exact():
    space = SearchSpace({"x": Uniform(0.0, 1.0)})
    result = successive_halving(lambda c, b: _score(c), space, num_configs=32, min_budget=1,
                                eta=2, max_budget=8, seed=0)
    frame = result.to_frame()
    assert frame.groupby("rung").size().tolist() == [32, 16, 8, 4]
    assert frame.groupby("rung")["budget"].first().tolist() == [1, 2, 4, 8]
    assert result.total_budget == 128.0
    assert frame["config_id"].nunique() == 32


def test_successive_halving_keeps_the_top_fraction_each_round():
    rng = np.random.default_rng(0)
    noise = {i: rng.normal() for i in range(27)}

    def objective(config, budget):  # a noisy value, different at every budget
        return noise[config["i"]] * budget + budget

    configs = [{"i": i} for i in range(27)]
    result = successive_halving(objective, configs=configs, min_budget=1, eta=3)
    frame = result.to_frame()
    for rung in range(2):
        this = frame[frame["rung"] == rung].sort_values("value", ascending=False)
        keep = len(this) // 3
        assert set(frame[frame["rung"] == rung + 1]["config_id"]) == set(this["config_id"][:keep])


def test_successive_halving_finds_the_best_when_low_budgets_rank_correctly():
    space = SearchSpace({"x": Uniform(0.0, 1.0)})
    result = successive_halving(lambda c, b: _score(c) - 1 / b, space, num_configs=16,
                                eta=2, seed=4)
    sampled = [t.config for t in result.trials if t.rung == 0]
    assert result.best_config == max(sampled, key=_score)
    assert len([t for t in result.trials if t.rung == max(t.rung for t in result.trials)]) == 1


def test_successive_halving_rejects_bad_settings():
    space = SearchSpace({"x": Uniform(0.0, 1.0)})
    with pytest.raises(ValueError, match="eta"):
        successive_halving(lambda c, b: 0.0, space, num_configs=4, eta=1)
    with pytest.raises(ValueError, match="num_configs is required"):
        successive_halving(lambda c, b: 0.0, space)
    with pytest.raises(ValueError, match="not both"):
        successive_halving(lambda c, b: 0.0, space, num_configs=4, configs=[{"x": 0.1}])
    with pytest.raises(ValueError, match="impossible"):
        successive_halving(lambda c, b: 0.0, space, num_configs=4, eta=2, num_rounds=5)
    with pytest.raises(ValueError, match="min_budget"):
        successive_halving(lambda c, b: 0.0, space, num_configs=4, min_budget=0)
    with pytest.raises(ValueError, match="empty"):
        successive_halving(lambda c, b: 0.0, configs=[])


# --------------------------------------------------------------------------- Hyperband


def test_hyperband_brackets_match_table_1_of_li_et_al_2018():
    table = {4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
             3: [(34, 3), (11, 9), (3, 27), (1, 81)],
             2: [(15, 9), (5, 27), (1, 81)],
             1: [(8, 27), (2, 81)],
             0: [(5, 81)]}
    brackets = hyperband_brackets(81, eta=3)
    assert [b.s for b in brackets] == [4, 3, 2, 1, 0]
    for bracket in brackets:
        assert [(n, pytest.approx(r)) for n, r in bracket.rungs] == table[bracket.s]


@pytest.mark.parametrize("R, eta", [(8, 2), (27, 3), (100, 3), (1, 2), (16, 4)])
def test_hyperband_brackets_follow_the_formulas(R, eta):
    s_max = math.floor(math.log(R) / math.log(eta) + 1e-9)
    B = (s_max + 1) * R
    brackets = hyperband_brackets(R, eta)
    assert len(brackets) == s_max + 1
    for bracket in brackets:
        s = bracket.s
        n = math.ceil(B / R * eta**s / (s + 1))
        r = R * eta ** (-s)
        expected = [(math.floor(n * eta ** (-i)), r * eta**i) for i in range(s + 1)]
        assert [(n_i, pytest.approx(r_i)) for n_i, r_i in bracket.rungs] == expected


def test_hyperband_charges_exactly_the_bracket_budgets_and_is_reproducible():
    space = SearchSpace({"x": Uniform(0.0, 1.0)})
    a = hyperband(lambda c, b: _score(c), space, 9, eta=3, seed=1)
    b = hyperband(lambda c, b: _score(c), space, 9, eta=3, seed=1)
    c = hyperband(lambda c, b: _score(c), space, 9, eta=3, seed=2)
    brackets = hyperband_brackets(9, 3)
    assert a.total_budget == sum(br.budget for br in brackets)
    assert len(a.trials) == sum(n for br in brackets for n, _ in br.rungs)
    assert [t.config for t in a.trials] == [t.config for t in b.trials]
    assert [t.config for t in a.trials] != [t.config for t in c.trials]
    assert {t.bracket for t in a.trials} == {2, 1, 0}


def test_hyperband_finds_the_best_sampled_configuration():
    space = SearchSpace({"x": Uniform(0.0, 1.0)})
    result = hyperband(lambda c, b: _score(c) - 1 / b, space, 27, eta=3, seed=0)
    assert result.best_trial.budget == 27
    first_rungs = [t.config for t in result.trials if t.rung == 0]
    assert result.best_value == pytest.approx(_score(max(first_rungs, key=_score)) - 1 / 27)


def test_hyperband_rejects_bad_budgets():
    space = SearchSpace({"x": Uniform(0.0, 1.0)})
    with pytest.raises(ValueError, match="max_budget == 0.5, must be >= 1"):
        hyperband_brackets(0.5)
    with pytest.raises(ValueError, match="eta"):
        hyperband(lambda c, b: 0.0, space, 9, eta=1)


# --------------------------------------------------------------------------- manual tuning


def test_one_at_a_time_changes_exactly_one_value_per_run():
    seen = []
    baseline = {"a": 1, "b": 2}
    frame = one_at_a_time(lambda c: seen.append(dict(c)) or c["a"] * 10 + c["b"], baseline,
                          {"a": [3, 4], "b": [5]})
    assert frame["name"].tolist() == ["baseline", "a", "a", "b"]
    assert frame["score"].tolist() == [12, 32, 42, 15]
    for config in seen[1:]:
        assert sum(config[k] != baseline[k] for k in baseline) == 1
    with pytest.raises(ValueError, match="not in the baseline"):
        one_at_a_time(lambda c: 0.0, baseline, {"z": [1]})
    with pytest.raises(ValueError, match="non-empty"):
        one_at_a_time(lambda c: 0.0, baseline, {"a": []})


def test_tolerance_range_is_contiguous_around_the_best():
    xs = [-4, -3, -2, -1, 0]
    assert tolerance_range(xs, [0.1, 0.9, 0.95, 0.5, 0.94], tol=0.1) == (-3.0, -2.0)
    assert tolerance_range(xs, [0.1, 0.9, 0.95, 0.5, 0.94], tol=0.5) == (-3.0, 0.0)
    assert tolerance_range(xs, [1, 1, 1, 1, 1], tol=0.0) == (-4.0, 0.0)
    with pytest.raises(ValueError, match="increasing"):
        tolerance_range([1, 0], [1, 2], 0.1)
    with pytest.raises(ValueError, match="same length"):
        tolerance_range([1, 2], [1], 0.1)


def test_refine_space_narrows_around_good_configurations_and_never_widens():
    space = _space()
    good = [{"lr": 1e-2, "momentum": 0.5, "width": 16, "opt": "adam"},
            {"lr": 4e-2, "momentum": 0.6, "width": 20, "opt": "adam"}]
    refined = refine_space(space, good)
    assert refined["lr"] == LogUniform(5e-3, 8e-2)
    assert refined["momentum"].low == pytest.approx(0.41)
    assert refined["momentum"].high == pytest.approx(0.69)
    assert refined["width"] == IntUniform(8, 40, log=True)
    assert refined["opt"] == Categorical(["adam"])
    edge = refine_space(space, [{"lr": 0.9, "momentum": 0.0, "width": 64, "opt": "sgd"}])
    assert edge["lr"].high == 1.0 and edge["momentum"].low == 0.0
    with pytest.raises(ValueError, match="empty"):
        refine_space(space, [])
    with pytest.raises(ValueError, match="not in"):
        refine_space(space, [{**good[0], "lr": 5.0}])


# --------------------------------------------------------------------------- experiment log


def _model(x):
    return 2 * x


def test_experiment_log_round_trip(tmp_path):
    path = tmp_path / "runs.db"
    with ExperimentLog(path) as log:
        first = log.log_run({"lr": 0.1, "opt": "sgd"}, {"val_acc": 0.9}, seed=0, code=_model)
        second = log.log_run({"lr": 0.01, "opt": "adam"}, {"val_acc": float("nan")}, seed=1)
        assert (first, second) == (1, 2) and len(log) == 2
        runs = log.runs()
    assert runs["lr"].tolist() == [0.1, 0.01]
    assert runs["opt"].tolist() == ["sgd", "adam"]
    assert runs["seed"].tolist() == [0, 1]
    assert runs.loc[0, "code_hash"] == code_hash(_model)
    assert np.isnan(runs.loc[1, "val_acc"])
    with sqlite3.connect(path) as conn:  # a real SQLite table, readable without the class
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    with ExperimentLog(path) as again:  # persists across connections
        assert len(again) == 2


def test_code_hash_is_stable_and_depends_on_the_source():
    assert code_hash(_model) == code_hash(_model)
    assert len(code_hash(_model)) == 12
    assert code_hash(_model) != code_hash(_quadratic)
    with pytest.raises(ValueError, match="source"):
        code_hash(len)


def test_experiment_log_rejects_bad_records():
    with ExperimentLog(":memory:") as log:
        with pytest.raises(ValueError, match="both as params and metrics"):
            log.log_run({"acc": 1}, {"acc": 0.5}, seed=0)
        with pytest.raises(ValueError, match="reserved"):
            log.log_run({"seed": 1}, {"acc": 0.5}, seed=0)
        with pytest.raises(TypeError, match="must be a number"):
            log.log_run({"lr": 0.1}, {"acc": "high"}, seed=0)
        with pytest.raises(TypeError, match="params"):
            log.log_run({"lr": [0.1]}, {"acc": 0.5}, seed=0)
        with pytest.raises(ValueError, match="seed"):
            log.log_run({"lr": 0.1}, {"acc": 0.5}, seed=-1)
        assert len(log) == 0


# --------------------------------------------------------------------------- digits test bed


def test_load_digits_split_is_stratified_and_standardised(digits):
    sizes = [len(digits.y_train), len(digits.y_val), len(digits.y_test)]
    assert sum(sizes) == 1797 and sizes == [1077, 360, 360]
    assert digits.X_train.dtype == torch.float64
    np.testing.assert_allclose(digits.X_train.mean(0).numpy(), 0, atol=1e-10)
    assert torch.bincount(digits.y_val).min() >= 35


def test_trainer_matches_torch_optim(digits):
    for optimizer, extra in [("sgd", {"momentum": 0.9, "weight_decay": 1e-3}),
                             ("adam", {"weight_decay": 1e-3})]:
        ours = MLPTrainer(digits, seed=3, optimizer=optimizer, lr=0.01, batch_size=256,
                          num_hiddens=16, **extra)
        ref = MLPTrainer(digits, seed=3, optimizer=optimizer, lr=0.01, batch_size=256,
                         num_hiddens=16, **extra)
        if optimizer == "sgd":
            opt = torch.optim.SGD(ref.net.parameters(), lr=0.01, **extra)
        else:
            opt = torch.optim.Adam(ref.net.parameters(), lr=0.01, **extra)
        ours.train_epochs(2)
        X, y = digits.X_train, digits.y_train
        for _ in range(2):
            order = torch.randperm(len(X), generator=ref._gen)
            for start in range(0, len(X), 256):
                batch = order[start:start + 256]
                opt.zero_grad()
                torch.nn.functional.cross_entropy(ref.net(X[batch]), y[batch]).backward()
                opt.step()
        for a, b in zip(ours.net.parameters(), ref.net.parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_trainer_resumes_exactly_and_seeds_reproduce(digits):
    config = {"optimizer": "sgd", "lr": 0.3, "momentum": 0.5, "batch_size": 256}
    once = MLPTrainer(digits, seed=1, **config)
    once.train_epochs(4)
    twice = MLPTrainer(digits, seed=1, **config)
    twice.train_epochs(1)
    twice.train_epochs(3)
    other = MLPTrainer(digits, seed=2, **config)
    other.train_epochs(4)
    assert once.val_accuracies == twice.val_accuracies
    assert once.val_accuracies != other.val_accuracies
    assert once.val_accuracies[-1] > 0.85


def test_trainer_rejects_bad_hyper_parameters(digits):
    with pytest.raises(ValueError, match="unknown"):
        MLPTrainer(digits, learning_rate=0.1)
    with pytest.raises(ValueError, match="optimizer"):
        MLPTrainer(digits, optimizer="rmsprop")
    with pytest.raises(ValueError, match="momentum applies"):
        MLPTrainer(digits, optimizer="adam", momentum=0.9)
    with pytest.raises(ValueError, match="lr"):
        MLPTrainer(digits, lr=0.0)
    with pytest.raises(TypeError, match="DataSplit"):
        MLPTrainer((1, 2))


def test_softmax_regression_has_a_single_layer(digits):
    trainer = MLPTrainer(digits, num_layers=0)
    assert len(trainer.net) == 1 and trainer.net[0].weight.shape == (10, 64)


def test_diverged_logits_count_as_wrong():
    logits = torch.tensor([[0.0, 1.0], [float("nan"), 0.0], [2.0, 0.0]])
    assert _accuracy(logits, torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)


def test_mlp_objective_caches_and_counts_the_epochs_it_trains(digits):
    f = MLPObjective(digits, seed=0, fixed={"optimizer": "sgd"})
    config = {"lr": 0.3, "batch_size": 256}
    at_3 = f(config, 3)
    at_1 = f(config, 1)
    assert f.epochs_trained == 3
    fresh = MLPTrainer(digits, seed=0, optimizer="sgd", **config)
    assert fresh.train_epochs(3) == [at_1, f.trainer(config).val_accuracies[1], at_3]
    f(config, 5.0)
    assert f.epochs_trained == 5
    with pytest.raises(ValueError, match="whole number"):
        f(config, 2.5)


# --------------------------------------------------------------------------- Optuna bridge


def test_suggest_config_draws_from_the_same_space():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = _space()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    configs = []
    study.optimize(lambda trial: configs.append(suggest_config(trial, space)) or 0.0,
                   n_trials=20)
    for config in configs:
        space.validate(config)
    assert {c["opt"] for c in configs} == {"sgd", "adam"}


def test_optuna_objective_reports_epochs_and_prunes(digits):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = SearchSpace({"lr": LogUniform(0.1, 0.5)})
    fixed = {"optimizer": "sgd", "batch_size": 512}
    objective = optuna_mlp_objective(MLPObjective(digits, fixed=fixed), space, 3)
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0),
                                pruner=optuna.pruners.ThresholdPruner(lower=0.999))
    study.optimize(objective, n_trials=2)
    assert all(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    assert all(t.user_attrs["epochs"] == 1 for t in study.trials)
    full = optuna.create_study(direction="maximize",
                               sampler=optuna.samplers.RandomSampler(seed=0))
    full.optimize(optuna_mlp_objective(MLPObjective(digits, fixed=fixed), space, 3,
                                       prune=False), n_trials=1)
    assert full.trials[0].user_attrs["epochs"] == 3
    with pytest.raises(ValueError, match="both fixed and searched"):
        optuna_mlp_objective(MLPObjective(digits, fixed={"lr": 0.1}), space, 3)


def test_optuna_workers_in_two_processes_share_one_study(digits, tmp_path):
    """Two forked workers write their trials, tagged with worker and pid, into one study."""
    import multiprocessing
    import os

    import optuna

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    space = SearchSpace({"lr": LogUniform(0.01, 0.5)})
    optuna.create_study(storage=storage, study_name="s", direction="maximize")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=optuna_worker,
                               args=(storage, "s", w, 2, digits, space, 1),
                               kwargs={"fixed": {"optimizer": "sgd", "batch_size": 512}})
               for w in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    trials = optuna.load_study(study_name="s", storage=storage).trials
    assert sorted(t.user_attrs["worker"] for t in trials) == [1, 1, 2, 2]
    pids = {t.user_attrs["pid"] for t in trials}
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(0.0 <= t.value <= 1.0 and t.user_attrs["epochs"] == 1 for t in trials)
