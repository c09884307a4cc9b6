"""Unit tests for helpers.sequence (lecture 3.7, recurrent neural networks)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
from torch import nn

from helpers.sequence import (
    RNNLM,
    RNNScratch,
    Vocab,
    clip_gradients,
    evaluate_lm,
    library_docstrings,
    lm_windows,
    ngram_cross_entropy,
    pad_sequences,
    rnn_cell,
    tokenize_words,
    train_lm,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one thread is faster than two and avoids contention on a shared CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _torch_rnn(num_inputs: int, num_hiddens: int, seed: int, bias: bool = True) -> nn.RNN:
    torch.manual_seed(seed)
    return nn.RNN(num_inputs, num_hiddens, bias=bias)


# --------------------------------------------------------------------------- from-scratch RNN


@pytest.mark.parametrize(("num_steps", "batch_size", "num_inputs", "num_hiddens"),
                         [(1, 1, 1, 1), (5, 3, 4, 8), (10, 2, 300, 16), (7, 6, 5, 32)])
def test_scratch_rnn_matches_torch_rnn_without_initial_state(num_steps, batch_size, num_inputs,
                                                             num_hiddens):
    rnn = _torch_rnn(num_inputs, num_hiddens, seed=num_steps)
    scratch = RNNScratch.from_torch(rnn)
    X = torch.randn(num_steps, batch_size, num_inputs, generator=_gen(1))
    outputs, state = scratch(X)
    expected_outputs, expected_state = rnn(X)
    assert outputs.shape == (num_steps, batch_size, num_hiddens)
    assert state.shape == (batch_size, num_hiddens)
    torch.testing.assert_close(outputs, expected_outputs, atol=1e-5, rtol=0)
    torch.testing.assert_close(state, expected_state[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize(("num_steps", "batch_size", "num_inputs", "num_hiddens"),
                         [(1, 2, 3, 4), (6, 4, 2, 16)])
def test_scratch_rnn_matches_torch_rnn_with_initial_state(num_steps, batch_size, num_inputs,
                                                          num_hiddens):
    rnn = _torch_rnn(num_inputs, num_hiddens, seed=3)
    scratch = RNNScratch.from_torch(rnn)
    X = torch.randn(num_steps, batch_size, num_inputs, generator=_gen(2))
    h0 = torch.randn(batch_size, num_hiddens, generator=_gen(3))
    outputs, state = scratch(X, h0)
    expected_outputs, expected_state = rnn(X, h0[None])
    torch.testing.assert_close(outputs, expected_outputs, atol=1e-5, rtol=0)
    torch.testing.assert_close(state, expected_state[0], atol=1e-5, rtol=0)


def test_scratch_rnn_copies_an_rnn_without_bias():
    rnn = _torch_rnn(3, 5, seed=4, bias=False)
    scratch = RNNScratch.from_torch(rnn)
    X = torch.randn(4, 2, 3, generator=_gen(4))
    torch.testing.assert_close(scratch(X)[0], rnn(X)[0], atol=1e-5, rtol=0)
    assert torch.equal(scratch.b_h.detach(), torch.zeros(5))


def test_scratch_rnn_gradients_match_torch_rnn():
    rnn = _torch_rnn(4, 6, seed=5)
    scratch = RNNScratch.from_torch(rnn)
    X = torch.randn(5, 3, 4, generator=_gen(5))
    scratch(X)[0].sum().backward()
    rnn(X)[0].sum().backward()
    torch.testing.assert_close(scratch.W_hh.grad, rnn.weight_hh_l0.grad.T, atol=1e-5, rtol=0)
    torch.testing.assert_close(scratch.W_xh.grad, rnn.weight_ih_l0.grad.T, atol=1e-5, rtol=0)


def test_rnn_cell_is_a_dense_layer_on_the_concatenated_input_and_state():
    g = _gen(6)
    x, h = torch.randn(3, 4, generator=g), torch.randn(3, 5, generator=g)
    W_xh, W_hh, b_h = (torch.randn(4, 5, generator=g), torch.randn(5, 5, generator=g),
                       torch.randn(5, generator=g))
    concatenated = torch.tanh(torch.cat([x, h], dim=1) @ torch.cat([W_xh, W_hh]) + b_h)
    torch.testing.assert_close(rnn_cell(x, h, W_xh, W_hh, b_h), concatenated)


def test_scratch_rnn_last_output_is_the_final_state():
    scratch = RNNScratch(3, 4, generator=_gen(7))
    outputs, state = scratch(torch.randn(6, 2, 3, generator=_gen(8)))
    assert torch.equal(outputs[-1], state)


def test_scratch_rnn_initialisation_is_reproducible_and_bounded():
    a, b = RNNScratch(3, 16, generator=_gen(9)), RNNScratch(3, 16, generator=_gen(9))
    assert torch.equal(a.W_hh, b.W_hh)
    assert a.W_xh.abs().max() <= 1 / math.sqrt(16)


def test_scratch_rnn_rejects_wrong_input_rank():
    scratch = RNNScratch(3, 4)
    with pytest.raises(ValueError, match="3-D"):
        scratch(torch.randn(5, 3))
    with pytest.raises(ValueError, match="3-D"):
        scratch(torch.randn(1, 5, 2, 3))


def test_scratch_rnn_rejects_mismatched_input_size_and_state_shape():
    scratch = RNNScratch(3, 4)
    with pytest.raises(ValueError, match="num_inputs=3"):
        scratch(torch.randn(5, 2, 7))
    with pytest.raises(ValueError, match="state must have shape"):
        scratch(torch.randn(5, 2, 3), torch.zeros(3, 4))
    with pytest.raises(TypeError, match="torch tensor"):
        scratch(np.zeros((5, 2, 3)))


def test_scratch_rnn_rejects_empty_sequences():
    scratch = RNNScratch(3, 4)
    with pytest.raises(ValueError, match="empty"):
        scratch(torch.randn(0, 2, 3))
    with pytest.raises(ValueError, match="empty"):
        scratch(torch.randn(4, 0, 3))


def test_scratch_rnn_rejects_bad_sizes_and_uncopyable_torch_rnns():
    with pytest.raises(ValueError, match="num_hiddens"):
        RNNScratch(3, 0)
    with pytest.raises(TypeError, match="num_inputs"):
        RNNScratch(2.5, 4)
    for rnn in (nn.RNN(3, 4, num_layers=2), nn.RNN(3, 4, bidirectional=True),
                nn.RNN(3, 4, nonlinearity="relu"), nn.RNN(3, 4, batch_first=True)):
        with pytest.raises(ValueError, match="single-layer"):
            RNNScratch.from_torch(rnn)
    with pytest.raises(TypeError, match="nn.RNN"):
        RNNScratch.from_torch(nn.GRU(3, 4))


# --------------------------------------------------------------------------- text and vocab


def test_tokenize_words_lowercases_and_drops_punctuation():
    assert tokenize_words("Great film, I'd watch it AGAIN!") == [
        "great", "film", "i'd", "watch", "it", "again"]
    assert tokenize_words("") == []
    with pytest.raises(TypeError):
        tokenize_words(["not", "a", "string"])


def test_vocab_orders_reserved_then_by_frequency_and_maps_unknowns():
    vocab = Vocab(list("abracadabra"))
    assert vocab.idx_to_token[:2] == ["<pad>", "<unk>"]
    assert vocab.idx_to_token[2:] == ["a", "b", "r", "c", "d"]   # a:5, b:2, r:2, c:1, d:1
    assert vocab["z"] == vocab.unk == 1
    assert vocab.to_tokens(vocab[list("cab")]) == list("cab")
    assert len(vocab) == 7


def test_vocab_min_freq_and_validation():
    vocab = Vocab(list("abracadabra"), min_freq=2)
    assert vocab["c"] == vocab.unk
    with pytest.raises(ValueError, match="<unk>"):
        Vocab(["a"], reserved=("<pad>",))
    with pytest.raises(ValueError, match="outside"):
        vocab.to_tokens(99)


def test_library_docstrings_are_unique_and_cut_before_parameters():
    docs = library_docstrings(np)
    assert len(docs) > 100
    assert len(set(docs)) == len(docs)
    assert not any("\nParameters\n----" in d for d in docs)
    with pytest.raises(ValueError, match="at least one module"):
        library_docstrings()
    with pytest.raises(TypeError, match="modules"):
        library_docstrings("numpy")


# --------------------------------------------------------------------------- padding


def test_pad_sequences_pads_at_the_end_and_reports_valid_lengths():
    padded, valid_lens = pad_sequences([[5, 6, 7], [8], [1, 2, 3, 4]], num_steps=4, pad_id=0)
    assert padded.tolist() == [[5, 6, 7, 0], [8, 0, 0, 0], [1, 2, 3, 4]]
    assert valid_lens.tolist() == [3, 1, 4]
    assert padded.dtype == torch.long


def test_pad_sequences_movie_review_example_has_shape_two_by_ten():
    reviews = [list(range(2, 9)), list(range(2, 10))]            # 7 and 8 words
    padded, valid_lens = pad_sequences(reviews, num_steps=10)
    assert padded.shape == (2, 10)
    assert (padded == 0).sum(dim=1).tolist() == [3, 2]
    assert valid_lens.tolist() == [7, 8]


def test_pad_sequences_refuses_or_truncates_too_long_sequences():
    with pytest.raises(ValueError, match="more than num_steps"):
        pad_sequences([[1, 2, 3]], num_steps=2)
    padded, valid_lens = pad_sequences([[1, 2, 3]], num_steps=2, truncate=True)
    assert padded.tolist() == [[1, 2]] and valid_lens.tolist() == [2]


def test_pad_sequences_rejects_empty_input_and_bad_ids():
    with pytest.raises(ValueError, match="non-empty"):
        pad_sequences([], num_steps=3)
    with pytest.raises(ValueError, match="empty"):
        pad_sequences([[1], []], num_steps=3)
    with pytest.raises(ValueError, match="negative"):
        pad_sequences([[1, -2]], num_steps=3)
    with pytest.raises(TypeError, match="integer"):
        pad_sequences([[1.5, 2.0]], num_steps=3)
    with pytest.raises(ValueError, match="num_steps"):
        pad_sequences([[1]], num_steps=0)


# --------------------------------------------------------------------------- windows


@pytest.mark.parametrize(("length", "num_steps"), [(2, 1), (11, 5), (23, 5), (100, 7)])
def test_lm_windows_predict_every_position_once_and_targets_are_shifted(length, num_steps):
    ids = torch.arange(length)                 # each token is its own position
    X, Y = lm_windows(ids, num_steps)
    num_windows = (length - 1) // num_steps
    assert X.shape == Y.shape == (num_windows, num_steps)
    assert torch.equal(Y, X + 1)
    targets = Counter(Y.ravel().tolist())
    assert set(targets.values()) == {1}                       # no position twice
    assert sorted(targets) == list(range(1, num_windows * num_steps + 1))   # no gap
    assert length - 1 - num_windows * num_steps < num_steps   # only a short tail is left


def test_lm_windows_accept_lists_and_reject_short_or_bad_streams():
    X, Y = lm_windows([3, 1, 4, 1, 5], 2)
    assert X.tolist() == [[3, 1], [4, 1]] and Y.tolist() == [[1, 4], [1, 5]]
    with pytest.raises(ValueError, match="too short"):
        lm_windows([1, 2, 3], 3)
    with pytest.raises(ValueError, match="empty"):
        lm_windows([], 3)
    with pytest.raises(ValueError, match="1-D"):
        lm_windows(torch.zeros(2, 5, dtype=torch.long), 2)


# --------------------------------------------------------------------------- language model


def test_rnnlm_output_shapes_for_every_cell_type():
    X = torch.randint(0, 11, (4, 6), generator=_gen(10))
    for cell in ("rnn", "gru", "lstm"):
        logits, state = RNNLM(11, 8, cell=cell, embed_size=5)(X)
        assert logits.shape == (6, 4, 11)
        h = state[0] if cell == "lstm" else state
        assert h.shape == (1, 4, 8)


def test_rnnlm_rejects_bad_cells_and_token_ids():
    with pytest.raises(ValueError, match="cell"):
        RNNLM(5, 4, cell="transformer")
    net = RNNLM(5, 4)
    with pytest.raises(ValueError, match="lie in"):
        net(torch.tensor([[1, 5]]))
    with pytest.raises(ValueError, match="2-D"):
        net(torch.tensor([1, 2]))


def test_evaluate_lm_of_an_untrained_model_is_near_log_vocab_size():
    torch.manual_seed(0)
    net = RNNLM(50, 8)
    with torch.no_grad():
        net.output.weight.zero_()
        net.output.bias.zero_()
    X, Y = lm_windows(torch.randint(0, 50, (201,), generator=_gen(11)), 10)
    assert evaluate_lm(net, X, Y) == pytest.approx(math.log(50), abs=1e-5)


def test_train_lm_learns_a_periodic_sequence():
    ids = torch.arange(400) % 5                   # 0 1 2 3 4 0 1 ... : fully predictable
    train, val = lm_windows(ids[:300], 10), lm_windows(ids[300:], 10)
    torch.manual_seed(0)
    net = RNNLM(5, 8, cell="gru", embed_size=4)
    history = train_lm(net, train, val, num_epochs=5, batch_size=10, lr=0.1,
                       eval_every=4, generator=_gen(12))
    assert history.val_loss[-1] < 0.05 < math.log(5) - 0.5 < history.val_loss[0]
    assert len(history.train_loss) == len(history.grad_norms) == 5 * 3
    assert history.val_steps == [0, 4, 8, 12, 15]


def test_train_lm_rejects_bad_hyper_parameters():
    train = lm_windows(torch.arange(50) % 3, 5)
    net = RNNLM(3, 4)
    with pytest.raises(ValueError, match="lr"):
        train_lm(net, train, train, num_epochs=1, batch_size=2, lr=-1.0)
    with pytest.raises(ValueError, match="num_epochs"):
        train_lm(net, train, train, num_epochs=0, batch_size=2, lr=0.1)
    with pytest.raises(ValueError, match="differ in shape"):
        train_lm(net, (train[0], train[1][:2]), train, num_epochs=1, batch_size=2, lr=0.1)


# --------------------------------------------------------------------------- clipping


def test_clip_gradients_matches_torch_clip_grad_norm():
    g = _gen(13)
    params = [torch.randn(3, 4, generator=g, requires_grad=True) for _ in range(2)]
    twins = [p.detach().clone().requires_grad_(True) for p in params]
    for p, q in zip(params, twins, strict=True):
        grad = 10 * torch.randn(p.shape, generator=g)
        p.grad, q.grad = grad.clone(), grad.clone()
    norm = clip_gradients(params, max_norm=1.0)
    expected = nn.utils.clip_grad_norm_(twins, max_norm=1.0)
    assert norm == pytest.approx(expected.item(), rel=1e-6)
    for p, q in zip(params, twins, strict=True):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-6, rtol=1e-5)
    joint = torch.sqrt(sum((p.grad ** 2).sum() for p in params))
    assert joint.item() == pytest.approx(1.0, rel=1e-5)


def test_clip_gradients_leaves_small_gradients_alone_and_needs_gradients():
    p = torch.zeros(3, requires_grad=True)
    p.grad = torch.tensor([0.1, 0.2, 0.2])
    assert clip_gradients([p], max_norm=1.0) == pytest.approx(0.3)
    assert torch.equal(p.grad, torch.tensor([0.1, 0.2, 0.2]))
    with pytest.raises(ValueError, match="no parameter has a gradient"):
        clip_gradients([torch.zeros(2, requires_grad=True)], 1.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_gradients([p], 0.0)


# --------------------------------------------------------------------------- n-gram baseline


def _ngram_reference(train: list[int], test: list[int], n: int, V: int, alpha: float) -> float:
    """Plain-Python add-alpha n-gram with the same shortened contexts at the start."""
    def contexts(ids):
        return [tuple(ids[max(0, t - n + 1):t]) for t in range(len(ids))]

    joint = Counter(zip(contexts(train), train, strict=True))
    ctx = Counter(contexts(train))
    test_ctx = contexts(test)
    nll = [-math.log((joint[(test_ctx[t], test[t])] + alpha) / (ctx[test_ctx[t]] + alpha * V))
           for t in range(1, len(test))]
    return sum(nll) / len(nll)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_ngram_cross_entropy_matches_a_counting_reference(n):
    rng = np.random.default_rng(n)
    train = rng.integers(0, 6, 300).tolist()
    test = rng.integers(0, 6, 80).tolist()
    expected = _ngram_reference(train, test, n, 6, 0.5)
    assert ngram_cross_entropy(train, test, n, 6, alpha=0.5) == pytest.approx(expected)


def test_unigram_with_uniform_counts_has_log_vocab_size_cross_entropy():
    ids = list(range(10)) * 5
    assert ngram_cross_entropy(ids, ids, 1, 10, alpha=1.0) == pytest.approx(math.log(10))


def test_ngram_cross_entropy_validation():
    with pytest.raises(ValueError, match="lie in"):
        ngram_cross_entropy([0, 1, 7], [0, 1], 2, vocab_size=5)
    with pytest.raises(ValueError, match="at least 2"):
        ngram_cross_entropy([0, 1, 2], [1], 2, vocab_size=5)
    with pytest.raises(ValueError, match="empty"):
        ngram_cross_entropy([], [0, 1], 2, vocab_size=5)
    with pytest.raises(ValueError, match="alpha"):
        ngram_cross_entropy([0, 1], [0, 1], 2, vocab_size=5, alpha=0.0)
