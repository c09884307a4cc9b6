"""Model tuning and hyper-parameter optimisation (HPO), from scratch.

Used in lectures 9.1 (model tuning) and 9.2 (hyper-parameter optimisation); lecture
9.3 (neural architecture search) reuses the search functions. The module has five parts:

- **search spaces**: :class:`Uniform`, :class:`LogUniform`, :class:`IntUniform` and
  :class:`Categorical` dimensions, combined into a :class:`SearchSpace` that samples
  configurations, builds grids and encodes configurations into the unit cube;
- **black-box search** over an objective ``f(config) -> float``: :func:`grid_search`,
  :func:`random_search` (with a stop-when-flat rule) and :func:`bayesian_optimization`
  (a Gaussian-process surrogate with :func:`expected_improvement`);
- **multi-fidelity search** over ``f(config, budget) -> float``, where the budget is
  a number of epochs: :func:`successive_halving` and :func:`hyperband`
  (:func:`hyperband_brackets` gives the schedule of Li et al. 2018);
- **manual tuning tools**: :func:`one_at_a_time`, :func:`tolerance_range`, and an
  :class:`ExperimentLog` that stores runs in SQLite;
- **a small real test bed**: :func:`load_digits_split` and a resumable
  :class:`MLPTrainer` (a one-hidden-layer MLP on scikit-learn's digits), wrapped as a
  cached multi-fidelity objective by :class:`MLPObjective`, and for Optuna by
  :func:`optuna_mlp_objective` (with :func:`suggest_config` translating a search space;
  :func:`optuna_worker` runs it as one of several processes sharing a study).

Every search returns a :class:`SearchResult` whose trials record the configuration,
the value, and the budget charged, so that methods can be compared at equal compute.
Values are maximised by default (validation accuracy); pass ``maximize=False`` for a
loss. A NaN value (a diverged run) always ranks last.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import platform
import sqlite3
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from helpers.checks import (
    boundary,
    check_int,
    check_real,
    check_rng,
    check_vector,
    instance,
    one_of,
    with_options,
)

__all__ = [
    "Bracket",
    "Categorical",
    "DataSplit",
    "Dimension",
    "ExperimentLog",
    "IntUniform",
    "LogUniform",
    "MLPObjective",
    "MLPTrainer",
    "SearchResult",
    "SearchSpace",
    "Trial",
    "Uniform",
    "bayesian_optimization",
    "best_so_far",
    "code_hash",
    "environment_info",
    "expected_improvement",
    "grid_search",
    "hyperband",
    "hyperband_brackets",
    "load_digits_split",
    "one_at_a_time",
    "optuna_mlp_objective",
    "optuna_worker",
    "random_search",
    "refine_space",
    "stopping_point",
    "run_halving",
    "successive_halving",
    "suggest_config",
    "tolerance_range",
]


# --------------------------------------------------------------------------- validation


def _sort_key(value: float, maximize: bool) -> float:
    """A key that sorts the best value first; NaN sorts last."""
    if math.isnan(value):
        return math.inf
    return -value if maximize else value


def _call_objective(objective: Callable[..., object], *args: object) -> float:
    value = objective(*args)
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"the objective must return a real number, got {type(value).__name__}")
    return float(value)


# --------------------------------------------------------------------------- search spaces


class Dimension:
    """One hyper-parameter's range: a base class. Used in lectures 9.2 and 9.3.

    Subclasses implement :meth:`sample`, :meth:`grid`, :meth:`contains` and
    :meth:`to_unit` (an encoding into ``[0, 1]^k`` for surrogate models).
    """

    #: Number of coordinates of :meth:`to_unit`.
    unit_size: int = 1

    def sample(self, rng: np.random.Generator) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def grid(self, num: int) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def contains(self, value: object) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_unit(self, value: object) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_value(self, value: object) -> None:
        if not self.contains(value):
            raise ValueError(f"{value!r} is not in {self!r}")


def _check_bounds(low: object, high: object) -> tuple[float, float]:
    low, high = check_real("low", low), check_real("high", high)
    if not low < high:
        raise ValueError(f"low must be smaller than high, got low={low}, high={high}")
    return low, high


@dataclass(frozen=True)
class Uniform(Dimension):
    """A real hyper-parameter drawn uniformly from ``[low, high]`` (e.g. momentum).

    Used in lectures 9.2 and 9.3.
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _check_bounds(self.low, self.high)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, rng: np.random.Generator) -> float:
        """One value, uniform on ``[low, high)``."""
        return float(check_rng(rng).uniform(self.low, self.high))

    @boundary(num="int >= 1")
    def grid(self, num: int) -> list[float]:
        """``num`` evenly spaced values including both ends (the midpoint if ``num == 1``)."""
        if num == 1:
            return [(self.low + self.high) / 2]
        return [float(v) for v in np.linspace(self.low, self.high, num)]

    def contains(self, value: object) -> bool:
        return (not isinstance(value, bool) and isinstance(value, Real)
                and self.low <= float(value) <= self.high)

    def to_unit(self, value: object) -> np.ndarray:
        self._check_value(value)
        return np.array([(float(value) - self.low) / (self.high - self.low)])


