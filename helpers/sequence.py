"""Sequence data and recurrent neural networks: from-scratch RNN, padding, language models.

Used in lecture 3.7. The pieces:

- text to integers: :func:`tokenize_words`, :class:`Vocab`, :func:`library_docstrings`
  (a real, offline text corpus: the docstrings of installed libraries);
- batches of sequences: :func:`pad_sequences` (variable-length sequences to one
  length) and :func:`lm_windows` (a long token stream cut into ``(input, target)``
  windows for next-token prediction);
- the recurrent layer from scratch: :func:`rnn_cell` and :class:`RNNScratch`, which
  computes ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)`` over an input of shape
  ``(num_steps, batch_size, num_inputs)`` exactly like ``torch.nn.RNN``;
- a character-level language model (:class:`RNNLM`, with a plain RNN, GRU or LSTM
  layer), a small training loop with gradient clipping (:func:`train_lm`) and the
  n-gram baselines it is compared with (:func:`ngram_cross_entropy`).

Shapes follow ``torch.nn.RNN`` (``batch_first=False``): sequences are *time-major*,
``(num_steps, batch_size, ...)``; token-id batches handed to :class:`RNNLM` are
``(batch_size, num_steps)`` and transposed inside.
"""

from __future__ import annotations

import inspect
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from types import ModuleType

import numpy as np
import torch
from torch import nn

from helpers.checks import boundary, check_positive_int, check_tensor, instance, one_of
from helpers.sgd import data_iter

__all__ = [
    "LMHistory",
    "RNNLM",
    "RNNScratch",
    "Vocab",
    "clip_gradients",
    "evaluate_lm",
    "library_docstrings",
    "lm_windows",
    "ngram_cross_entropy",
    "pad_sequences",
    "rnn_cell",
    "tokenize_words",
    "train_lm",
]

CELL_TYPES = ("rnn", "gru", "lstm")


# --------------------------------------------------------------------------- validation


def _check_ids(name: str, ids: object) -> torch.Tensor:
    """A non-empty 1-D stream of integer token ids as a LongTensor."""
    tensor = ids if isinstance(ids, torch.Tensor) else torch.as_tensor(np.asarray(ids))
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty")
    check_tensor(name, tensor, ndim=1, dtype="int")
    if tensor.min() < 0:
        raise ValueError(f"{name} holds negative token ids")
    return tensor.long()


# --------------------------------------------------------------------------- text


@boundary(text="str")
def tokenize_words(text: str) -> list[str]:
    """Split text into lower-case words, dropping punctuation.

    A word is a maximal run of letters, digits and apostrophes, so
    ``"Great film, I'd watch it!"`` gives ``['great', 'film', "i'd", 'watch', 'it']``.
    Used in lecture 3.7.
    """
    return re.findall(r"[a-z0-9']+", text.lower())


class Vocab:
    """A vocabulary: a bijection between tokens and the integers ``0 .. len(vocab) - 1``.

    The reserved tokens come first (by default ``<pad>`` = 0 and ``<unk>`` = 1), then
    the tokens that occur at least ``min_freq`` times, most frequent first, ties in
    sorted order, so the numbering is deterministic. Unknown tokens map to ``<unk>``.
    Used in lecture 3.7.

    Parameters
    ----------
    tokens : iterable of str
        The tokens of the corpus (words or characters), with repetitions.
    min_freq : int
        Tokens rarer than this map to ``<unk>``.
    reserved : sequence of str
        Special tokens placed first; must contain ``"<unk>"``.
    """

    @boundary(min_freq="int >= 1")
    def __init__(self, tokens: Iterable[str], min_freq: int = 1,
                 reserved: Sequence[str] = ("<pad>", "<unk>")) -> None:
        reserved = list(reserved)
        if "<unk>" not in reserved:
            raise ValueError("reserved must contain '<unk>' (the id of unknown tokens)")
        if len(set(reserved)) != len(reserved):
            raise ValueError(f"reserved tokens must be distinct, got {reserved}")
        counts = Counter(tokens)
        if any(not isinstance(t, str) for t in counts):
            raise TypeError("tokens must be strings")
        frequent = sorted((t for t, c in counts.items() if c >= min_freq and t not in reserved),
                          key=lambda t: (-counts[t], t))
        self.idx_to_token: list[str] = reserved + frequent
        self.token_to_idx: dict[str, int] = {t: i for i, t in enumerate(self.idx_to_token)}
        self.counts = counts
        self.unk = self.token_to_idx["<unk>"]

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens: str | Sequence[str]) -> int | list[int]:
        """Id of one token, or the list of ids of a sequence of tokens."""
        if isinstance(tokens, str):
            return self.token_to_idx.get(tokens, self.unk)
        return [self[t] for t in tokens]

    def to_tokens(self, ids: int | Sequence[int]) -> str | list[str]:
        """Token of one id, or the list of tokens of a sequence of ids."""
        if isinstance(ids, torch.Tensor | np.ndarray):
            ids = ids.tolist()
        if isinstance(ids, Integral) and not isinstance(ids, bool | np.bool_):
            ids = int(ids)
            if not 0 <= ids < len(self):
                raise ValueError(f"id {ids} is outside the vocabulary of size {len(self)}")
            return self.idx_to_token[ids]
        return [self.to_tokens(int(i)) for i in ids]


