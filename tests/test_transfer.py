"""Unit tests for helpers.transfer (fine-tuning, lectures 11.1 and 11.2)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch
from torch import nn

from helpers.transfer import (
    SequenceClassifier,
    SmallConvNet,
    SpanExtractor,
    TokenTagger,
    TopLayers,
    docstring_corpus_with_code,
    encode,
    fine_tune_classifier,
    first_paragraph,
    freeze,
    load_body,
    mean_pool,
    param_groups_with_lrs,
    predict_logits,
    replace_head,
    strip_markup,
    unfreeze,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models train faster on one thread than on two oversubscribed ones."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class TinyResNet(nn.Module):
    """The attribute layout of torchvision's ResNet, at toy size (with batch norm)."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU())
        self.layer2 = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.ReLU())
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        x = self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x)))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _pretrained(seed: int = 0) -> TinyResNet:
    torch.manual_seed(seed)
    model = TinyResNet(num_classes=10)
    with torch.no_grad():                      # non-default buffers, so loading is visible
        model.bn1.running_mean.uniform_()
        model.bn1.running_var.uniform_(0.5, 2.0)
    return model


# --------------------------------------------------------------------------- SmallConvNet


def test_small_convnet_has_torchvision_names_and_output_shapes():
    net = SmallConvNet(num_classes=5, width=4)
    assert [name for name, _ in net.named_children()] == ["conv1", "layer1", "layer2",
                                                           "avgpool", "fc"]
    X = torch.zeros(3, 1, 12, 12)
    assert net(X).shape == (3, 5)
    assert net.features(X).shape == (3, 16)
    assert net.fc.in_features == 16


def test_small_convnet_validates_arguments():
    with pytest.raises(ValueError, match="num_classes"):
        SmallConvNet(num_classes=0)
    with pytest.raises(TypeError, match="width"):
        SmallConvNet(width=2.5)
    with pytest.raises(ValueError, match="X must be 4-D"):
        SmallConvNet().features(torch.zeros(1, 12, 12))


# --------------------------------------------------------------------------- replace_head


def test_replace_head_keeps_inputs_and_changes_outputs():
    model = _pretrained()
    head = replace_head(model, "fc", 3, seed=0)
    assert model.fc is head and (head.in_features, head.out_features) == (8, 3)
    assert model(torch.zeros(2, 3, 6, 6)).shape == (2, 3)


def test_replace_head_is_reproducible_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = replace_head(_pretrained(), "fc", 3, seed=7)
    torch.manual_seed(123)
    b = replace_head(_pretrained(), "fc", 3, seed=7)
    assert torch.equal(a.weight, b.weight)
    torch.manual_seed(123)
    assert torch.equal(torch.random.get_rng_state(), before)
    replace_head(_pretrained(), "fc", 3, seed=7)
    c = replace_head(_pretrained(), "fc", 3, seed=8)
    assert not torch.equal(a.weight, c.weight)


def test_replace_head_accepts_a_dotted_name_inside_a_sequential():
    model = nn.Module()
    model.classifier = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 1000))
    replace_head(model, "classifier.2", 5, seed=0)
    assert model.classifier[2].out_features == 5
    assert model.classifier(torch.zeros(1, 4)).shape == (1, 5)


def test_replace_head_rejects_missing_or_non_linear_heads():
    with pytest.raises(ValueError, match="no submodule 'head'"):
        replace_head(_pretrained(), "head", 3)
    with pytest.raises(TypeError, match="nn.Linear"):
        replace_head(_pretrained(), "layer1", 3)
    with pytest.raises(ValueError, match="dotted name"):
        replace_head(_pretrained(), ".fc", 3)
    with pytest.raises(ValueError, match="num_classes"):
        replace_head(_pretrained(), "fc", 0)


# --------------------------------------------------------------------------- load_body