@dataclass(frozen=True)
class LogUniform(Dimension):
    """A positive hyper-parameter whose logarithm is uniform (e.g. a learning rate).

    Each decade of ``[low, high]`` gets the same share of the samples: with
    ``LogUniform(1e-4, 1)`` as many draws fall in ``[1e-4, 1e-3]`` as in ``[0.1, 1]``.
    Used in lectures 9.1, 9.2 and 9.3.
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _check_bounds(self.low, self.high)
        if low <= 0:
            raise ValueError(f"LogUniform needs low > 0, got low={low}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, rng: np.random.Generator) -> float:
        """One value ``exp(u)`` with ``u`` uniform on ``[log low, log high)``."""
        u = check_rng(rng).uniform(math.log(self.low), math.log(self.high))
        return float(min(max(math.exp(u), self.low), self.high))

    @boundary(num="int >= 1")
    def grid(self, num: int) -> list[float]:
        """``num`` values evenly spaced on a log scale, including both ends."""
        if num == 1:
            return [math.sqrt(self.low * self.high)]
        return [float(v) for v in np.geomspace(self.low, self.high, num)]

    def contains(self, value: object) -> bool:
        return (not isinstance(value, bool) and isinstance(value, Real)
                and self.low * (1 - 1e-12) <= float(value) <= self.high * (1 + 1e-12))

    def to_unit(self, value: object) -> np.ndarray:
        self._check_value(value)
        span = math.log(self.high) - math.log(self.low)
        return np.array([(math.log(float(value)) - math.log(self.low)) / span])


@dataclass(frozen=True)
class IntUniform(Dimension):
    """An integer hyper-parameter uniform on ``{low, ..., high}`` (both included).

    With ``log=True`` its logarithm is uniform instead (e.g. a width between 8 and
    512), rounded to the nearest integer. Used in lectures 9.2 and 9.3.
    """

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        low = check_int("low", self.low, low=-(2**62))
        high = check_int("high", self.high, low=-(2**62))
        if not low < high:
            raise ValueError(f"low must be smaller than high, got low={low}, high={high}")
        if self.log and low < 1:
            raise ValueError(f"IntUniform(log=True) needs low >= 1, got low={low}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @boundary(rng="rng")
    def sample(self, rng: np.random.Generator) -> int:
        """One integer; uniform, or log-uniform and rounded when ``log=True``."""
        if self.log:
            u = rng.uniform(math.log(self.low - 0.5), math.log(self.high + 0.5))
            return int(min(max(round(math.exp(u)), self.low), self.high))
        return int(rng.integers(self.low, self.high + 1))

    @boundary(num="int >= 1")
    def grid(self, num: int) -> list[int]:
        """Up to ``num`` distinct integers spread evenly (on a log scale if ``log``)."""
        if num == 1:
            mid = math.sqrt(self.low * self.high) if self.log else (self.low + self.high) / 2
            return [round(mid)]
        points = (np.geomspace(self.low, self.high, num) if self.log
                  else np.linspace(self.low, self.high, num))
        return sorted({int(round(v)) for v in points})

    def contains(self, value: object) -> bool:
        return (not isinstance(value, bool) and isinstance(value, Integral)
                and self.low <= value <= self.high)

    def to_unit(self, value: object) -> np.ndarray:
        self._check_value(value)
        if self.log:
            return np.array([math.log(value / self.low) / math.log(self.high / self.low)])
        return np.array([(value - self.low) / (self.high - self.low)])


@dataclass(frozen=True)
class Categorical(Dimension):
    """A hyper-parameter with a finite set of unordered choices (e.g. the optimiser).

    Encoded one-hot by :meth:`to_unit`. Used in lectures 9.2 and 9.3.
    """

    choices: tuple

    def __post_init__(self) -> None:
        if isinstance(self.choices, str) or not isinstance(self.choices, Sequence):
            raise TypeError("choices must be a sequence (list or tuple) of values")
        choices = tuple(self.choices)
        if len(choices) == 0:
            raise ValueError("Categorical needs at least one choice")
        if len(set(choices)) != len(choices):
            raise ValueError(f"Categorical choices must be distinct, got {choices}")
        object.__setattr__(self, "choices", choices)

    @property
    def unit_size(self) -> int:  # type: ignore[override]
        return len(self.choices)

    def sample(self, rng: np.random.Generator) -> Any:
        """One of the choices, each with probability ``1 / len(choices)``."""
        return self.choices[int(check_rng(rng).integers(len(self.choices)))]

    def grid(self, num: int | None = None) -> list[Any]:
        """All the choices (``num`` is ignored: a category cannot be interpolated)."""
        return list(self.choices)

    def contains(self, value: object) -> bool:
        try:
            return value in self.choices
        except TypeError:
            return False

    def to_unit(self, value: object) -> np.ndarray:
        self._check_value(value)
        out = np.zeros(len(self.choices))
        out[self.choices.index(value)] = 1.0
        return out


class SearchSpace(Mapping):
    """A named set of :class:`Dimension` objects: the space a search explores.

    Behaves as a read-only mapping from hyper-parameter name to dimension, in the
    order given. Used in lectures 9.2 and 9.3.

    Parameters
    ----------
    dimensions : mapping of str to Dimension
        For example ``{"lr": LogUniform(1e-4, 1), "optimizer": Categorical(["sgd", "adam"])}``.

    Examples
    --------
    >>> space = SearchSpace({"lr": LogUniform(1e-3, 1), "width": Categorical([32, 64])})
    >>> len(space.grid(3))
    6
    """

    @boundary(dimensions=instance(Mapping, what="a mapping from name to Dimension"))
    def __init__(self, dimensions: Mapping[str, Dimension]) -> None:
        if len(dimensions) == 0:
            raise ValueError("a search space needs at least one dimension")
        for name, dim in dimensions.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"dimension names must be non-empty strings, got {name!r}")
            instance(Dimension)(f"dimension {name!r}", dim)
        self._dims = dict(dimensions)

    def __getitem__(self, name: str) -> Dimension:
        return self._dims[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dims)

    def __len__(self) -> int:
        return len(self._dims)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._dims.items())
        return f"SearchSpace({{{inner}}})"

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """One configuration, each dimension drawn independently, in declaration order."""
        check_rng(rng)
        return {name: dim.sample(rng) for name, dim in self._dims.items()}

    @boundary(num="int >= 0")
    def sample_many(self, rng: np.random.Generator, num: int) -> list[dict[str, Any]]:
        """``num`` independent configurations."""
        return [self.sample(rng) for _ in range(num)]

    def _points(self, points_per_dim: int | Mapping[str, int]) -> list[list[Any]]:
        if isinstance(points_per_dim, Mapping):
            unknown = set(points_per_dim) - set(self._dims)
            if unknown:
                raise ValueError(f"points_per_dim names unknown dimensions {sorted(unknown)}")
            missing = [n for n, d in self._dims.items()
                       if n not in points_per_dim and not isinstance(d, Categorical)]
            if missing:
                raise ValueError(f"points_per_dim gives no number of points for {missing}")
            return [dim.grid(points_per_dim.get(name, 1)) for name, dim in self._dims.items()]
        points_per_dim = check_int("points_per_dim", points_per_dim, low=1)
        return [dim.grid(points_per_dim) for dim in self._dims.values()]

    def grid_size(self, points_per_dim: int | Mapping[str, int]) -> int:
        """Number of configurations in :meth:`grid`: the product of the per-dimension counts."""
        return math.prod(len(p) for p in self._points(points_per_dim))

    def grid(self, points_per_dim: int | Mapping[str, int]) -> list[dict[str, Any]]:
        """Every combination of per-dimension grid values (a Cartesian product).

        Parameters
        ----------
        points_per_dim : int or mapping of str to int
            Grid points per numeric dimension (one number for all, or one per name).
            A :class:`Categorical` dimension always contributes all its choices.
        """
        points = self._points(points_per_dim)
        names = list(self._dims)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*points)]

    def validate(self, config: Mapping[str, Any]) -> None:
        """Raise ValueError unless ``config`` has exactly this space's names and valid values."""
        instance(Mapping, what="a mapping")("a configuration", config)
        if set(config) != set(self._dims):
            raise ValueError(f"configuration keys {sorted(config)} do not match the space's "
                             f"{sorted(self._dims)}")
        for name, dim in self._dims.items():
            dim._check_value(config[name])

    @property
    def unit_size(self) -> int:
        """Length of the :meth:`to_unit` encoding (one-hot categories count their choices)."""
        return sum(dim.unit_size for dim in self._dims.values())

    def to_unit(self, config: Mapping[str, Any]) -> np.ndarray:
        """Encode a configuration as a vector in ``[0, 1]^unit_size`` (log dimensions in logs)."""
        self.validate(config)
        return np.concatenate([dim.to_unit(config[name]) for name, dim in self._dims.items()])


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Trial:
    """One evaluation of the objective. Used in lectures 9.2 and 9.3.

    Attributes
    ----------
    trial_id : int
        Position in the order of evaluation (0, 1, ...).
    config : dict
        The configuration evaluated.
    value : float
        What the objective returned (NaN for a diverged run).
    budget : float
        The budget charged for this evaluation (e.g. epochs; 1 for a black-box trial).
    config_id : int
        Identifies the configuration across rungs of successive halving (equals
        ``trial_id`` for one-shot searches).
    bracket : int or None
        Hyperband bracket ``s`` (None outside Hyperband).
    rung : int or None
        Round of successive halving (0 = first, lowest budget), None for one-shot searches.
    """

    trial_id: int
    config: dict
    value: float
    budget: float
    config_id: int
    bracket: int | None = None
    rung: int | None = None