# A set of strings printed into a docstring (e.g. by a deprecation decorator): its
# order depends on Python's hash seed, so it is put in sorted order.
_SET_OF_STRINGS = re.compile(r"\{('[^'{}]*'(?:, '[^'{}]*')+)\}")


def _sorted_set(match: re.Match) -> str:
    return "{" + ", ".join(sorted(re.findall(r"'[^']*'", match.group(1)))) + "}"


def _modules_args(args: dict) -> None:
    if not args["modules"]:
        raise ValueError("give at least one module")
    for module in args["modules"]:
        instance(ModuleType, what="a module")("modules", module)


@boundary(check=_modules_args)
def library_docstrings(*modules: ModuleType) -> list[str]:
    """A real text corpus that ships with Python: the docstrings of libraries' functions.

    Takes the public functions (and NumPy ufuncs) of each module, in the order given and
    alphabetically within a module, keeps the descriptive part of each docstring
    (everything before a numpydoc ``Parameters`` or ``Examples`` section) and drops
    duplicates (aliases share a docstring). Sets of strings printed inside a docstring
    are sorted, so the corpus is the same for every hash seed. Deterministic for
    given library versions.
    Used in lecture 3.7.

    Parameters
    ----------
    *modules : module
        For example ``numpy, scipy.stats``.

    Returns
    -------
    list of str
        One text per documented function.
    """
    seen: set[str] = set()
    docs: list[str] = []
    for module in modules:
        for name in sorted(n for n in dir(module) if not n.startswith("_")):
            obj = getattr(module, name, None)
            if not (inspect.isroutine(obj) or isinstance(obj, np.ufunc)):
                continue
            doc = inspect.getdoc(obj)
            if not doc:
                continue
            doc = re.split(r"\n(?:Parameters|Examples)\n-+\n", doc)[0].strip()
            doc = _SET_OF_STRINGS.sub(_sorted_set, doc)
            if doc and doc not in seen:
                seen.add(doc)
                docs.append(doc)
    if not docs:
        raise ValueError("the modules have no documented public functions")
    return docs


# --------------------------------------------------------------------------- batches


def _pad_sequences_args(args: dict) -> None:
    """Check and convert the arguments of :func:`pad_sequences` (in place); every
    sequence becomes a LongTensor."""
    num_steps = args["num_steps"]
    sequences = args["sequences"]
    if isinstance(sequences, str | bytes) or len(sequences) == 0:
        raise ValueError("sequences must be a non-empty list of token-id sequences")
    checked = []
    for i, seq in enumerate(sequences):
        ids = _check_ids(f"sequences[{i}]", list(seq) if not isinstance(seq, torch.Tensor)
                         else seq)
        if len(ids) > num_steps and not args["truncate"]:
            raise ValueError(f"sequences[{i}] has {len(ids)} tokens, more than num_steps="
                             f"{num_steps}; raise num_steps or pass truncate=True")
        checked.append(ids)
    args["sequences"] = checked