def test_load_body_copies_every_body_tensor_and_no_head_tensor():
    source = _pretrained(0)
    target = TinyResNet(num_classes=10)
    head_before = target.fc.weight.clone()
    load_body(target, source.state_dict(), "fc")
    for key, value in source.state_dict().items():
        if key.startswith("fc."):
            continue
        assert torch.equal(target.state_dict()[key], value), key
    assert torch.equal(target.fc.weight, head_before)


def test_load_body_matches_torch_load_state_dict_on_the_body():
    source = _pretrained(0)
    body = {k: v for k, v in source.state_dict().items() if not k.startswith("fc.")}
    reference = TinyResNet(num_classes=10)
    reference.load_state_dict(body, strict=False)
    ours = load_body(TinyResNet(num_classes=10), source.state_dict(), "fc", num_classes=4,
                     seed=0)
    reference.fc = nn.Identity()
    ours.fc = nn.Identity()
    x = torch.randn(2, 3, 6, 6)
    assert torch.allclose(reference.eval()(x), ours.eval()(x))


def test_load_body_with_num_classes_attaches_a_new_head_of_that_size():
    model = load_body(TinyResNet(num_classes=1000), _pretrained().state_dict(), "fc",
                      num_classes=5, seed=0)
    assert model.fc.out_features == 5 and model(torch.zeros(1, 3, 6, 6)).shape == (1, 5)


def test_load_body_reads_a_saved_file_and_strips_dataparallel_prefixes(tmp_path):
    source = _pretrained(1)
    path = tmp_path / "weights.pt"
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, path)
    model = load_body(TinyResNet(), path, "fc", num_classes=2)
    assert torch.equal(model.conv1.weight, source.conv1.weight)
    assert torch.equal(model.bn1.running_mean, source.bn1.running_mean)


