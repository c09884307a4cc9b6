"""Unit tests for helpers.training (the reusable training loop, from lecture 3.5 on)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers.training import History, accuracy, evaluate, make_loader, predict, train


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _blobs(n: int = 120, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three well-separated Gaussian classes in 2-D."""
    y = torch.arange(n) % 3
    centers = torch.tensor([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    return centers[y] + 0.5 * torch.randn(n, 2, generator=_gen(seed)), y


def _net(seed: int = 0, d_in: int = 2, d_out: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d_in, 8), nn.ReLU(), nn.Linear(8, d_out))


# --------------------------------------------------------------------------- make_loader


def test_loader_covers_every_example_once_with_a_smaller_last_batch():
    X, y = torch.arange(23.0).reshape(23, 1), torch.arange(23)
    batches = list(make_loader(X, y, 5, seed=0))
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]
    assert sorted(int(i) for _, yb in batches for i in yb) == list(range(23))
    assert all(torch.equal(Xb[:, 0].long(), yb) for Xb, yb in batches)


def test_loader_order_is_reproducible_from_the_seed_and_changes_between_epochs():
    X, y = torch.zeros(20, 1), torch.arange(20)

    def orders(seed):
        loader = make_loader(X, y, 20, seed=seed)
        return [next(iter(loader))[1].tolist() for _ in range(2)]

    first, second = orders(3)
    assert orders(3) == [first, second]
    assert first != second and sorted(first) == list(range(20))
    assert orders(4)[0] != first


def test_loader_without_shuffle_keeps_the_order_and_uses_no_workers():
    X, y = torch.zeros(7, 1), torch.arange(7)
    loader = make_loader(X, y, 3, shuffle=False)
    assert loader.num_workers == 0
    assert [yb.tolist() for _, yb in loader] == [[0, 1, 2], [3, 4, 5], [6]]


def test_loader_validates_its_arguments():
    with pytest.raises(ValueError, match="X and y must have the same length"):
        make_loader(torch.zeros(3, 1), torch.zeros(2), 2)
    with pytest.raises(ValueError, match="empty"):
        make_loader(torch.zeros(0, 1), torch.zeros(0), 2)
    with pytest.raises(ValueError, match="batch_size"):
        make_loader(torch.zeros(3, 1), torch.zeros(3), 0)
    with pytest.raises(TypeError, match="X must be a torch tensor"):
        make_loader([[1.0]], [1], 1)


# --------------------------------------------------------------------------- metrics


def test_accuracy_for_logits_single_logits_and_ties():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 1.0]])
    assert accuracy(logits, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)  # tie -> class 0
    assert accuracy(torch.tensor([0.5, -2.0, 3.0]), torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)
    assert accuracy(torch.tensor([[0.5], [-2.0]]), torch.tensor([1.0, 0.0])) == 1.0


def test_accuracy_with_one_class_only():
    assert accuracy(torch.tensor([[0.0, 5.0]] * 4), torch.ones(4, dtype=torch.long)) == 1.0


def test_accuracy_rejects_empty_or_mismatched_input():
    with pytest.raises(ValueError, match="empty"):
        accuracy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match="same length"):
        accuracy(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="shape"):
        accuracy(torch.zeros(3, 2, 2), torch.zeros(3, dtype=torch.long))


def test_predict_restores_training_mode_and_uses_eval_mode_inside():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9))
    X = torch.ones(50, 4)
    out = predict(net, X, batch_size=7)
    assert net.training
    torch.testing.assert_close(out, net[0](X).detach())  # dropout off in eval mode


def test_evaluate_matches_a_direct_computation():
    X, y = _blobs()
    net = _net()
    loss, acc = evaluate(net, X, y)
    with torch.no_grad():
        out = net(X)
    assert loss == pytest.approx(nn.functional.cross_entropy(out, y).item(), rel=1e-5)
    assert acc == accuracy(out, y)


def test_evaluate_regression_returns_no_accuracy():
    X = torch.randn(30, 2, generator=_gen(0))
    y = X.sum(dim=1, keepdim=True)
    loss, acc = evaluate(_net(d_out=1), X, y, task="regression")
    assert acc is None and loss > 0


# --------------------------------------------------------------------------- train