@boundary(num_steps="int >= 1", pad_id="int >= 0", check=_pad_sequences_args)
def pad_sequences(sequences: Sequence[Sequence[int]], num_steps: int, pad_id: int = 0,
                  truncate: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Bring sequences of different lengths to one length ``num_steps`` with a pad token.

    Short sequences are padded at the end with ``pad_id``; a sequence longer than
    ``num_steps`` raises unless ``truncate=True`` (then it is cut). Used in lecture 3.7.

    Parameters
    ----------
    sequences : sequence of sequences of int
        Token ids, one sequence per example; none may be empty.
    num_steps : int
        The common length.
    pad_id : int
        Id of the ``<pad>`` token.
    truncate : bool
        Cut sequences longer than ``num_steps`` instead of raising.

    Returns
    -------
    padded : torch.Tensor
        ``(len(sequences), num_steps)`` int64 ids (batch-major: transpose for ``nn.RNN``).
    valid_lens : torch.Tensor
        ``(len(sequences),)`` number of real (non-pad) tokens of each row.
    """
    padded = torch.full((len(sequences), num_steps), pad_id, dtype=torch.long)
    valid_lens = torch.empty(len(sequences), dtype=torch.long)
    for i, ids in enumerate(sequences):
        ids = ids[:num_steps]                  # longer ones only when truncate=True
        padded[i, :len(ids)] = ids
        valid_lens[i] = len(ids)
    return padded, valid_lens


def _lm_windows_args(args: dict) -> None:
    """Check and convert the arguments of :func:`lm_windows` (in place)."""
    ids = args["ids"] = _check_ids("ids", args["ids"])
    num_steps = args["num_steps"]
    if len(ids) - 1 < num_steps:
        raise ValueError(f"a stream of {len(ids)} tokens is too short for one window of "
                         f"num_steps={num_steps} (needs num_steps + 1 tokens)")


@boundary(num_steps="int >= 1", check=_lm_windows_args)
def lm_windows(ids: Sequence[int] | torch.Tensor,
               num_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut a token stream into non-overlapping windows for next-token prediction.

    Window ``i`` reads ``ids[i*num_steps : (i+1)*num_steps]`` and its targets are the
    same positions shifted by one, ``ids[i*num_steps + 1 : (i+1)*num_steps + 1]``. Every
    position of the stream is predicted exactly once, except the first one (it has no
    past) and a tail of fewer than ``num_steps`` tokens that does not fill a window.
    Used in lecture 3.7.

    Parameters
    ----------
    ids : sequence of int or 1-D tensor
        The token stream.
    num_steps : int
        Window length (the number of time steps the RNN is unrolled for).

    Returns
    -------
    X, Y : torch.Tensor
        ``(num_windows, num_steps)`` inputs and targets, ``num_windows = (len(ids) - 1)
        // num_steps``.
    """
    num_windows = (len(ids) - 1) // num_steps
    end = num_windows * num_steps
    X = ids[:end].reshape(num_windows, num_steps)
    Y = ids[1:end + 1].reshape(num_windows, num_steps)
    return X, Y


# --------------------------------------------------------------------------- RNN from scratch


def rnn_cell(x: torch.Tensor, h: torch.Tensor, W_xh: torch.Tensor, W_hh: torch.Tensor,
             b_h: torch.Tensor) -> torch.Tensor:
    """One time step of a simple RNN: ``h_new = tanh(x W_xh + h W_hh + b_h)``.

    Equivalently ``tanh([x, h] [W_xh; W_hh] + b_h)``: the current input and the previous
    state are concatenated and pass through one dense layer. Used in lecture 3.7.

    Parameters
    ----------
    x : torch.Tensor
        ``(batch_size, num_inputs)`` inputs of this time step.
    h : torch.Tensor
        ``(batch_size, num_hiddens)`` previous hidden state.
    W_xh, W_hh, b_h : torch.Tensor
        ``(num_inputs, num_hiddens)``, ``(num_hiddens, num_hiddens)``, ``(num_hiddens,)``.

    Returns
    -------
    torch.Tensor
        ``(batch_size, num_hiddens)`` new hidden state.
    """
    return torch.tanh(x @ W_xh + h @ W_hh + b_h)


def _rnn_scratch_args(args: dict) -> None:
    """Check the inputs given to :meth:`RNNScratch.forward`: finite float tensors of the
    weights' dtype, ``X`` of shape (num_steps, batch_size, num_inputs)."""
    rnn, X, state = args["self"], args["X"], args["state"]
    if X.shape[2] != rnn.num_inputs:
        raise ValueError(f"X has {X.shape[2]} inputs per step, the RNN expects "
                         f"num_inputs={rnn.num_inputs}")
    if X.dtype != rnn.W_xh.dtype:
        raise TypeError(f"X has dtype {X.dtype}, the RNN's weights {rnn.W_xh.dtype}")
    if state is not None and (state.shape != (X.shape[1], rnn.num_hiddens)
                              or state.dtype != X.dtype):
        raise ValueError(f"state must have shape (batch_size, num_hiddens) = "
                         f"{(X.shape[1], rnn.num_hiddens)} and dtype {X.dtype}, got "
                         f"{tuple(state.shape)} and {state.dtype}")


class RNNScratch(nn.Module):
    """A single-layer tanh RNN written out by hand, with the interface of ``nn.RNN``.

    ``forward`` loops over the time steps of an input of shape ``(num_steps,
    batch_size, num_inputs)`` and applies :func:`rnn_cell`, carrying the hidden state
    from one step to the next. Initialised like ``nn.RNN`` (uniform on
    ``[-1/sqrt(num_hiddens), 1/sqrt(num_hiddens)]``, one bias instead of PyTorch's two).
    Used in lecture 3.7.

    Parameters
    ----------
    num_inputs : int
        Size of each input vector.
    num_hiddens : int
        Size of the hidden state.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, num_inputs: int, num_hiddens: int,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.num_inputs = check_positive_int("num_inputs", num_inputs)
        self.num_hiddens = check_positive_int("num_hiddens", num_hiddens)
        bound = 1 / math.sqrt(num_hiddens)

        def uniform(*shape: int) -> nn.Parameter:
            return nn.Parameter((torch.rand(*shape, generator=generator) * 2 - 1) * bound)

        self.W_xh = uniform(num_inputs, num_hiddens)
        self.W_hh = uniform(num_hiddens, num_hiddens)
        self.b_h = uniform(num_hiddens)

    @classmethod
    @boundary(rnn=instance(nn.RNN, what="a torch.nn.RNN"))
    def from_torch(cls, rnn: nn.RNN) -> RNNScratch:
        """A copy of a single-layer, unidirectional, tanh ``nn.RNN`` (same outputs)."""
        if (rnn.num_layers != 1 or rnn.bidirectional or rnn.nonlinearity != "tanh"
                or rnn.batch_first or rnn.proj_size):
            raise ValueError("only a single-layer, unidirectional, tanh nn.RNN with "
                             "batch_first=False can be copied")
        dtype = rnn.weight_ih_l0.dtype                  # float64 stays float64
        scratch = cls(rnn.input_size, rnn.hidden_size).to(dtype=dtype)
        with torch.no_grad():
            scratch.W_xh.copy_(rnn.weight_ih_l0.T)     # torch stores (hidden, input)
            scratch.W_hh.copy_(rnn.weight_hh_l0.T)
            bias = torch.zeros(rnn.hidden_size, dtype=dtype)
            if rnn.bias:                                # torch has two biases that add up
                bias = rnn.bias_ih_l0 + rnn.bias_hh_l0
            scratch.b_h.copy_(bias)
        return scratch

    @boundary(X="3-D float tensor", state="float tensor or None", check=_rnn_scratch_args)
    def forward(self, X: torch.Tensor,
                state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the RNN over all time steps.

        Parameters
        ----------
        X : torch.Tensor
            ``(num_steps, batch_size, num_inputs)`` inputs, time first.
        state : torch.Tensor, optional
            ``(batch_size, num_hiddens)`` initial hidden state (zeros if omitted).

        Returns
        -------
        outputs : torch.Tensor
            ``(num_steps, batch_size, num_hiddens)``: the hidden state after every step.
        state : torch.Tensor
            ``(batch_size, num_hiddens)``: the final hidden state, ``outputs[-1]``.
        """
        if state is None:
            state = torch.zeros(X.shape[1], self.num_hiddens, dtype=X.dtype)
        outputs = []
        for x in X:                                   # one time step at a time
            state = rnn_cell(x, state, self.W_xh, self.W_hh, self.b_h)
            outputs.append(state)
        return torch.stack(outputs), state


# --------------------------------------------------------------------------- language model


def _rnnlm_args(args: dict) -> None:
    """Check the token ids given to :meth:`RNNLM.forward`."""
    X, vocab_size = args["X"], args["self"].vocab_size
    if X.min() < 0 or X.max() >= vocab_size:
        raise ValueError(f"token ids must lie in [0, {vocab_size})")


class RNNLM(nn.Module):
    """A character- or word-level language model: embedding, recurrent layer, output layer.

    ``o_t = W_ho h_t + b_o`` scores every token of the vocabulary as the next one.
    Used in lecture 3.7.

    Parameters
    ----------
    vocab_size : int
        Number of tokens.
    num_hiddens : int
        Size of the hidden state.
    cell : {"rnn", "gru", "lstm"}
        The recurrent layer: ``nn.RNN`` (tanh), ``nn.GRU`` or ``nn.LSTM``.
    embed_size : int
        Size of the learned token embeddings fed to the recurrent layer.
    num_layers : int
        Number of stacked recurrent layers.
    """

    @boundary(vocab_size="int >= 1", num_hiddens="int >= 1", cell=one_of(CELL_TYPES),
              embed_size="int >= 1", num_layers="int >= 1")
    def __init__(self, vocab_size: int, num_hiddens: int, cell: str = "rnn",
                 embed_size: int = 32, num_layers: int = 1) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_size)
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.rnn = layer(embed_size, num_hiddens, num_layers=num_layers)
        self.output = nn.Linear(num_hiddens, vocab_size)

    @boundary(X="2-D int tensor", check=_rnnlm_args)
    def forward(self, X: torch.Tensor, state: object = None) -> tuple[torch.Tensor, object]:
        """Scores of the next token after every position.

        Parameters
        ----------
        X : torch.Tensor
            ``(batch_size, num_steps)`` int64 token ids.
        state : optional
            Initial state of the recurrent layer (zeros if omitted).

        Returns
        -------
        logits : torch.Tensor
            ``(num_steps, batch_size, vocab_size)``.
        state
            Final state (a tensor; a pair ``(h, c)`` for the LSTM).
        """
        embedded = self.embedding(X.T)                 # (num_steps, batch_size, embed_size)
        hiddens, state = self.rnn(embedded, state)     # (num_steps, batch_size, num_hiddens)
        return self.output(hiddens), state