def test_load_body_refuses_a_different_architecture():
    state = _pretrained().state_dict()
    missing = {k: v for k, v in state.items() if not k.startswith("layer2.")}
    with pytest.raises(ValueError, match="missing.*layer2"):
        load_body(TinyResNet(), missing, "fc")
    extra = dict(state, **{"layer3.0.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="unexpected.*layer3"):
        load_body(TinyResNet(), extra, "fc")
    with pytest.raises(ValueError, match="shapes differ"):
        load_body(SmallConvNet(width=8), SmallConvNet(width=4).state_dict(), "fc")


def test_load_body_validates_its_inputs():
    with pytest.raises(ValueError, match="empty"):
        load_body(TinyResNet(), {}, "fc")
    with pytest.raises(TypeError, match="mapping"):
        load_body(TinyResNet(), [1, 2], "fc")
    with pytest.raises(ValueError, match="no submodule 'classifier'"):
        load_body(TinyResNet(), _pretrained().state_dict(), "classifier")
    with pytest.raises(TypeError, match="nn.Module"):
        load_body("resnet", _pretrained().state_dict())


# --------------------------------------------------------------------------- freezing


def test_freeze_up_to_freezes_everything_before_and_inside_that_module():
    model = TinyResNet()
    frozen = freeze(model, up_to="layer1")
    assert frozen == ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.weight",
                      "layer1.0.bias"]
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["layer2.0.weight", "layer2.0.bias", "fc.weight", "fc.bias"]


def test_frozen_parameters_get_no_gradient():
    model = TinyResNet()
    freeze(model, up_to="layer1")
    model(torch.randn(2, 3, 6, 6)).sum().backward()
    assert model.conv1.weight.grad is None and model.layer1[0].weight.grad is None
    assert model.layer2[0].weight.grad is not None


def test_freeze_without_up_to_freezes_all_and_unfreeze_undoes_it():
    model = TinyResNet()
    freeze(model)
    assert not any(p.requires_grad for p in model.parameters())
    assert unfreeze(model) == len(list(model.parameters()))
    assert all(p.requires_grad for p in model.parameters())


def test_freeze_accepts_a_nested_dotted_name():
    model = nn.Module()
    model.encoder = nn.Module()
    model.encoder.layer = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    model.head = nn.Linear(2, 1)
    freeze(model, up_to="encoder.layer.1")
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    assert not flags["encoder.layer.0.weight"] and not flags["encoder.layer.1.bias"]
    assert flags["encoder.layer.2.weight"] and flags["head.weight"]


def test_freeze_rejects_unknown_names_and_parameterless_models():
    with pytest.raises(ValueError, match="no parameters under 'layer9'"):
        freeze(TinyResNet(), up_to="layer9")
    with pytest.raises(ValueError, match="no parameters under 'layer'"):
        freeze(TinyResNet(), up_to="layer")        # a prefix of a name is not a name
    with pytest.raises(ValueError, match="no parameters"):
        freeze(nn.ReLU())


# --------------------------------------------------------------------------- learning rates


def test_param_groups_use_the_longest_matching_name_and_the_default():
    model = TinyResNet()
    groups = param_groups_with_lrs(model, {"layer1": 1e-3, "fc": 1e-2, "layer1.0": 5e-4},
                                   default_lr=1e-4)
    by_lr = {g["lr"]: g["names"] for g in groups}
    assert by_lr[1e-4] == ["conv1.weight", "bn1.weight", "bn1.bias", "layer2.0.weight",
                           "layer2.0.bias"]
    assert by_lr[5e-4] == ["layer1.0.weight", "layer1.0.bias"]
    assert by_lr[1e-2] == ["fc.weight", "fc.bias"]
    assert 1e-3 not in by_lr                      # every layer1 parameter is under layer1.0
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_param_groups_skip_frozen_parameters_and_work_with_torch_optimizers():
    model = TinyResNet()
    freeze(model, up_to="layer2")
    groups = param_groups_with_lrs(model, {"fc": 0.5})
    assert [g["names"] for g in groups] == [["fc.weight", "fc.bias"]]
    optimizer = torch.optim.SGD(groups)
    before = model.fc.weight.clone()
    model(torch.randn(2, 3, 6, 6)).sum().backward()
    optimizer.step()
    assert torch.allclose(model.fc.weight, before - 0.5 * model.fc.weight.grad)


def test_param_groups_validate_their_arguments():
    with pytest.raises(ValueError, match="no default_lr"):
        param_groups_with_lrs(TinyResNet(), {"fc": 1e-2})
    with pytest.raises(ValueError, match="no parameters under 'head'"):
        param_groups_with_lrs(TinyResNet(), {"head": 1e-2}, 1e-3)
    with pytest.raises(ValueError, match=r"lrs\['fc'\] == -1.0, must be > 0"):
        param_groups_with_lrs(TinyResNet(), {"fc": -1.0}, 1e-3)
    with pytest.raises(ValueError, match="default_lr"):
        param_groups_with_lrs(TinyResNet(), {"fc": 1e-2}, float("nan"))
    model = TinyResNet()
    freeze(model)
    with pytest.raises(ValueError, match="all are frozen"):
        param_groups_with_lrs(model, {}, 1e-3)


# --------------------------------------------------------------------------- text corpus


def test_first_paragraph_skips_signatures_and_directives():
    doc = ("add(input, other, *, alpha=1) -> Tensor\n\n.. note:: x\n\n"
           "Adds other\nto input.\n\nMore.")
    assert first_paragraph(doc) == "Adds other to input."
    assert first_paragraph("\n\n") is None
    with pytest.raises(TypeError):
        first_paragraph(None)


def test_strip_markup_removes_roles_and_records_code_spans():
    text, spans = strip_markup("Adds :attr:`other` to :class:`~torch.Tensor` ``x`` "
                               ":math:`a+b` `y` :func:`sum <numpy.sum>`.")
    assert text == "Adds other to Tensor x a+b y numpy.sum."
    assert [text[a:b] for a, b in spans] == ["other", "Tensor", "x", "y", "numpy.sum"]
    assert strip_markup("plain text") == ("plain text", [])


@pytest.fixture
def fake_library(monkeypatch):
    module = types.ModuleType("fake_lib_for_tests")

    def alpha():
        """Compute the alpha of ``x``."""

    def beta():
        """beta(x) -> y

        Return the beta."""

    def gamma():
        """See fake_lib_for_tests.alpha"""

    def shared():
        """Return the beta."""

    def _private():
        """Hidden."""

    for fn in (alpha, beta, gamma, shared, _private):
        setattr(module, fn.__name__, fn)
    module.CONSTANT = 3
    other = types.ModuleType("fake_other_for_tests")
    other.delta = lambda: None
    other.delta.__doc__ = "Make a delta."
    monkeypatch.setitem(sys.modules, "fake_lib_for_tests", module)
    monkeypatch.setitem(sys.modules, "fake_other_for_tests", other)


def test_docstring_corpus_keeps_unique_descriptive_first_paragraphs(fake_library):
    corpus = docstring_corpus_with_code({"one": ["fake_lib_for_tests"],
                                         "two": ["fake_other_for_tests"]})
    assert corpus[["label", "name", "text"]].values.tolist() == [
        ["one", "alpha", "Compute the alpha of x."], ["two", "delta", "Make a delta."]]
    assert corpus.loc[0, "code_spans"] == [(21, 22)]


def test_docstring_corpus_validates_sources():
    with pytest.raises(ValueError, match="non-empty"):
        docstring_corpus_with_code({})
    with pytest.raises(ValueError, match="list of module"):
        docstring_corpus_with_code({"x": "numpy"})


# --------------------------------------------------------------------------- Transformers


@pytest.fixture(scope="module")
def tiny_bert():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3,
                        num_attention_heads=2, intermediate_size=32,
                        max_position_embeddings=32)
    return BertModel(config, add_pooling_layer=False).eval()