@dataclass
class SearchResult:
    """The trials of a search, in order of evaluation. Used in lectures 9.2 and 9.3.

    Attributes
    ----------
    trials : list of Trial
        Every evaluation, in order.
    maximize : bool
        Whether larger values are better.
    """

    trials: list[Trial] = field(default_factory=list)
    maximize: bool = True

    def _require_trials(self) -> None:
        if not self.trials:
            raise ValueError("the search has no trials")

    @property
    def best_trial(self) -> Trial:
        """Best trial among those run with the largest budget (ties: the earliest).

        A value measured after fewer epochs is not comparable with one after more,
        so multi-fidelity searches choose among their full-budget evaluations.
        """
        self._require_trials()
        top = max(t.budget for t in self.trials)
        candidates = [t for t in self.trials if t.budget == top]
        return min(candidates, key=lambda t: (_sort_key(t.value, self.maximize), t.trial_id))

    @property
    def best_config(self) -> dict:
        """Configuration of :attr:`best_trial`."""
        return self.best_trial.config

    @property
    def best_value(self) -> float:
        """Value of :attr:`best_trial`."""
        return self.best_trial.value

    @property
    def total_budget(self) -> float:
        """Sum of the budgets charged for all trials (the compute spent)."""
        return float(sum(t.budget for t in self.trials))

    @property
    def values(self) -> np.ndarray:
        """The objective values in order of evaluation."""
        return np.array([t.value for t in self.trials], dtype=float)

    def best_so_far(self) -> np.ndarray:
        """Best value among the first ``k`` trials, for ``k = 1 ... len(trials)``."""
        return best_so_far(self.values, maximize=self.maximize)

    def cumulative_budget(self) -> np.ndarray:
        """Compute spent after each trial."""
        return np.cumsum([t.budget for t in self.trials], dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """One row per trial: ids, bracket, rung, budget, value, one column per hyper-parameter."""
        rows = [{"trial_id": t.trial_id, "config_id": t.config_id, "bracket": t.bracket,
                 "rung": t.rung, "budget": t.budget, "value": t.value, **t.config}
                for t in self.trials]
        return pd.DataFrame(rows)


@boundary(values=with_options(check_vector, allow_nan=True, allow_inf=True, min_size=0))
def best_so_far(values: Sequence[float] | np.ndarray, maximize: bool = True) -> np.ndarray:
    """Running best of a sequence of objective values (NaN entries are skipped).

    The curve a random search is judged by: stop when it flattens. Positions
    before the first non-NaN value are NaN. Used in lecture 9.2.

    Parameters
    ----------
    values : sequence of float
        Objective values in order of evaluation.
    maximize : bool
        Running maximum if True, running minimum otherwise.
    """
    arr = values
    filled = np.where(np.isnan(arr), -np.inf if maximize else np.inf, arr)
    out = np.maximum.accumulate(filled) if maximize else np.minimum.accumulate(filled)
    out[np.isinf(out) & np.isinf(filled) & np.isnan(arr)] = np.nan
    return out


@boundary(values=with_options(check_vector, allow_nan=True, allow_inf=True), patience="int >= 1",
          min_delta="real >= 0.0")
def stopping_point(values: Sequence[float] | np.ndarray, patience: int,
                   min_delta: float = 0.0, maximize: bool = True) -> int:
    """Number of trials after which "stop when the best-so-far curve flattens" stops.

    The rule stops as soon as ``patience`` consecutive trials have not improved the
    best value by more than ``min_delta``. If it never fires, all trials are used.
    Used in lecture 9.2.

    Parameters
    ----------
    values : sequence of float
        Objective values in order of evaluation (NaN counts as no improvement).
    patience : int
        Number of trials without improvement that stops the search.
    min_delta : float
        Smallest gain that counts as an improvement.
    maximize : bool
        Whether larger values are better.

    Returns
    -------
    int
        How many trials the rule would have run (between 1 and ``len(values)``).
    """
    fired = _first_stop(values, patience, min_delta, maximize)
    return len(values) if fired is None else fired


def _first_stop(values: np.ndarray, patience: int, min_delta: float,
                maximize: bool) -> int | None:
    """Trial count at which the flat-curve rule fires, or None if it never does."""
    sign = 1.0 if maximize else -1.0
    best = -math.inf
    since = 0
    for k, v in enumerate(values, start=1):
        score = -math.inf if math.isnan(v) else sign * float(v)
        if score > best + min_delta:
            best, since = score, 0
        else:
            since += 1
            if since >= patience:
                return k
    return None


# --------------------------------------------------------------------------- black-box search


@boundary(objective="callable", space=instance(SearchSpace), max_trials="int >= 1 or None")
def grid_search(objective: Callable[[dict], float], space: SearchSpace,
                points_per_dim: int | Mapping[str, int], *, maximize: bool = True,
                max_trials: int | None = None) -> SearchResult:
    """Evaluate the objective on every combination of a grid over the space.

    The number of trials is the product of the per-dimension counts, so it grows
    exponentially with the number of dimensions (the curse of dimensionality).
    Used in lecture 9.2.

    Parameters
    ----------
    objective : callable
        ``objective(config) -> float``.
    space : SearchSpace
        The space; see :meth:`SearchSpace.grid` for how the grid is built.
    points_per_dim : int or mapping of str to int
        Grid points per numeric dimension.
    maximize : bool
        Whether larger values are better.
    max_trials : int, optional
        Refuse (ValueError) a grid with more configurations than this.

    Returns
    -------
    SearchResult
        One trial per grid point, each charged a budget of 1.
    """
    size = space.grid_size(points_per_dim)
    if max_trials is not None and size > max_trials:
        raise ValueError(f"the grid has {size} configurations, more than max_trials={max_trials}")
    result = SearchResult(maximize=maximize)
    for i, config in enumerate(space.grid(points_per_dim)):
        result.trials.append(Trial(i, config, _call_objective(objective, config), 1.0, i))
    return result


@boundary(objective="callable", space=instance(SearchSpace), num_trials="int >= 1",
          seed="int >= 0", cost_per_trial="real > 0.0", patience="int >= 1 or None",
          min_delta="real >= 0.0")
def random_search(objective: Callable[[dict], float], space: SearchSpace, num_trials: int, *,
                  seed: int = 0, maximize: bool = True, cost_per_trial: float = 1.0,
                  patience: int | None = None, min_delta: float = 0.0) -> SearchResult:
    """Evaluate the objective on configurations drawn independently from the space.

    The first method to try: every trial sees a new value of *every* dimension,
    it parallelises trivially, and it can stop when the best-so-far curve
    flattens (``patience``). Used in lectures 9.2 and 9.3.

    Parameters
    ----------
    objective : callable
        ``objective(config) -> float``.
    space : SearchSpace
        Where configurations are drawn from.
    num_trials : int
        Maximum number of trials (the budget).
    seed : int
        Seed of the sampler; the same seed gives the same configurations.
    maximize : bool
        Whether larger values are better.
    cost_per_trial : float
        Budget charged per trial (e.g. the number of epochs each run trains).
    patience, min_delta : optional
        If ``patience`` is given, stop early once ``patience`` consecutive trials
        improved the best value by no more than ``min_delta`` (:func:`stopping_point`).

    Returns
    -------
    SearchResult
    """
    rng = np.random.default_rng(seed)
    result = SearchResult(maximize=maximize)
    for i in range(num_trials):
        config = space.sample(rng)
        result.trials.append(Trial(i, config, _call_objective(objective, config), cost_per_trial,
                                   i))
        if patience is not None and _first_stop(result.values, patience, min_delta,
                                                maximize) is not None:
            break
    return result


def _expected_improvement_args(args: dict) -> None:
    """Check and convert ``mu`` and ``sigma`` of :func:`expected_improvement` (in place)."""
    mu = args["mu"] = np.asarray(args["mu"], dtype=float)
    sigma = args["sigma"] = np.asarray(args["sigma"], dtype=float)
    if mu.shape != sigma.shape:
        raise ValueError(f"mu and sigma must have the same shape, got {mu.shape} and "
                         f"{sigma.shape}")
    if np.isnan(mu).any() or np.isnan(sigma).any():
        raise ValueError("mu and sigma must not contain NaN")
    if (sigma < 0).any():
        raise ValueError("sigma must be non-negative")


@boundary(best="real", xi="real >= 0.0", check=_expected_improvement_args)
def expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float, *, xi: float = 0.0,
                         maximize: bool = True) -> np.ndarray:
    """Expected improvement of a Gaussian belief ``N(mu, sigma^2)`` over the best value.

    For maximisation, with ``d = mu - best - xi`` and ``z = d / sigma``,

    ``EI = d * Phi(z) + sigma * phi(z)``, and ``EI = max(d, 0)`` where ``sigma = 0``.

    This is ``E[max(Y - best - xi, 0)]`` for ``Y ~ N(mu, sigma^2)``: large where the
    surrogate predicts a high value (exploitation) or is uncertain (exploration).
    Used in lecture 9.2.

    Parameters
    ----------
    mu, sigma : array-like
        Posterior mean and standard deviation at candidate points (``sigma >= 0``).
    best : float
        Best value observed so far.
    xi : float
        Non-negative margin that favours exploration.
    maximize : bool
        If False, improvement means going below ``best``.
    """
    from scipy.stats import norm

    d = (mu - best - xi) if maximize else (best - mu - xi)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, d / np.where(sigma > 0, sigma, 1.0), 0.0)
        ei = np.where(sigma > 0, d * norm.cdf(z) + sigma * norm.pdf(z), np.maximum(d, 0.0))
    return np.maximum(ei, 0.0)