@boundary(batch_size="int >= 1")
def evaluate_lm(net: RNNLM, X: torch.Tensor, Y: torch.Tensor, batch_size: int = 256) -> float:
    """Mean cross-entropy (nats per token) of a language model on windows ``(X, Y)``.

    Each window starts from a zero state. ``exp`` of the result is the perplexity.
    Used in lecture 3.7.
    """
    if X.shape != Y.shape or X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X and Y must be non-empty and of equal 2-D shape, got "
                         f"{tuple(X.shape)} and {tuple(Y.shape)}")
    was_training = net.training
    net.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            logits, _ = net(X[start:start + batch_size])
            targets = Y[start:start + batch_size].T
            total += nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                reduction="sum").item()
    net.train(was_training)
    return total / Y.numel()


def _with_gradients(name: str, params: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    params = list(params)
    if all(p.grad is None for p in params):
        raise ValueError("no parameter has a gradient: call loss.backward() first")
    return params


@boundary(max_norm="real > 0.0", params=_with_gradients)
def clip_gradients(params: Iterable[torch.Tensor], max_norm: float) -> float:
    """Rescale gradients in place so that their joint L2 norm is at most ``max_norm``.

    ``g <- g * min(1, max_norm / ||g||)`` with ``||g||`` the norm of all gradients
    stacked into one vector: the direction is kept, only the length is capped. This is
    the remedy for exploding gradients in RNNs; ``torch.nn.utils.clip_grad_norm_`` does
    the same. Used in lecture 3.7.

    Returns
    -------
    float
        The norm before clipping.
    """
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)).item()
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return norm