def _tokens(n=6, length=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 50, (n, length), generator=g)
    lengths = torch.randint(3, length + 1, (n,), generator=g)
    mask = (torch.arange(length) < lengths[:, None]).long()
    return ids * mask, mask


def test_mean_pool_averages_only_real_tokens():
    hidden = torch.arange(12.0).reshape(1, 4, 3)
    mask = torch.tensor([[1, 1, 0, 0]])
    assert torch.equal(mean_pool(hidden, mask), torch.tensor([[1.5, 2.5, 3.5]]))
    with pytest.raises(ValueError, match="attention_mask"):
        mean_pool(hidden, torch.ones(1, 3))


def test_heads_require_right_padding(tiny_bert):
    ids, mask = _tokens(n=2)
    with pytest.raises(ValueError, match="start with a real token"):
        SequenceClassifier(tiny_bert, 16, 2)(ids, mask.flip(1))


def test_encode_matches_the_model_run_on_each_text_alone(tiny_bert):
    ids, mask = _tokens()
    layers = encode(tiny_bert, ids, mask, layers=(0, 2, -1), batch_size=4)
    assert [tuple(h.shape) for h in layers] == [(6, 10, 16)] * 3
    for i in range(len(ids)):
        n = int(mask[i].sum())
        with torch.no_grad():
            out = tiny_bert(input_ids=ids[i:i + 1, :n], output_hidden_states=True)
        for got, layer in zip(layers, (0, 2, -1), strict=True):
            assert torch.allclose(got[i, :n], out.hidden_states[layer][0], atol=1e-5)
            assert not got[i, n:].any()
    with pytest.raises(ValueError, match="out of range"):
        encode(tiny_bert, ids, mask, layers=(7,))