@boundary(objective="callable", space=instance(SearchSpace), num_trials="int >= 1",
          num_initial="int >= 2", num_candidates="int >= 1", seed="int >= 0", xi="real")
def bayesian_optimization(objective: Callable[[dict], float], space: SearchSpace,
                          num_trials: int, *, num_initial: int = 5, num_candidates: int = 1000,
                          xi: float = 0.01, seed: int = 0,
                          maximize: bool = True) -> SearchResult:
    """Bayesian optimisation: a Gaussian-process surrogate and expected improvement.

    The first ``num_initial`` trials are random (the surrogate has nothing to learn
    from yet). Then each trial fits a Gaussian process to all results so far, on
    the :meth:`SearchSpace.to_unit` encoding, scores ``num_candidates`` random
    configurations by :func:`expected_improvement`, and evaluates the best one.
    The trials are therefore sequential: each depends on all the previous ones.
    Used in lecture 9.2.

    Parameters
    ----------
    objective : callable
        ``objective(config) -> float``; when fitting the surrogate, NaN and infinitely
        bad values are replaced by the worst finite value seen, infinitely good ones
        by the best.
    space : SearchSpace
        The space; configurations are drawn from it.
    num_trials : int
        Total number of trials, including the initial random ones.
    num_initial : int
        Number of initial random trials (at least 2).
    num_candidates : int
        Random candidates scored by the acquisition function per step.
    xi : float
        Exploration margin of expected improvement, in units of the standardised
        objective (the surrogate normalises the values).
    seed : int
        Seed of the sampler and of the GP's optimiser restarts.
    maximize : bool
        Whether larger values are better.

    Returns
    -------
    SearchResult
        Trials with ``rung=0`` for the initial random points and ``rung=1`` for the
        points chosen by expected improvement.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    rng = np.random.default_rng(seed)
    result = SearchResult(maximize=maximize)
    sign = 1.0 if maximize else -1.0
    kernel = (ConstantKernel(1.0, (1e-3, 1e3))
              * Matern(length_scale=np.full(space.unit_size, 0.3), length_scale_bounds=(1e-2, 1e1),
                       nu=2.5)
              + WhiteKernel(1e-3, (1e-6, 1e-1)))
    for i in range(num_trials):
        if i < num_initial:
            config, phase = space.sample(rng), 0
        else:
            X = np.stack([space.to_unit(t.config) for t in result.trials])
            y = sign * result.values
            finite = y[np.isfinite(y)]
            worst, best = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
            y = np.where(np.isfinite(y), y, np.where(y == np.inf, best, worst))
            gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True,
                                          n_restarts_optimizer=1, random_state=seed + i)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                gp.fit(X, y)
            candidates = space.sample_many(rng, num_candidates)
            C = np.stack([space.to_unit(c) for c in candidates])
            mu, sd = gp.predict(C, return_std=True)
            scale = float(np.std(y)) if np.std(y) > 0 else 1.0
            ei = expected_improvement(mu, sd, float(np.max(y)), xi=xi * scale)
            config, phase = candidates[int(np.argmax(ei))], 1
        value = _call_objective(objective, config)
        result.trials.append(Trial(i, config, value, 1.0, i, rung=phase))
    return result


# --------------------------------------------------------------------------- multi-fidelity search


def run_halving(objective: Callable[[dict, float], float], configs: list[dict],
                 rungs: list[tuple[int, float]], eta: int, maximize: bool,
                 result: SearchResult, bracket: int | None, first_config_id: int) -> None:
    """Run one successive-halving schedule on ``configs``, appending trials to ``result``.

    The loop at the heart of :func:`successive_halving` and :func:`hyperband` (which
    check the arguments and build the schedule): at every rung, train the surviving
    configurations with the rung's budget and keep the best ``1/eta``. Used in
    lecture 9.2.

    Parameters
    ----------
    objective : callable
        ``objective(config, budget) -> float``.
    configs : list of dict
        The configurations, best kept first on ties.
    rungs : list of (int, float)
        ``(number of configurations, budget)`` of every rung.
    eta : int
        Reduction factor.
    maximize : bool
        Whether larger values are better.
    result : SearchResult
        Where the trials are appended.
    bracket : int or None
        Hyperband bracket of this schedule (None for plain successive halving).
    first_config_id : int
        Id of ``configs[0]`` in ``result``.
    """
    alive = list(range(len(configs)))
    for rung, (n_i, r_i) in enumerate(rungs):
        alive = alive[:n_i]
        scored = []
        for idx in alive:
            value = _call_objective(objective, configs[idx], r_i)
            trial = Trial(len(result.trials), configs[idx], value, r_i,
                          first_config_id + idx, bracket=bracket, rung=rung)
            result.trials.append(trial)
            scored.append((_sort_key(value, maximize), len(scored), idx))
        scored.sort()
        keep = max(n_i // eta, 1)
        alive = [idx for _, _, idx in scored[:keep]]


def _halving_rungs(num_configs: int, min_budget: float, eta: int,
                   max_budget: float | None, num_rounds: int | None) -> list[tuple[int, float]]:
    rungs = []
    i = 0
    while True:
        n_i = num_configs // eta**i
        r_i = min_budget * eta**i
        if n_i < 1 or (max_budget is not None and r_i > max_budget * (1 + 1e-12)):
            break
        if num_rounds is not None and i >= num_rounds:
            break
        rungs.append((n_i, r_i))
        if n_i == 1:
            break
        i += 1
    if num_rounds is not None and len(rungs) < num_rounds:
        raise ValueError(f"num_rounds={num_rounds} is impossible: {num_configs} configurations "
                         f"with eta={eta} (and max_budget={max_budget}) allow {len(rungs)}")
    return rungs


def _halving_args(args: dict) -> None:
    """Check the arguments of :func:`successive_halving` that depend on each other."""
    max_budget, min_budget = args["max_budget"], args["min_budget"]
    if max_budget is not None and max_budget < min_budget:
        raise ValueError(f"max_budget={max_budget} is smaller than min_budget={min_budget}")
    if args["configs"] is not None:
        if args["space"] is not None or args["num_configs"] is not None:
            raise ValueError("give either configs, or space and num_configs, not both")
        args["configs"] = [dict(c) for c in args["configs"]]
        if not args["configs"]:
            raise ValueError("configs is empty: there is nothing to search")
    else:
        if not isinstance(args["space"], SearchSpace):
            raise TypeError("space must be a SearchSpace (or pass configs=)")
        if args["num_configs"] is None:
            raise ValueError("num_configs is required when sampling from a space")


@boundary(objective="callable", num_configs="int >= 1 or None", min_budget="real > 0.0",
          eta="int >= 2", max_budget="real or None", num_rounds="int >= 1 or None",
          seed="int >= 0", check=_halving_args)
def successive_halving(objective: Callable[[dict, float], float], space: SearchSpace | None = None,
                       *, num_configs: int | None = None, min_budget: float = 1.0,
                       eta: int = 2, max_budget: float | None = None,
                       num_rounds: int | None = None, configs: Sequence[dict] | None = None,
                       seed: int = 0, maximize: bool = True) -> SearchResult:
    """Successive halving: train many configurations briefly, keep the best ``1/eta``, repeat.

    Round ``i`` trains the ``n_i = floor(n / eta^i)`` survivors with budget
    ``r_i = min_budget * eta^i`` and keeps the best ``floor(n_i / eta)`` (at least one).
    With ``eta = 2``: n configurations for m epochs, keep the best half, double the
    epochs, and so on. The rounds stop when one configuration is left, when the next
    budget would exceed ``max_budget``, or after ``num_rounds`` rounds. Each
    evaluation is charged its full budget (training from scratch). Used in lectures
    9.2 and 9.3.

    Parameters
    ----------
    objective : callable
        ``objective(config, budget) -> float``, e.g. validation accuracy after
        ``budget`` epochs.
    space : SearchSpace, optional
        Where to draw ``num_configs`` random configurations (with ``seed``).
    num_configs : int, optional
        Number of configurations of the first round (required with ``space``).
    min_budget : float
        Budget of the first round (``m``).
    eta : int
        Reduction factor (2 keeps half).
    max_budget : float, optional
        Largest budget a configuration may receive.
    num_rounds : int, optional
        Exact number of rounds (ValueError if the other settings do not allow it).
    configs : sequence of dict, optional
        The configurations to start from, instead of ``space`` and ``num_configs``.
    seed : int
        Seed for sampling from ``space``.
    maximize : bool
        Whether larger values are better.

    Returns
    -------
    SearchResult
        Trials with ``rung`` set; :attr:`SearchResult.best_trial` is the best at the
        last (largest) budget.
    """
    if configs is None:                                   # draw the starting configurations
        configs = space.sample_many(np.random.default_rng(seed), num_configs)
    rungs = _halving_rungs(len(configs), min_budget, eta, max_budget, num_rounds)
    result = SearchResult(maximize=maximize)
    run_halving(objective, configs, rungs, eta, maximize, result, None, 0)
    return result


@dataclass(frozen=True)
class Bracket:
    """One successive-halving run of Hyperband. Used in lectures 9.2 and 9.3.

    Attributes
    ----------
    s : int
        Bracket index: ``s + 1`` rounds, starting at budget ``R / eta^s``.
    rungs : tuple of (int, float)
        ``(n_i, r_i)`` for each round: configurations trained and budget each.
    """

    s: int
    rungs: tuple[tuple[int, float], ...]

    @property
    def num_configs(self) -> int:
        """Number of configurations the bracket starts with."""
        return self.rungs[0][0]

    @property
    def budget(self) -> float:
        """Total budget of the bracket, ``sum_i n_i r_i`` (training from scratch)."""
        return float(sum(n * r for n, r in self.rungs))


@boundary(max_budget="real >= 1.0", eta="int >= 2")
def hyperband_brackets(max_budget: float, eta: int = 3) -> list[Bracket]:
    """The brackets of Hyperband (Li et al. 2018, Algorithm 1) for ``R`` and ``eta``.

    With ``s_max = floor(log_eta R)`` and ``B = (s_max + 1) R``, bracket
    ``s = s_max, ..., 0`` starts ``n = ceil(B / R * eta^s / (s + 1))`` configurations
    at budget ``r = R eta^{-s}``; round ``i = 0..s`` trains ``n_i = floor(n eta^{-i})``
    of them with budget ``r_i = r eta^i``. Bracket ``s_max`` is the most aggressive
    successive halving (many configurations, one epoch), bracket 0 is random search
    with the full budget. Used in lecture 9.2.

    Parameters
    ----------
    max_budget : float
        ``R``, the largest budget one configuration may receive (at least 1).
    eta : int
        Reduction factor (at least 2; Li et al. use 3).
    """
    R = max_budget
    s_max = 0
    while eta ** (s_max + 1) <= R * (1 + 1e-12):
        s_max += 1
    brackets = []
    for s in range(s_max, -1, -1):
        n = -(-(s_max + 1) * eta**s // (s + 1))  # exact integer ceiling
        r = R / eta**s
        rungs = tuple((n // eta**i, r * eta**i) for i in range(s + 1))
        brackets.append(Bracket(s, rungs))
    return brackets


@boundary(objective="callable", space=instance(SearchSpace), seed="int >= 0")
def hyperband(objective: Callable[[dict, float], float], space: SearchSpace, max_budget: float,
              *, eta: int = 3, seed: int = 0, maximize: bool = True) -> SearchResult:
    """Hyperband: successive halving run for every trade-off between n and m.

    Choosing how many configurations to start with (n) and how long to train them
    before the first cut (m) is the hard part of successive halving; Hyperband
    hedges by running one successive-halving bracket per choice, from the most
    aggressive (``s = s_max``) to plain random search (``s = 0``), as given by
    :func:`hyperband_brackets`. Each bracket draws fresh configurations from the
    same seeded generator. Used in lectures 9.2 and 9.3.

    Parameters
    ----------
    objective : callable
        ``objective(config, budget) -> float``.
    space : SearchSpace
        Where configurations are drawn from.
    max_budget : float
        ``R``, the largest budget of a configuration.
    eta : int
        Reduction factor.
    seed : int
        Seed of the sampler.
    maximize : bool
        Whether larger values are better.

    Returns
    -------
    SearchResult
        Trials with ``bracket`` and ``rung`` set; the best trial is chosen among the
        evaluations at budget ``R``.
    """
    rng = np.random.default_rng(seed)
    result = SearchResult(maximize=maximize)
    next_id = 0
    for bracket in hyperband_brackets(max_budget, eta):
        configs = space.sample_many(rng, bracket.num_configs)
        run_halving(objective, configs, list(bracket.rungs), eta, maximize, result,
                     bracket.s, next_id)
        next_id += len(configs)
    return result


def _refine_space_args(args: dict) -> None:
    """Check ``configs`` of :func:`refine_space` against ``space`` (in place)."""
    configs = args["configs"] = list(args["configs"])
    if not configs:
        raise ValueError("configs is empty: there is nothing to refine around")
    for config in configs:
        args["space"].validate(config)


@boundary(space=instance(SearchSpace), log_margin="real > 1.0", linear_margin="real >= 0.0",
          check=_refine_space_args)
def refine_space(space: SearchSpace, configs: Sequence[Mapping[str, Any]], *,
                 log_margin: float = 2.0, linear_margin: float = 0.1) -> SearchSpace:
    """A narrower search space around the configurations that did well.

    After a search, take its best trials and search again where they lie:

    - log-scale dimensions (:class:`LogUniform`, log :class:`IntUniform`) become
      ``[min / log_margin, max * log_margin]`` of the good values;
    - linear ones become ``[min - m, max + m]`` with ``m = linear_margin * (high - low)``;
    - a :class:`Categorical` keeps only the choices the good configurations used.

    Every new range is clipped to the old one, so refining never widens the space.
    The margins guard against cutting the optimum off. Used in lectures 9.2 and 9.3.

    Parameters
    ----------
    space : SearchSpace
        The space that was searched.
    configs : sequence of mappings
        The configurations that did well (e.g. the best quarter of the trials).
    log_margin : float
        Factor (> 1) by which log-scale ranges are extended on each side.
    linear_margin : float
        Fraction (>= 0) of the old range by which linear ranges are extended.
    """
    dims: dict[str, Dimension] = {}
    for name, dim in space.items():
        values = [config[name] for config in configs]
        if isinstance(dim, Categorical):
            dims[name] = Categorical([c for c in dim.choices if c in values])
        elif isinstance(dim, LogUniform):
            dims[name] = LogUniform(max(dim.low, min(values) / log_margin),
                                    min(dim.high, max(values) * log_margin))
        elif isinstance(dim, Uniform):
            m = linear_margin * (dim.high - dim.low)
            low, high = max(dim.low, min(values) - m), min(dim.high, max(values) + m)
            dims[name] = Uniform(low, high) if low < high else dim
        elif isinstance(dim, IntUniform):
            if dim.log:
                low = max(dim.low, math.floor(min(values) / log_margin))
                high = min(dim.high, math.ceil(max(values) * log_margin))
            else:
                m = linear_margin * (dim.high - dim.low)
                low = max(dim.low, math.floor(min(values) - m))
                high = min(dim.high, math.ceil(max(values) + m))
            dims[name] = IntUniform(low, high, log=dim.log) if low < high else dim
        else:
            raise TypeError(f"cannot refine a dimension of type {type(dim).__name__}")
    return SearchSpace(dims)


# --------------------------------------------------------------------------- manual tuning


def _one_at_a_time_args(args: dict) -> None:
    """Check the arguments of :func:`one_at_a_time`, every variation before the first
    run."""
    baseline, variations = args["baseline"], args["variations"]
    unknown = set(variations) - set(baseline)
    if unknown:
        raise ValueError(f"variations name hyper-parameters not in the baseline: "
                         f"{sorted(unknown)}")
    for name, values in variations.items():
        if isinstance(values, str) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"variations[{name!r}] must be a non-empty list of values")


@boundary(objective="callable", baseline=instance(Mapping), variations=instance(Mapping),
          check=_one_at_a_time_args)
def one_at_a_time(objective: Callable[[dict], float], baseline: Mapping[str, Any],
                  variations: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Change one hyper-parameter at a time from a baseline and record the objective.

    Manual tuning's main move: every row differs from the baseline in exactly one
    value, so any change in the objective is due to that value. Used in lecture 9.1.

    Parameters
    ----------
    objective : callable
        ``objective(config) -> float``.
    baseline : mapping
        The starting configuration (e.g. a toolkit's defaults).
    variations : mapping of str to sequence
        For each hyper-parameter name in ``baseline``, the values to try.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``value``, ``score``; the first row is the baseline itself
        (``name == "baseline"``).
    """
    rows = [{"name": "baseline", "value": None,
             "score": _call_objective(objective, dict(baseline))}]
    for name, values in variations.items():
        for value in values:
            config = {**baseline, name: value}
            rows.append({"name": name, "value": value,
                         "score": _call_objective(objective, config)})
    return pd.DataFrame(rows)