@dataclass
class LMHistory:
    """What :func:`train_lm` returns. Used in lecture 3.7.

    Attributes
    ----------
    train_loss : list of float
        Training cross-entropy of every update (nats per token, on its batch).
    grad_norms : list of float
        Gradient norm of every update, before clipping.
    val_steps : list of int
        Number of updates done when the validation loss was measured (0 = before training).
    val_loss : list of float
        Validation cross-entropy at each of ``val_steps``.
    """

    train_loss: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)


def _train_lm_args(args: dict) -> None:
    """Check and convert the arguments of :func:`train_lm` (in place)."""
    X, Y = args["train"]
    if X.shape != Y.shape:
        raise ValueError(f"training inputs and targets differ in shape: {tuple(X.shape)} "
                         f"and {tuple(Y.shape)}")


@boundary(num_epochs="int >= 1", batch_size="int >= 1", lr="real > 0.0", max_norm="real > 0.0",
          eval_every="int >= 1 or None", check=_train_lm_args)
def train_lm(net: RNNLM, train: tuple[torch.Tensor, torch.Tensor],
             val: tuple[torch.Tensor, torch.Tensor], *, num_epochs: int, batch_size: int,
             lr: float, max_norm: float = 1.0, eval_every: int | None = None,
             generator: torch.Generator | None = None) -> LMHistory:
    """Train a language model with Adam on shuffled windows, clipping the gradient norm.

    Each window starts from a zero hidden state (the windows are shuffled, so the state
    of the previous batch belongs to unrelated text). Used in lecture 3.7.

    Parameters
    ----------
    net : RNNLM
        The model, trained in place.
    train, val : (X, Y) pairs of torch.Tensor
        ``(num_windows, num_steps)`` inputs and next-token targets from :func:`lm_windows`.
    num_epochs, batch_size : int
        Passes over the training windows, windows per update.
    lr : float
        Adam learning rate.
    max_norm : float
        Gradient-clipping threshold (see :func:`clip_gradients`).
    eval_every : int, optional
        Also measure the validation loss every this many updates (it is always measured
        before training and after the last update).
    generator : torch.Generator, optional
        Source of the shuffling.

    Returns
    -------
    LMHistory
        Loss curves and gradient norms.
    """
    X, Y = train
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    history = LMHistory(val_steps=[0], val_loss=[evaluate_lm(net, *val)])
    step = 0
    for _ in range(num_epochs):
        net.train()
        for X_batch, Y_batch in data_iter(batch_size, X, Y, generator):
            logits, _ = net(X_batch)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               Y_batch.T.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            history.grad_norms.append(clip_gradients(net.parameters(), max_norm))
            optimizer.step()
            history.train_loss.append(loss.item())
            step += 1
            if eval_every is not None and step % eval_every == 0:
                history.val_steps.append(step)
                history.val_loss.append(evaluate_lm(net, *val))
    if history.val_steps[-1] != step:
        history.val_steps.append(step)
        history.val_loss.append(evaluate_lm(net, *val))
    return history