def test_top_layers_on_cached_states_equal_the_full_encoder(tiny_bert):
    ids, mask = _tokens()
    cached = encode(tiny_bert, ids, mask, layers=(1,))[0]
    with torch.no_grad():
        via_top = TopLayers(tiny_bert, 1)(cached, mask)
        direct = tiny_bert(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    assert torch.allclose(via_top[real], direct[real], atol=1e-5)
    top = TopLayers(tiny_bert, 2)
    assert top.layer[0] is tiny_bert.encoder.layer[2]     # shared, not copied
    with pytest.raises(ValueError, match="below the number of layers"):
        TopLayers(tiny_bert, 3)
    with pytest.raises(TypeError, match="BERT-style"):
        TopLayers(nn.Linear(2, 2), 0)


def test_top_layers_first_token_only_equals_the_full_layers_first_token(tiny_bert):
    ids, mask = _tokens(n=8, length=12, seed=1)
    cached = encode(tiny_bert, ids, mask, layers=(1,))[0]
    full, first = TopLayers(tiny_bert, 1), TopLayers(tiny_bert, 1, first_token_only=True)
    try:
        for training in (False, True):
            tiny_bert.train(training)
            results = []
            for top in (full, first):
                torch.manual_seed(3)
                x = cached.clone().requires_grad_(True)
                out = top(x, mask)[:, 0]
                (out ** 2).sum().backward()
                grads = [p.grad.clone() for p in top.parameters()]
                top.zero_grad()
                results.append((out.detach(), x.grad, grads, torch.rand(1)))
            (out_a, dx_a, g_a, r_a), (out_b, dx_b, g_b, r_b) = results
            assert first(cached, mask).shape == (8, 1, 16)
            assert torch.allclose(out_a, out_b, atol=1e-5)          # same dropout masks
            assert torch.allclose(dx_a, dx_b, atol=1e-5)
            assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(g_a, g_b, strict=True))
            assert torch.equal(r_a, r_b)                 # the same random stream after it
        torch.manual_seed(3)
        a = full(cached, mask)[:, 0]
        torch.manual_seed(4)
        b = full(cached, mask)[:, 0]
        assert not torch.allclose(a, b)                  # dropout is on: the test can fail
    finally:
        tiny_bert.eval()
    with pytest.raises(TypeError, match="bool"):
        TopLayers(tiny_bert, 1, first_token_only=1)
    with pytest.raises(TypeError, match="BERT layer"):
        fake = types.SimpleNamespace()
        bert_like = nn.Module()
        bert_like.encoder = nn.Module()
        bert_like.encoder.layer = nn.ModuleList([nn.Linear(2, 2)])
        bert_like.config = fake
        TopLayers(bert_like, 0, first_token_only=True)


def test_heads_have_the_documented_shapes(tiny_bert):
    ids, mask = _tokens(n=3)
    with torch.no_grad():
        cls = SequenceClassifier(tiny_bert, 16, 4, seed=0).eval()
        assert cls(ids, mask).shape == (3, 4)
        tags = TokenTagger(tiny_bert, 16, 3, seed=0).eval()(ids, mask)
        assert tags.shape == (3, 10, 3)
        start, end = SpanExtractor(tiny_bert, 16, seed=0).eval()(ids, mask)
    assert start.shape == end.shape == (3, 10)
    assert torch.isinf(start[mask == 0]).all() and torch.isfinite(start[mask == 1]).all()


def test_sequence_classifier_pools_cls_or_mean(tiny_bert):
    ids, mask = _tokens(n=3)
    with torch.no_grad():
        hidden = tiny_bert(input_ids=ids, attention_mask=mask).last_hidden_state
        for pooling, pooled in (("cls", hidden[:, 0]), ("mean", mean_pool(hidden, mask))):
            model = SequenceClassifier(tiny_bert, 16, 2, pooling=pooling, seed=0).eval()
            assert torch.allclose(model(ids, mask), model.head(pooled), atol=1e-5)
    with pytest.raises(ValueError, match="pooling"):
        SequenceClassifier(tiny_bert, 16, 2, pooling="max")
    with pytest.raises(ValueError, match="dropout"):
        SequenceClassifier(tiny_bert, 16, 2, dropout=1.5)