def _tolerance_range_args(args: dict) -> None:
    """Check and convert the arguments of :func:`tolerance_range` (in place)."""
    x = args["xs"] = np.asarray(args["xs"], dtype=float)
    s = args["scores"] = np.asarray(args["scores"], dtype=float)
    if x.ndim != 1 or s.shape != x.shape or len(x) == 0:
        raise ValueError("xs and scores must be non-empty 1-D sequences of the same length")
    if np.isnan(x).any() or (np.diff(x) <= 0).any():
        raise ValueError("xs must be strictly increasing and free of NaN")
    if np.isnan(s).all():
        raise ValueError("all scores are NaN")


@boundary(tol="real >= 0.0", check=_tolerance_range_args)
def tolerance_range(xs: Sequence[float], scores: Sequence[float],
                    tol: float) -> tuple[float, float]:
    """The contiguous range of ``xs`` around the best score whose scores are within ``tol``.

    Answers "what is the good range of this hyper-parameter?": starting from the
    argmax of ``scores`` (the first one on ties), extend left and right while the
    score stays at least ``max(scores) - tol``. NaN scores end the range. Used in
    lecture 9.1, e.g. with ``log10`` of the learning rates to measure the width of
    the good range in decades.

    Parameters
    ----------
    xs : sequence of float
        Hyper-parameter values, strictly increasing.
    scores : sequence of float
        The score at each value (larger is better).
    tol : float
        Allowed drop below the best score (non-negative).

    Returns
    -------
    (low, high) : tuple of float
        The smallest and largest ``x`` of the range.
    """
    best = int(np.nanargmax(scores))
    threshold = scores[best] - tol
    lo = hi = best
    while lo > 0 and scores[lo - 1] >= threshold:
        lo -= 1
    while hi < len(scores) - 1 and scores[hi + 1] >= threshold:
        hi += 1
    return float(xs[lo]), float(xs[hi])