# --------------------------------------------------------------------------- n-gram baseline


@boundary(n="int >= 1", vocab_size="int >= 1", alpha="real > 0.0")
def ngram_cross_entropy(train_ids: Sequence[int] | torch.Tensor,
                        eval_ids: Sequence[int] | torch.Tensor, n: int, vocab_size: int,
                        alpha: float = 0.1) -> float:
    """Cross-entropy (nats per token) of an add-``alpha`` smoothed n-gram model.

    The model predicts token ``t`` from the ``n - 1`` tokens before it:
    ``P(w | c) = (count(c, w) + alpha) / (count(c) + alpha * vocab_size)``, counted on
    ``train_ids``. ``n = 1`` is the unigram model (no context), ``n = 2`` the bigram.
    Every position of ``eval_ids`` from index 1 on is scored (the first ``n - 1``
    positions with a shortened context taken from ``eval_ids``), the same targets
    :func:`lm_windows` produces. Used in lecture 3.7 as the baseline for RNNs.

    Returns
    -------
    float
        Mean negative log-likelihood; ``exp`` of it is the perplexity.
    """
    train = _check_ids("train_ids", train_ids).numpy()
    test = _check_ids("eval_ids", eval_ids).numpy()
    if max(train.max(), test.max()) >= vocab_size:
        raise ValueError(f"token ids must lie in [0, {vocab_size})")
    if len(test) < 2:
        raise ValueError("eval_ids needs at least 2 tokens (one context, one target)")
    if (vocab_size + 1) ** n >= 2 ** 62:
        raise ValueError(f"vocab_size={vocab_size} and n={n} give too many n-grams to index")

    def codes(ids: np.ndarray, k: int, positions: np.ndarray) -> np.ndarray:
        """Integer code of the k tokens ending at each position (shorter at the start)."""
        code = np.zeros(len(positions), dtype=np.int64)
        for j in range(k, 0, -1):
            idx = positions - j
            code = code * (vocab_size + 1) + np.where(idx >= 0, ids[np.maximum(idx, 0)] + 1, 0)
        return code

    def count(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
        uniq, counts = np.unique(keys, return_counts=True)
        where = np.clip(np.searchsorted(uniq, queries), 0, len(uniq) - 1)
        return np.where(uniq[where] == queries, counts[where], 0)

    k = n - 1
    train_pos = np.arange(len(train))
    test_pos = np.arange(1, len(test))
    ctx_train = codes(train, k, train_pos)
    ctx_test = codes(test, k, test_pos)
    joint_count = count(ctx_train * vocab_size + train, ctx_test * vocab_size + test[test_pos])
    ctx_count = count(ctx_train, ctx_test)
    prob = (joint_count + alpha) / (ctx_count + alpha * vocab_size)
    return float(-np.log(prob).mean())