def test_training_decreases_the_loss_and_learns_a_separable_problem():
    X, y = _blobs()
    history = train(_net(), X, y, num_epochs=15, batch_size=16, lr=0.1, X_val=X, y_val=y)
    assert isinstance(history, History) and history.num_epochs == 15
    assert history.train_loss[-1] < 0.25 * history.train_loss[0]
    assert history.train_acc[-1] == 1.0 and history.val_acc[-1] == 1.0
    assert len(history.val_loss) == len(history.val_acc) == 15


def test_training_is_reproducible_with_the_same_seed_and_differs_with_another():
    X, y = _blobs()
    runs = [train(_net(), X, y, num_epochs=3, batch_size=10, lr=0.05, seed=s).train_loss
            for s in (1, 1, 2)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_training_with_dropout_is_reproducible_and_leaves_global_rng_alone():
    X, y = _blobs()

    def run():
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
        before = torch.get_rng_state()
        history = train(net, X, y, num_epochs=2, batch_size=8, lr=0.1, seed=5)
        assert torch.equal(before, torch.get_rng_state())
        return history.train_loss

    assert run() == run()


def test_training_regression_with_mse():
    X = torch.randn(200, 3, generator=_gen(0))
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    torch.manual_seed(0)
    net = nn.Linear(3, 1)
    history = train(net, X, y, num_epochs=20, batch_size=20, lr=0.05, task="regression",
                    X_val=X, y_val=y)
    assert history.train_acc == [] and history.val_acc == []
    assert history.val_loss[-1] < 1e-3


def test_training_with_an_optimizer_instance_and_adam_by_name():
    X, y = _blobs()
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    assert train(net, X, y, num_epochs=5, batch_size=16, optimizer=opt).train_acc[-1] > 0.9
    assert train(_net(), X, y, num_epochs=5, batch_size=16, lr=0.01,
                 optimizer="adam").train_acc[-1] > 0.9


def test_training_rejects_a_regression_shape_that_would_broadcast():
    X = torch.randn(20, 3, generator=_gen(0))
    with pytest.raises(ValueError, match="must match"):
        train(nn.Linear(3, 1), X, X.sum(dim=1), num_epochs=1, batch_size=5, task="regression")


def test_training_rejects_bad_labels_and_data():
    X, y = _blobs()
    with pytest.raises(ValueError, match="labels must lie"):
        train(_net(d_out=2), X, y, num_epochs=1, batch_size=200)
    with pytest.raises(TypeError, match="integer"):
        train(_net(), X, y.float(), num_epochs=1, batch_size=16)
    X_nan = X.clone()
    X_nan[3, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        train(_net(), X_nan, y, num_epochs=1, batch_size=16)
    with pytest.raises(ValueError, match="X_train and y_train must have the same length"):
        train(_net(), X, y[:-1], num_epochs=1, batch_size=16)
    with pytest.raises(TypeError, match="floating"):
        train(_net(), X.long(), y, num_epochs=1, batch_size=16)


def test_training_rejects_bad_hyper_parameters():
    X, y = _blobs()
    with pytest.raises(ValueError, match="num_epochs"):
        train(_net(), X, y, num_epochs=0, batch_size=16)
    with pytest.raises(ValueError, match="lr"):
        train(_net(), X, y, num_epochs=1, batch_size=16, lr=-0.1)
    with pytest.raises(ValueError, match="optimizer"):
        train(_net(), X, y, num_epochs=1, batch_size=16, optimizer="rmsprop")
    with pytest.raises(ValueError, match="task"):
        train(_net(), X, y, num_epochs=1, batch_size=16, task="ranking")
    with pytest.raises(ValueError, match="both X_val and y_val"):
        train(_net(), X, y, num_epochs=1, batch_size=16, X_val=X)
    with pytest.raises(ValueError, match="reduction"):
        train(_net(), X, y, num_epochs=1, batch_size=16,
              loss=nn.CrossEntropyLoss(reduction="sum"))
    with pytest.raises(TypeError, match="nn.Module"):
        train(lambda x: x, X, y, num_epochs=1, batch_size=16)


def test_a_diverging_run_is_recorded_not_hidden():
    X = torch.randn(50, 2, generator=_gen(0)) * 100
    y = X.sum(dim=1, keepdim=True)
    history = train(nn.Linear(2, 1), X, y, num_epochs=3, batch_size=10, lr=10.0,
                    task="regression")
    assert not torch.isfinite(torch.tensor(history.train_loss[-1]))