# --------------------------------------------------------------------------- experiment log


@boundary(func="callable")
def code_hash(func: Callable[..., Any]) -> str:
    """A short fingerprint of a function's source code, without git: 12 hex digits of SHA-256.

    Logged with each run so that results can be tied to the code that produced
    them even in a notebook that was never committed. Used in lecture 9.1.
    """
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError) as err:
        raise ValueError(f"cannot read the source of {func!r}: {err}") from err
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def environment_info() -> dict[str, str]:
    """Versions of Python and the numerical libraries, and the platform. Used in lecture 9.1."""
    import sklearn

    return {"python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__, "platform": platform.platform()}


_RESERVED = ("run_id", "created", "seed", "code_hash", "environment")


def _json_safe(name: str, mapping: object) -> dict:
    instance(Mapping, what="a mapping")(name, mapping)
    out = {}
    for key, value in mapping.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"{name} keys must be non-empty strings, got {key!r}")
        if key in _RESERVED:
            raise ValueError(f"{name} key {key!r} is reserved by the log")
        if hasattr(value, "item") and callable(value.item):
            value = value.item()
        if not (value is None or isinstance(value, str | bool | Integral | Real)):
            raise TypeError(f"{name}[{key!r}] must be a number, string, bool or None, got "
                            f"{type(value).__name__}")
        out[key] = value
    return out


def _log_run_args(args: dict) -> None:
    """Check the params and metrics of :meth:`ExperimentLog.log_run` (in place)."""
    params = args["params"] = _json_safe("params", args["params"])
    metrics = args["metrics"] = _json_safe("metrics", args["metrics"])
    for key, value in metrics.items():
        if isinstance(value, str | bool) or value is None:
            raise TypeError(f"metrics[{key!r}] must be a number, got {type(value).__name__}")
    overlap = set(params) & set(metrics)
    if overlap:
        raise ValueError(f"names used both as params and metrics: {sorted(overlap)}")


class ExperimentLog:
    """A local experiment store: one SQLite row per training run. Used in lecture 9.1.

    Each run records its hyper-parameters, its metrics, the random seed, a hash of
    the model code (:func:`code_hash`) and the library versions
    (:func:`environment_info`), so that any result can be traced and reproduced.
    Tools such as TensorBoard, MLflow or Weights & Biases do the same at scale.

    Parameters
    ----------
    path : str or Path
        The SQLite database file (created if missing; existing runs are kept).

    Examples
    --------
    >>> log = ExperimentLog(":memory:")
    >>> log.log_run({"lr": 0.1}, {"val_acc": 0.9}, seed=0)
    1
    """

    @boundary(path=instance(str, Path))
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS runs ("
            "run_id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, "
            "params TEXT NOT NULL, metrics TEXT NOT NULL, seed INTEGER, "
            "code_hash TEXT, environment TEXT NOT NULL)")
        self._conn.commit()

    @boundary(seed="int >= 0 or None", check=_log_run_args)
    def log_run(self, params: Mapping[str, Any], metrics: Mapping[str, Any], *,
                seed: int | None, code: Callable[..., Any] | str | None = None) -> int:
        """Store one run and return its id (1, 2, ...).

        Parameters
        ----------
        params : mapping of str to number, string, bool or None
            Hyper-parameters of the run.
        metrics : mapping of str to number
            Results (NaN allowed, e.g. for a diverged run).
        seed : int or None
            The random seed of the run.
        code : callable or str, optional
            The model/training function (hashed with :func:`code_hash`) or a hash.
        """
        digest = code if isinstance(code, str) or code is None else code_hash(code)
        cursor = self._conn.execute(
            "INSERT INTO runs (created, params, metrics, seed, code_hash, environment) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (datetime.now(UTC).isoformat(timespec="seconds"), json.dumps(params),
             json.dumps(metrics), seed, digest, json.dumps(environment_info())))
        self._conn.commit()
        return int(cursor.lastrowid)

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def runs(self) -> pd.DataFrame:
        """All runs as a DataFrame: ``run_id``, ``created``, ``seed``, ``code_hash``,
        ``environment`` (a JSON string), then one column per parameter and per metric."""
        query = ("SELECT run_id, created, seed, code_hash, environment, params, metrics "
                 "FROM runs ORDER BY run_id")
        raw = pd.read_sql_query(query, self._conn)
        params = pd.DataFrame([json.loads(p) for p in raw["params"]], index=raw.index)
        metrics = pd.DataFrame([json.loads(m) for m in raw["metrics"]], index=raw.index)
        return pd.concat([raw.drop(columns=["params", "metrics"]), params, metrics], axis=1)

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def __enter__(self) -> ExperimentLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- test bed: digits MLP