def test_fine_tune_classifier_learns_and_is_reproducible(tiny_bert):
    import copy

    ids, mask = _tokens(n=24, seed=1)
    y = (ids[:, 1] > 27).long()                          # a learnable token-level rule

    def run():
        model = SequenceClassifier(copy.deepcopy(tiny_bert), 16, 2, seed=0)
        losses = fine_tune_classifier(model, ids, mask, y, num_epochs=15, batch_size=8,
                                      lr=3e-3, seed=0)
        return losses, predict_logits(model, ids, mask)

    losses, logits = run()
    assert losses[-1] < 0.5 * losses[0]
    assert (logits.argmax(1) == y).float().mean() >= 0.9
    again, logits_again = run()
    assert again == losses and torch.equal(logits, logits_again)


def test_fine_tune_classifier_trains_only_unfrozen_parameters(tiny_bert):
    import copy

    ids, mask = _tokens(n=8)
    model = SequenceClassifier(copy.deepcopy(tiny_bert), 16, 2, seed=0)
    freeze(model, up_to="body.encoder.layer.1")
    frozen = model.body.encoder.layer[0].attention.self.query.weight.clone()
    fine_tune_classifier(model, ids, mask, torch.arange(8) % 2, num_epochs=2, batch_size=4,
                         lr=param_groups_with_lrs(model, {"head": 1e-2}, 1e-3), seed=0)
    assert torch.equal(model.body.encoder.layer[0].attention.self.query.weight, frozen)


def test_predict_logits_keeps_the_input_order(tiny_bert):
    ids, mask = _tokens(n=7)
    model = SequenceClassifier(tiny_bert, 16, 3, seed=0)
    with torch.no_grad():
        one_by_one = torch.cat([model.eval()(ids[i:i + 1, :int(mask[i].sum())],
                                             mask[i:i + 1, :int(mask[i].sum())])
                                for i in range(7)])
    assert torch.allclose(predict_logits(model, ids, mask, batch_size=3), one_by_one,
                          atol=1e-5)


def test_fine_tune_classifier_validates_its_inputs(tiny_bert):
    ids, mask = _tokens(n=4)
    model = SequenceClassifier(tiny_bert, 16, 2)
    with pytest.raises(ValueError, match="y has 3 labels for 4 rows"):
        fine_tune_classifier(model, ids, mask, torch.zeros(3, dtype=torch.long),
                             num_epochs=1, batch_size=2, lr=1e-3)
    with pytest.raises(TypeError, match="integer"):
        fine_tune_classifier(model, ids, mask, torch.zeros(4), num_epochs=1, batch_size=2,
                             lr=1e-3)
    with pytest.raises(ValueError, match="warmup"):
        fine_tune_classifier(model, ids, mask, torch.zeros(4, dtype=torch.long),
                             num_epochs=1, batch_size=2, lr=1e-3, warmup=1.0)
    with pytest.raises(ValueError, match="lr == 0.0, must be > 0"):
        fine_tune_classifier(model, ids, mask, torch.zeros(4, dtype=torch.long),
                             num_epochs=1, batch_size=2, lr=0.0)
    with pytest.raises(ValueError, match="lr of a parameter group"):
        fine_tune_classifier(model, ids, mask, torch.zeros(4, dtype=torch.long),
                             num_epochs=1, batch_size=2, lr=[{"params": [], "lr": -1.0}])


def test_load_minilm_gives_the_offline_six_layer_encoder():
    from helpers.transfer import load_minilm

    tokenizer, model = load_minilm()
    assert tokenizer.vocab_size == 30522 and not model.training
    assert model.config.num_hidden_layers == 6 and model.config.hidden_size == 384
    batch = tokenizer(["Compute the mean."], return_tensors="pt")
    with torch.no_grad():
        out = model(**batch).last_hidden_state
    assert out.shape == (1, batch["input_ids"].shape[1], 384)
    assert np.isfinite(out.numpy()).all()
