"""Learning without labels and learning from rewards: k-means, kernel density, Q-learning.

Used in lecture 3.1 (machine learning in 8 minutes), which shows each kind of
learning on a small example. Written from scratch on NumPy:

- :func:`kmeans` -- clustering by Lloyd's algorithm with k-means++ starts
  (unsupervised learning: groups without labels).
- :func:`fit_kde` and :class:`GaussianKDE` -- a Gaussian kernel density estimate
  with Scott's or Silverman's bandwidth, which evaluates the density (to flag
  low-density points as anomalies) and draws new samples from it (a tiny
  generative model). It reproduces ``scipy.stats.gaussian_kde``.
- :class:`Corridor`, :func:`q_learning`, :func:`value_iteration` and
  :func:`greedy_policy` -- reinforcement learning: an agent walks a corridor with a
  small reward at one end and a large one at the other, and learns by trial and
  error which way to go; value iteration computes the optimal answer to check it.

Self-training, the semi-supervised method of lecture 3.1, lives in
:func:`helpers.labeling.self_training` (lecture 1.4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from sklearn.utils._param_validation import HasMethods, Interval

from helpers.checks import boundary, check_int, check_matrix, check_real, one_of, with_options

__all__ = [
    "Corridor",
    "GaussianKDE",
    "KMeansResult",
    "QLearningResult",
    "fit_kde",
    "greedy_policy",
    "kmeans",
    "kmeans_plus_plus",
    "lloyd",
    "q_learning",
    "value_iteration",
]


# --------------------------------------------------------------------------- validation


# A finite float array of shape (n, d); a 1-D input is n points in 1 dimension.
_as_points = with_options(check_matrix, one_d="column")


COUNT = [Interval(Integral, 1, None, closed="left")]
"""Constraint of a count argument (an int >= 1), for :func:`helpers.checks.boundary`."""


def _k_at_most_n(args: dict) -> None:
    if args["k"] > len(args["X"]):
        raise ValueError(f"k = {args['k']} clusters need at least {args['k']} points, "
                         f"got {len(args['X'])}")


# --------------------------------------------------------------------------- k-means


@dataclass
class KMeansResult:
    """What :func:`kmeans` returns. Used in lecture 3.1.

    Attributes
    ----------
    centers : numpy.ndarray
        ``(k, d)`` cluster centres (the mean of each cluster's points).
    labels : numpy.ndarray of int
        ``(n,)`` index of the nearest centre of every point.
    inertia : float
        Sum of squared distances of the points to their centres (the objective).
    n_iter : int
        Lloyd iterations of the best run.
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int


def _squared_distances(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """``(n, k)`` squared Euclidean distances ``|x - c|^2``, from the differences.

    ``scipy.spatial.distance.cdist`` subtracts first; the expansion
    ``|x|^2 - 2 x.c + |c|^2`` would cancel catastrophically far from the origin.
    """
    return cdist(X, C, "sqeuclidean")


@boundary(X=_as_points, k=COUNT, rng="rng", check=_k_at_most_n)
def kmeans_plus_plus(X: object, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ starting centres: each next centre is a data point drawn with
    probability proportional to its squared distance to the nearest centre so far.

    Spreads the starts over the data, which makes a bad local optimum of Lloyd's
    algorithm less likely (Arthur and Vassilvitskii, 2007). Used in lecture 3.1.

    Parameters
    ----------
    X : array-like
        ``(n, d)`` points.
    k : int
        Number of centres (``1 <= k <= n``).
    rng : numpy.random.Generator
        Source of the random draws.

    Returns
    -------
    numpy.ndarray
        ``(k, d)`` centres, rows of ``X``.
    """
    centers = [X[rng.integers(len(X))]]
    closest = _squared_distances(X, centers[0][None, :])[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        if total == 0:  # fewer distinct points than k: take any point
            idx = int(rng.integers(len(X)))
        else:
            idx = int(rng.choice(len(X), p=closest / total))
        centers.append(X[idx])
        closest = np.minimum(closest, _squared_distances(X, X[idx][None, :])[:, 0])
    return np.array(centers)


def lloyd(X: np.ndarray, centers: np.ndarray, max_iter: int) -> KMeansResult:
    """Lloyd's algorithm from the starting ``centers``: assign, move, until stable.

    The inner loop of :func:`kmeans` (which checks the arguments and restarts it from
    k-means++ starts); an empty cluster restarts at the point worst served by its
    centre. Used in lecture 3.1.

    Parameters
    ----------
    X : numpy.ndarray
        ``(n, d)`` finite points.
    centers : numpy.ndarray
        ``(k, d)`` starting centres (copied, not modified).
    max_iter : int
        Maximum number of iterations.

    Returns
    -------
    KMeansResult
    """
    centers = centers.copy()
    labels = None
    for it in range(1, max_iter + 1):
        d2 = _squared_distances(X, centers)
        new_labels = d2.argmin(axis=1)
        if labels is not None and np.array_equal(new_labels, labels):
            return KMeansResult(centers, labels, float(d2.min(axis=1).sum()), it - 1)
        labels = new_labels
        for j in range(len(centers)):
            members = labels == j
            if members.any():
                centers[j] = X[members].mean(axis=0)
            else:  # an empty cluster restarts at the point worst served by its centre
                far = int(d2[np.arange(len(X)), labels].argmax())
                centers[j] = X[far]
    d2 = _squared_distances(X, centers)
    labels = d2.argmin(axis=1)
    return KMeansResult(centers, labels, float(d2.min(axis=1).sum()), max_iter)


def _kmeans_args(args: dict) -> None:
    _k_at_most_n(args)
    init, shape = args["init"], (args["k"], args["X"].shape[1])
    if init is not None:
        args["init"] = init = _as_points("init", init)
        if init.shape != shape:
            raise ValueError(f"init must have shape {shape}, got {init.shape}")
    elif args["rng"] is None:
        raise TypeError("rng must be a numpy.random.Generator or an int seed when init "
                        "is not given")


@boundary(X=_as_points, k=COUNT, rng="rng or None", n_init=COUNT, max_iter=COUNT,
          check=_kmeans_args)
def kmeans(X: object, k: int, rng: np.random.Generator | None = None, *, n_init: int = 10,
           max_iter: int = 300, init: object | None = None) -> KMeansResult:
    """Cluster ``X`` into ``k`` groups with Lloyd's algorithm (k-means).

    Alternates two steps that both lower the inertia ``sum_i |x_i - c_{label_i}|^2``:
    assign every point to its nearest centre, then move every centre to the mean of
    its points; stops when no assignment changes. The result depends on the start,
    so it runs ``n_init`` times from :func:`kmeans_plus_plus` starts and keeps the
    run with the lowest inertia. Features are compared by Euclidean distance:
    standardise them first. Used in lecture 3.1.

    Parameters
    ----------
    X : array-like
        ``(n, d)`` points.
    k : int
        Number of clusters (``1 <= k <= n``).
    rng : numpy.random.Generator
        Randomness of the k-means++ starts (not needed when ``init`` is given).
    n_init : int
        Number of starts (ignored when ``init`` is given).
    max_iter : int
        Maximum Lloyd iterations per start.
    init : array-like, optional
        ``(k, d)`` starting centres for a single run.

    Returns
    -------
    KMeansResult
        Centres, labels, inertia and number of iterations of the best run.
    """
    if init is not None:
        return lloyd(X, init, max_iter)
    runs = [lloyd(X, kmeans_plus_plus(X, k, rng), max_iter) for _ in range(n_init)]
    return min(runs, key=lambda r: r.inertia)


# ---------------------------------------------------------------- kernel density estimation


@dataclass(frozen=True)
class GaussianKDE:
    """A fitted Gaussian kernel density estimate (see :func:`fit_kde`). Used in lecture 3.1.

    ``p(x) = (1/n) sum_i N(x; x_i, H)``: a Gaussian bump of covariance ``H`` on every
    data point.

    Attributes
    ----------
    data : numpy.ndarray
        ``(n, d)`` the points the density was fitted on.
    bandwidth : numpy.ndarray
        ``(d, d)`` the kernel covariance ``H = factor^2 * Cov(data)``.
    factor : float
        The bandwidth factor (Scott: ``n^(-1/(d+4))``).
    """

    data: np.ndarray
    bandwidth: np.ndarray
    factor: float

    @property
    def dim(self) -> int:
        """Number of dimensions ``d``."""
        return self.data.shape[1]

    def log_density(self, points: object) -> np.ndarray:
        """``log p(x)`` at each of ``(m, d)`` points (1-D input: ``m`` points when ``d = 1``)."""
        points = _as_points("points", points)
        if points.shape[1] != self.dim:
            raise ValueError(f"points have {points.shape[1]} dimensions, the density {self.dim}")
        chol = np.linalg.cholesky(self.bandwidth)
        # centre on the data's mean (no cancellation far from the origin), then whiten:
        # z = L^{-1} (x - x_i), so that the kernel is a standard normal in z
        centre = self.data.mean(axis=0)
        z_points = np.linalg.solve(chol, (points - centre).T).T
        z_data = np.linalg.solve(chol, (self.data - centre).T).T
        d2 = _squared_distances(z_points, z_data)
        log_norm = (-0.5 * self.dim * math.log(2 * math.pi)
                    - np.log(np.diag(chol)).sum() - math.log(len(self.data)))
        return logsumexp(-0.5 * d2, axis=1) + log_norm

    def density(self, points: object) -> np.ndarray:
        """``p(x)`` at each point."""
        return np.exp(self.log_density(points))

    @boundary(n="int >= 1", rng="rng")
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new points from the density with the generator ``rng``: pick a data
        point at random, add kernel noise ``N(0, H)``. Returns an ``(n, d)`` array."""
        picks = rng.integers(len(self.data), size=n)
        noise = rng.standard_normal((n, self.dim)) @ np.linalg.cholesky(self.bandwidth).T
        return self.data[picks] + noise


def _bandwidth(name: str, bandwidth: object) -> str | float:
    if isinstance(bandwidth, str):
        if bandwidth not in ("scott", "silverman"):
            raise ValueError(f"{name} must be 'scott', 'silverman' or a number, got "
                             f"{bandwidth!r}")
        return bandwidth
    return check_real(name, bandwidth, low=0.0, low_inclusive=False)


def _two_points(args: dict) -> None:
    if len(args["X"]) < 2:
        raise ValueError("a density estimate needs at least 2 points")


@boundary(X=_as_points, bandwidth=_bandwidth, check=_two_points)
def fit_kde(X: object, bandwidth: str | float = "scott") -> GaussianKDE:
    """Fit a Gaussian kernel density estimate to ``X``.

    Density estimation asks how dense the data are in every region: it estimates the
    probability density ``p(x)`` that generated the points. The kernel estimate puts
    a Gaussian bump of covariance ``H = factor^2 * Cov(X)`` on every point and
    averages them. The bandwidth factor trades smoothness for detail: ``"scott"``
    (``n^(-1/(d+4))``), ``"silverman"`` (``(n (d+2) / 4)^(-1/(d+4))``) or a number.
    Same conventions and results as ``scipy.stats.gaussian_kde``. Used in lecture 3.1.

    Parameters
    ----------
    X : array-like
        ``(n, d)`` points, or ``(n,)`` for one dimension; at least 2 points, not all
        on a line (the covariance must be invertible).
    bandwidth : {"scott", "silverman"} or float
        The bandwidth factor.

    Returns
    -------
    GaussianKDE
        The fitted density, with ``log_density``, ``density`` and ``sample``.
    """
    n, d = X.shape
    rules = {"scott": n ** (-1 / (d + 4)), "silverman": (n * (d + 2) / 4) ** (-1 / (d + 4))}
    factor = rules.get(bandwidth, bandwidth)   # a rule's name, or the factor itself
    cov = np.atleast_2d(np.cov(X, rowvar=False))
    if np.linalg.matrix_rank(cov) < d:
        raise ValueError("the covariance of X is singular (a constant or collinear column); "
                         "drop that column")
    return GaussianKDE(data=X.copy(), bandwidth=factor ** 2 * cov, factor=float(factor))


# --------------------------------------------------------------------------- reinforcement learning


def _step_args(args: dict) -> None:
    """Check and convert the arguments of :meth:`Corridor.step` (in place)."""
    corridor = args["self"]
    state = args["state"]
    if state >= corridor.length or corridor.is_terminal(state):
        raise ValueError(f"state must be an inner cell in [1, {corridor.length - 2}], "
                         f"got {state}")


@dataclass(frozen=True)
class Corridor:
    """A one-dimensional world for reinforcement learning. Used in lecture 3.1.

    Cells ``0 .. length - 1``; the agent starts in cell ``start`` and moves left
    (action 0) or right (action 1). The two end cells are terminal: stepping into cell
    0 pays ``left_reward``, into the last cell ``right_reward``. Every other move pays
    ``step_reward`` (a small cost when negative). With a small reward close by and a
    big one far away, the agent must learn by trial and error that the long walk is
    worth it.

    Attributes
    ----------
    length, start : int
        Number of cells (at least 3) and the start cell (not an end).
    left_reward, right_reward, step_reward : float
        Rewards of the two ends and of every other move.
    """

    length: int = 7
    start: int = 1
    left_reward: float = 1.0
    right_reward: float = 10.0
    step_reward: float = -0.1

    def __post_init__(self) -> None:
        check_int("length", self.length, low=3)
        check_int("start", self.start, low=1, high=self.length - 2)  # an inner cell
        for name in ("left_reward", "right_reward", "step_reward"):
            check_real(name, getattr(self, name))

    num_actions: int = field(default=2, init=False)
    """Two actions: 0 = left, 1 = right."""

    @property
    def num_states(self) -> int:
        """Number of cells."""
        return self.length

    def is_terminal(self, state: int) -> bool:
        """Whether ``state`` is one of the two end cells."""
        return state == 0 or state == self.length - 1

    @boundary(state="int >= 0", action=one_of((0, 1)), check=_step_args)  # 0 left, 1 right
    def step(self, state: int, action: int) -> tuple[int, float, bool]:
        """Move from ``state`` by ``action``; return ``(next_state, reward, done)``."""
        nxt = state - 1 if action == 0 else state + 1
        if nxt == 0:
            return nxt, self.left_reward, True
        if nxt == self.length - 1:
            return nxt, self.right_reward, True
        return nxt, self.step_reward, False


@dataclass
class QLearningResult:
    """What :func:`q_learning` returns. Used in lecture 3.1.

    Attributes
    ----------
    q : numpy.ndarray
        ``(num_states, num_actions)`` learned action values (0 in terminal states).
    returns : numpy.ndarray
        Total (undiscounted) reward of every episode.
    steps : numpy.ndarray of int
        Number of moves of every episode.
    """

    q: np.ndarray
    returns: np.ndarray
    steps: np.ndarray


def _argmax_random_ties(values: np.ndarray, rng: np.random.Generator) -> int:
    best = np.flatnonzero(values == values.max())
    return int(best[0] if len(best) == 1 else rng.choice(best))


def _per_episode(args: dict) -> None:
    """``epsilon`` as one exploration probability per episode."""
    epsilon, n = args["epsilon"], args["num_episodes"]
    if isinstance(epsilon, Real) and not isinstance(epsilon, bool):
        epsilon = [check_real("epsilon", epsilon, low=0.0, high=1.0)] * n
    epsilon = np.asarray(epsilon, dtype=float)
    if epsilon.shape != (n,):
        raise ValueError(f"epsilon must be a number or one value per episode ({n}), got "
                         f"shape {epsilon.shape}")
    if not ((epsilon >= 0) & (epsilon <= 1)).all():
        raise ValueError("every epsilon must lie in [0, 1]")
    args["epsilon"] = epsilon


@boundary(env=[HasMethods(["step"])], rng="rng", num_episodes=COUNT,
          alpha=[Interval(Real, 0, 1, closed="right")],
          gamma=[Interval(Real, 0, 1, closed="both")], max_steps=COUNT, check=_per_episode)
def q_learning(env: Corridor, rng: np.random.Generator, *, num_episodes: int,
               alpha: float = 0.1, gamma: float = 0.9,
               epsilon: float | Sequence[float] = 0.1, max_steps: int = 100) -> QLearningResult:
    """Tabular Q-learning with an epsilon-greedy agent (Watkins and Dayan, 1992).

    ``Q(s, a)`` estimates the discounted total reward of taking action ``a`` in state
    ``s`` and acting well afterwards. In every step the agent explores (a random
    action) with probability ``epsilon`` and otherwise exploits (the action of
    largest ``Q``, ties broken at random), observes the reward ``r`` and the next
    state ``s'``, and moves ``Q(s, a)`` a fraction ``alpha`` towards
    ``r + gamma * max_a' Q(s', a')`` (just ``r`` when ``s'`` is terminal). No model of
    the environment is used: only the rewards it returns. Used in lecture 3.1.

    Parameters
    ----------
    env : Corridor
        The environment (anything with ``num_states``, ``num_actions``, ``start``
        and ``step(state, action)``).
    rng : numpy.random.Generator
        Randomness of the exploration and of the tie-breaking.
    num_episodes : int
        Episodes to play, each from ``env.start`` until a terminal state or ``max_steps``.
    alpha : float in (0, 1]
        Learning rate of the updates.
    gamma : float in [0, 1]
        Discount factor: a reward ``t`` steps ahead counts ``gamma^t``.
    epsilon : float in [0, 1], or a sequence of them
        Exploration probability; a sequence gives one per episode (e.g. decaying from 1:
        explore first, exploit later).
    max_steps : int
        Cap on the length of an episode.

    Returns
    -------
    QLearningResult
        The action values and the reward and length of every episode.
    """
    q = np.zeros((env.num_states, env.num_actions))
    returns = np.zeros(num_episodes)
    steps = np.zeros(num_episodes, dtype=int)
    for episode in range(num_episodes):
        state, total, t = env.start, 0.0, 0
        done = False
        while not done and t < max_steps:
            if rng.random() < epsilon[episode]:     # one epsilon per episode
                action = int(rng.integers(env.num_actions))
            else:
                action = _argmax_random_ties(q[state], rng)
            nxt, reward, done = env.step(state, action)
            target = reward if done else reward + gamma * q[nxt].max()
            q[state, action] += alpha * (target - q[state, action])
            state, total, t = nxt, total + reward, t + 1
        returns[episode], steps[episode] = total, t
    return QLearningResult(q=q, returns=returns, steps=steps)


@boundary(gamma="real in [0.0, 1.0)",
          tol="real > 0.0", max_iter="int >= 1")
def value_iteration(env: Corridor, gamma: float = 0.9, tol: float = 1e-10,
                    max_iter: int = 10_000) -> np.ndarray:
    """The optimal action values ``Q*`` of a known environment, by dynamic programming.

    Repeats ``Q(s, a) <- r(s, a) + gamma * max_a' Q(s', a')`` (the Bellman optimality
    update, using the environment's ``step`` as its model) until no value changes by
    more than ``tol``. The reference that Q-learning, which only sees rewards, should
    approach. Used in lecture 3.1.

    Returns
    -------
    numpy.ndarray
        ``(num_states, num_actions)`` optimal action values (0 in terminal states).
    """
    q = np.zeros((env.num_states, env.num_actions))
    inner = [s for s in range(env.num_states) if not env.is_terminal(s)]
    for _ in range(max_iter):
        new = np.zeros_like(q)
        for s in inner:
            for a in range(env.num_actions):
                nxt, reward, done = env.step(s, a)
                new[s, a] = reward if done else reward + gamma * q[nxt].max()
        change = np.abs(new - q).max()
        q = new
        if change <= tol:
            return q
    raise RuntimeError(f"value iteration did not converge in {max_iter} iterations")


def greedy_policy(q: object) -> np.ndarray:
    """The action of largest value in every state, ``argmax_a Q(s, a)`` (first on ties).

    Used in lecture 3.1.
    """
    q = np.asarray(q, dtype=float)
    if q.ndim != 2 or q.size == 0:
        raise ValueError(f"q must be a non-empty (num_states, num_actions) array, got {q.shape}")
    if np.isnan(q).any():
        raise ValueError("q contains NaN")
    return q.argmax(axis=1)