@dataclass(frozen=True)
class DataSplit:
    """Standardised features and labels of a train/validation/test split. Used in lecture 9.1."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


@boundary(seed="int >= 0", val_fraction="real", test_fraction="real")
def load_digits_split(seed: int = 0, val_fraction: float = 0.2,
                      test_fraction: float = 0.2) -> DataSplit:
    """scikit-learn's bundled digits (1,797 8x8 images), split and standardised.

    Stratified split into train / validation / test; features are standardised
    with the training mean and standard deviation (constant pixels are left
    centred); tensors are float64 so that results depend little on the CPU.
    Used in lectures 9.1, 9.2 and 9.3.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not (0 < val_fraction and 0 < test_fraction and val_fraction + test_fraction < 1):
        raise ValueError("val_fraction and test_fraction must be positive and sum to less than 1")
    X, y = load_digits(return_X_y=True)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=test_fraction, random_state=seed, stratify=y)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=val_fraction / (1 - test_fraction), random_state=seed,
        stratify=y_rest)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def features(a: np.ndarray) -> torch.Tensor:
        return torch.tensor((a - mean) / std, dtype=torch.float64)

    def labels(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(a, dtype=torch.int64)

    return DataSplit(features(X_train), labels(y_train), features(X_val), labels(y_val),
                     features(X_test), labels(y_test))


_MLP_DEFAULTS = {"optimizer": "adam", "lr": 1e-3, "batch_size": 128, "num_hiddens": 64,
                 "num_layers": 1, "weight_decay": 0.0, "momentum": 0.0}


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy; an example with non-finite logits (a diverged model) counts as wrong."""
    ok = torch.isfinite(logits).all(dim=1)
    correct = (logits.argmax(dim=1) == y) & ok
    return float(correct.double().mean())


class MLPTrainer:
    """A resumable trainer of an MLP classifier on a :class:`DataSplit`.

    ``num_layers`` hidden layers of ``num_hiddens`` ReLU units (``num_layers=0`` is
    softmax regression), cross-entropy loss, SGD (with optional momentum) or Adam
    (with PyTorch's defaults ``betas=(0.9, 0.999)``, ``eps=1e-8``; both updates
    computed exactly as ``torch.optim`` does, weight decay as an L2 term added to the
    gradient), mini-batches from a seeded shuffle. The weights are initialised like
    ``torch.nn.Linear`` (uniform in ``+-1/sqrt(fan_in)``) from a seeded generator, so
    a run depends only on its configuration and seed, and training for ``a`` epochs
    then ``b`` more gives exactly the same model as training ``a + b`` epochs at once.
    Used in lectures 9.1, 9.2 and 9.3.

    Parameters
    ----------
    data : DataSplit
        The data.
    seed : int
        Seed of the initialisation and of the shuffling.
    **config
        Hyper-parameters: ``optimizer`` ("sgd" or "adam"), ``lr``, ``batch_size``,
        ``num_hiddens``, ``num_layers``, ``weight_decay``, ``momentum`` (SGD only).
        Missing ones take the defaults ``adam, 1e-3, 128, 64, 1, 0, 0``.

    Attributes
    ----------
    val_accuracies : list of float
        Validation accuracy after each epoch trained so far.
    """

    @boundary(data=instance(DataSplit), seed="int >= 0")
    def __init__(self, data: DataSplit, seed: int = 0, **config: Any) -> None:
        unknown = set(config) - set(_MLP_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown hyper-parameters {sorted(unknown)}; known: "
                             f"{sorted(_MLP_DEFAULTS)}")
        cfg = {**_MLP_DEFAULTS, **config}
        if cfg["optimizer"] not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {cfg['optimizer']!r}")
        check_real("lr", cfg["lr"], low=0.0, low_inclusive=False)
        for name in ("weight_decay", "momentum"):
            check_real(name, cfg[name], low=0.0)
        if cfg["optimizer"] == "adam" and cfg["momentum"] != 0:
            raise ValueError("momentum applies to optimizer='sgd' only")
        check_int("batch_size", cfg["batch_size"], low=1)
        check_int("num_layers", cfg["num_layers"], low=0)
        check_int("num_hiddens", cfg["num_hiddens"], low=1)
        self.config = cfg
        self.data = data
        self.seed = seed
        self._gen = torch.Generator().manual_seed(self.seed)
        self.net = self._build()
        self._params = list(self.net.parameters())
        self._first = [torch.zeros_like(p) for p in self._params]   # momentum buffer / Adam m
        self._second = [torch.zeros_like(p) for p in self._params]  # Adam v
        self._steps = 0
        self.val_accuracies: list[float] = []

    def _update(self) -> None:
        """One optimiser step, computed as ``torch.optim.SGD`` / ``torch.optim.Adam`` do.

        Written out (instead of calling ``torch.optim``) to keep a trial cheap: the
        first use of ``torch.optim`` imports ``torch._dynamo``, about a second per process.
        Each line updates all the parameters at once with PyTorch's multi-tensor
        (``torch._foreach_*``) operations, the same element-wise arithmetic as one
        tensor at a time, with one Python call per step instead of one per tensor.
        """
        cfg = self.config
        lr, wd = float(cfg["lr"]), float(cfg["weight_decay"])
        self._steps += 1
        params, m, v = self._params, self._first, self._second
        with torch.no_grad():
            g = [p.grad for p in params]
            if wd != 0:
                g = torch._foreach_add(g, params, alpha=wd)
            if cfg["optimizer"] == "sgd":
                momentum = float(cfg["momentum"])
                if momentum != 0:
                    if self._steps == 1:
                        torch._foreach_copy_(m, g)
                    else:
                        torch._foreach_mul_(m, momentum)
                        torch._foreach_add_(m, g)
                    g = m
                torch._foreach_add_(params, g, alpha=-lr)
            else:
                beta1, beta2, eps = 0.9, 0.999, 1e-8
                torch._foreach_lerp_(m, g, 1 - beta1)
                torch._foreach_mul_(v, beta2)
                torch._foreach_addcmul_(v, g, g, value=1 - beta2)
                denom = torch._foreach_sqrt(v)
                torch._foreach_div_(denom, math.sqrt(1 - beta2**self._steps))
                torch._foreach_add_(denom, eps)
                torch._foreach_addcdiv_(params, m, denom, value=-lr / (1 - beta1**self._steps))
            for p in params:
                p.grad = None

    def _build(self) -> torch.nn.Sequential:
        sizes = ([self.data.X_train.shape[1]]
                 + [int(self.config["num_hiddens"])] * int(self.config["num_layers"]) + [10])
        layers: list[torch.nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
            layer = torch.nn.Linear(fan_in, fan_out, dtype=torch.float64)
            bound = 1 / math.sqrt(fan_in)
            with torch.no_grad():
                layer.weight.uniform_(-bound, bound, generator=self._gen)
                layer.bias.uniform_(-bound, bound, generator=self._gen)
            layers.append(layer)
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    @property
    def epochs_trained(self) -> int:
        """Number of epochs trained so far."""
        return len(self.val_accuracies)

    @boundary(num_epochs="int >= 1")
    def train_epochs(self, num_epochs: int) -> list[float]:
        """Train ``num_epochs`` more epochs; return the validation accuracy after each."""
        X, y = self.data.X_train, self.data.y_train
        batch_size = int(self.config["batch_size"])
        new = []
        for _ in range(num_epochs):
            self.net.train()
            order = torch.randperm(len(X), generator=self._gen)
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                loss = torch.nn.functional.cross_entropy(self.net(X[batch]), y[batch])
                loss.backward()
                self._update()
            new.append(self.evaluate("val"))
        self.val_accuracies.extend(new)
        return new

    @boundary(split=one_of(("train", "val", "test")))
    def evaluate(self, split: str = "val") -> float:
        """Accuracy of the current model on ``"train"``, ``"val"`` or ``"test"``."""
        X = getattr(self.data, f"X_{split}")
        y = getattr(self.data, f"y_{split}")
        self.net.eval()
        with torch.no_grad():
            return _accuracy(self.net(X), y)


def _budget_epochs(budget: object) -> int:
    b = check_real("budget", budget)
    if b < 1 or abs(b - round(b)) > 1e-9:
        raise ValueError(f"budget must be a whole number of epochs >= 1, got {budget}")
    return int(round(b))


class MLPObjective:
    """``f(config, budget)``: validation accuracy of :class:`MLPTrainer` after ``budget`` epochs.

    A multi-fidelity objective for :func:`successive_halving` and :func:`hyperband`
    (and, with a fixed budget, for the black-box searches). Trainers are cached
    per configuration and resumed, which gives *exactly* the value that training
    from scratch would (the trainer is deterministic), in less time; the searches
    still charge the from-scratch budget. ``epochs_trained`` counts the epochs
    actually run. Used in lectures 9.2 and 9.3.

    Parameters
    ----------
    data : DataSplit
        The data.
    seed : int
        Seed of every trainer.
    fixed : mapping, optional
        Hyper-parameters added to every configuration (e.g. ``{"optimizer": "sgd"}``).
    """

    @boundary(data=instance(DataSplit), seed="int >= 0")
    def __init__(self, data: DataSplit, seed: int = 0,
                 fixed: Mapping[str, Any] | None = None) -> None:
        self.data = data
        self.seed = seed
        self.fixed = dict(fixed or {})
        self._trainers: dict[tuple, MLPTrainer] = {}
        self.epochs_trained = 0

    def trainer(self, config: Mapping[str, Any]) -> MLPTrainer:
        """The cached trainer of ``config`` (created untrained on first use)."""
        full = {**self.fixed, **config}
        key = tuple(sorted(full.items()))
        if key not in self._trainers:
            self._trainers[key] = MLPTrainer(self.data, seed=self.seed, **full)
        return self._trainers[key]

    @boundary(config=instance(Mapping, what="a mapping"))
    def __call__(self, config: Mapping[str, Any], budget: float) -> float:
        epochs = _budget_epochs(budget)
        trainer = self.trainer(config)
        missing = epochs - trainer.epochs_trained
        if missing > 0:
            trainer.train_epochs(missing)
            self.epochs_trained += missing
        return trainer.val_accuracies[epochs - 1]


# --------------------------------------------------------------------------- Optuna bridge


@boundary(space=instance(SearchSpace))
def suggest_config(trial: Any, space: SearchSpace) -> dict[str, Any]:
    """Ask an Optuna trial for one configuration of ``space`` (define-by-run).

    Maps :class:`LogUniform` to ``suggest_float(log=True)``, :class:`Uniform` to
    ``suggest_float``, :class:`IntUniform` to ``suggest_int`` and
    :class:`Categorical` to ``suggest_categorical``, so that Optuna's samplers
    search the same space as this module's functions. Used in lecture 9.2.
    """
    config = {}
    for name, dim in space.items():
        if isinstance(dim, LogUniform):
            config[name] = trial.suggest_float(name, dim.low, dim.high, log=True)
        elif isinstance(dim, Uniform):
            config[name] = trial.suggest_float(name, dim.low, dim.high)
        elif isinstance(dim, IntUniform):
            config[name] = trial.suggest_int(name, dim.low, dim.high, log=dim.log)
        elif isinstance(dim, Categorical):
            config[name] = trial.suggest_categorical(name, list(dim.choices))
        else:
            raise TypeError(f"dimension {name!r} of type {type(dim).__name__} has no Optuna "
                            "equivalent")
    return config


def _optuna_objective_args(args: dict) -> None:
    """Check the arguments of :func:`optuna_mlp_objective`."""
    overlap = set(args["f"].fixed) & set(args["space"])
    if overlap:
        raise ValueError(f"hyper-parameters both fixed and searched: {sorted(overlap)}")


@boundary(f=instance(MLPObjective), space=instance(SearchSpace), num_epochs="int >= 1",
          check=_optuna_objective_args)
def optuna_mlp_objective(f: MLPObjective, space: SearchSpace, num_epochs: int, *,
                         prune: bool = True) -> Callable[[Any], float]:
    """An Optuna objective that trains the MLP of ``f`` and reports every epoch.

    The returned ``objective(trial)`` draws a configuration with
    :func:`suggest_config`, trains it for up to ``num_epochs`` epochs through ``f``,
    reports the validation accuracy after each epoch with ``trial.report`` (the
    intermediate values a pruner compares) and stops early with ``optuna.TrialPruned``
    when ``trial.should_prune()`` says so. With ``prune=False`` it reports nothing (each
    report is a write to the study's storage) and trains every trial fully. The number
    of epochs charged, as if the trial had trained from scratch, is stored as the
    trial's user attribute ``"epochs"``, so that the compute of a study can be added up
    even across processes. ``f`` caches a trainer per configuration, so a configuration
    drawn again (in this study or in another one using the same ``f``) resumes with
    exactly the values of a fresh run. Used in lecture 9.2.

    Parameters
    ----------
    f : MLPObjective
        The data, seed and fixed hyper-parameters, and the cache of trainers.
    space : SearchSpace
        The hyper-parameters searched (none of them fixed in ``f``).
    num_epochs : int
        Maximum epochs of a trial.
    prune : bool
        Whether to report each epoch and ask the study's pruner.
    """
    import optuna

    def objective(trial: Any) -> float:
        config = suggest_config(trial, space)
        for epoch in range(1, num_epochs + 1):
            accuracy = f(config, epoch)
            if prune:
                trial.report(accuracy, epoch)
                if trial.should_prune():
                    trial.set_user_attr("epochs", epoch)
                    raise optuna.TrialPruned()
        trial.set_user_attr("epochs", num_epochs)
        return accuracy

    return objective


def optuna_worker(storage: str, study_name: str, worker: int, num_trials: int,
                  data: DataSplit, space: SearchSpace, num_epochs: int, *,
                  fixed: Mapping[str, Any] | None = None) -> None:
    """One worker of a shared Optuna study: join it and run ``num_trials`` TPE trials.

    Meant to run in its own process, several at once, all pointed at the same
    ``storage`` (a database URL such as ``sqlite:///study.db``). It loads the study
    (``load_if_exists=True``: whoever comes first creates it), asks its own TPE
    sampler, seeded with ``worker``, for configurations (the sampler sees every
    trial stored so far, whichever worker ran it), trains each with
    :func:`optuna_mlp_objective` without pruning, and writes the result back.
    Each trial records ``worker`` and the process id as user attributes. A plain
    function of picklable arguments, so that ``multiprocessing`` can start it with
    either the ``fork`` or the ``spawn`` method. Used in lecture 9.2.
    """
    import os

    import optuna

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective = optuna_mlp_objective(MLPObjective(data, fixed=fixed), space, num_epochs,
                                     prune=False)

    def tagged(trial: Any) -> float:
        trial.set_user_attr("worker", int(worker))
        trial.set_user_attr("pid", os.getpid())
        return objective(trial)

    study = optuna.create_study(
        storage=storage, study_name=study_name, direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=int(worker)), load_if_exists=True)
    study.optimize(tagged, n_trials=int(num_trials))
