"""Unit tests for helpers.nas (lecture 9.3: neural architecture search)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from helpers.nas import (
    CANDIDATE_OPS,
    CNN_KEYS,
    DartsHistory,
    MixedOp,
    Supernet,
    build_cnn,
    cnn_num_parameters,
    cnn_search_space,
    compound_coefficients,
    compound_scale,
    conv_flops,
    count_flops,
    dense_flops,
    derived_cnn,
    digit_images,
    flops_by_layer,
    make_op,
    scalable_cnn,
    scalable_cnn_flops,
    torch_flops,
    train_darts,
)
from helpers.neural import count_parameters
from helpers.tuning import DataSplit, SearchSpace, load_digits_split

BASE = {"num_blocks": 2, "channels": 4, "kernel_size": 3, "pool": True, "num_hiddens": 16}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def split() -> DataSplit:
    return load_digits_split(seed=0)


@pytest.fixture(scope="module")
def images(split) -> DataSplit:
    return digit_images(split)


# --------------------------------------------------------------------------- search space


def test_search_space_is_a_tuning_search_space_of_108_architectures():
    space = cnn_search_space()
    assert isinstance(space, SearchSpace)
    assert list(space) == list(CNN_KEYS)
    assert space.grid_size(1) == 3 * 3 * 2 * 2 * 3


def test_sampled_configurations_build(np_rng):
    space = cnn_search_space()
    for config in space.sample_many(np_rng, 5):
        net = build_cnn(config)
        assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


@pytest.mark.parametrize("image_size", [4, 8, 12])
def test_every_architecture_has_the_right_output_shape_and_parameter_count(image_size):
    for config in cnn_search_space().grid(1):
        net = build_cnn(config, image_size, in_channels=2, num_classes=7)
        assert net(torch.zeros(3, 2, image_size, image_size)).shape == (3, 7)
        assert count_parameters(net) == cnn_num_parameters(config, image_size, 2, 7)


def test_pooling_stops_when_the_feature_map_is_one_pixel():
    config = {**BASE, "num_blocks": 3, "pool": True}
    net = build_cnn(config, image_size=4)
    assert sum(isinstance(m, nn.MaxPool2d) for m in net) == 2
    assert net(torch.zeros(1, 1, 4, 4)).shape == (1, 10)


def test_no_hidden_layer_when_num_hiddens_is_zero():
    net = build_cnn({**BASE, "num_hiddens": 0})
    assert sum(isinstance(m, nn.Linear) for m in net) == 1


def test_build_cnn_seed_is_reproducible_and_leaves_the_global_generator_alone():
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    a = build_cnn(BASE, seed=3)
    after = torch.rand(1)
    b = build_cnn(BASE, seed=3)
    assert torch.equal(after, expected)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize("bad, error", [
    ({k: v for k, v in BASE.items() if k != "pool"}, ValueError),
    ({**BASE, "depth": 3}, ValueError),
    ({**BASE, "kernel_size": 4}, ValueError),
    ({**BASE, "num_blocks": 0}, ValueError),
    ({**BASE, "num_hiddens": -1}, ValueError),
    ({**BASE, "channels": 2.5}, TypeError),
    ({**BASE, "pool": "yes"}, TypeError),
])
def test_invalid_configurations_are_rejected(bad, error):
    with pytest.raises(error):
        build_cnn(bad)
    with pytest.raises(error):
        cnn_num_parameters(bad)


def test_build_cnn_rejects_a_non_mapping_and_bad_sizes():
    with pytest.raises(TypeError, match="mapping"):
        build_cnn([("num_blocks", 1)])
    with pytest.raises(ValueError, match="image_size"):
        build_cnn(BASE, image_size=0)
    with pytest.raises(TypeError, match="seed"):
        build_cnn(BASE, seed=1.0)


# --------------------------------------------------------------------------- images


def test_digit_images_reshapes_rows_into_8x8_float32_images(split):
    data = digit_images(split)
    assert data.X_train.shape == (len(split.X_train), 1, 8, 8)
    assert data.X_train.dtype == torch.float32
    assert torch.allclose(data.X_test.reshape(len(split.X_test), 64), split.X_test.float())
    assert torch.equal(data.y_val, split.y_val)


def test_digit_images_upsamples_bilinearly(split):
    data = digit_images(split, 12)
    expected = nn.functional.interpolate(split.X_val.reshape(-1, 1, 8, 8).float(), size=(12, 12),
                                         mode="bilinear", align_corners=False)
    assert data.X_val.shape == (len(split.X_val), 1, 12, 12)
    assert torch.equal(data.X_val, expected)


def test_digit_images_rejects_bad_input(split):
    with pytest.raises(TypeError, match="DataSplit"):
        digit_images(split.X_train)
    with pytest.raises(ValueError, match=">= 8"):
        digit_images(split, 4)
    wrong = DataSplit(split.X_train[:, :10], split.y_train, split.X_val, split.y_val,
                      split.X_test, split.y_test)
    with pytest.raises(ValueError, match="64 pixels"):
        digit_images(wrong)


# --------------------------------------------------------------------------- FLOPs


def test_layer_flop_formulas():
    assert conv_flops(3, 8, 3, 10) == 2 * 8 * 3 * 9 * 100
    assert conv_flops(8, 8, (3, 1), (4, 5), groups=8) == 2 * 8 * 1 * 3 * 20
    assert dense_flops(64, 10) == 2 * 640
    with pytest.raises(ValueError, match="groups"):
        conv_flops(6, 4, 3, 4, groups=4)
    with pytest.raises(ValueError, match="pair"):
        conv_flops(1, 1, 3, (1, 2, 3))


def test_count_flops_matches_torch_on_random_architectures(np_rng):
    space = cnn_search_space()
    for config in space.sample_many(np_rng, 6):
        net = build_cnn(config, image_size=12)
        assert count_flops(net, (1, 12, 12)) == torch_flops(net, (1, 12, 12))


def test_count_flops_matches_torch_on_grouped_strided_convolutions_and_3d_linear():
    net = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2), nn.ReLU(),
                        nn.Conv2d(8, 8, (1, 3), groups=8), nn.Linear(4, 5))
    assert count_flops(net, (4, 9, 11)) == torch_flops(net, (4, 9, 11))


def test_count_flops_matches_torch_on_the_supernet_and_its_subnetworks():
    net = Supernet(num_cells=2, channels=4)
    assert count_flops(net, (1, 8, 8)) == torch_flops(net, (1, 8, 8))
    choices = ["conv5x5", "skip"]
    sub = count_flops(net, (1, 8, 8), choices=choices)
    assert sub == torch_flops(net, (1, 8, 8), choices=choices)
    assert sub == count_flops(derived_cnn(choices, channels=4), (1, 8, 8))


def test_flops_by_layer_lists_conv_and_linear_layers_in_call_order():
    net = build_cnn(BASE)
    layers = flops_by_layer(net, (1, 8, 8))
    assert [name for name, _ in layers] == ["0", "3", "7", "9"]
    assert layers[0][1] == conv_flops(1, 4, 3, 8)
    assert layers[1][1] == conv_flops(4, 4, 3, 4)


def test_count_flops_restores_training_mode_and_needs_no_gradients():
    net = build_cnn(BASE)
    net.train()
    count_flops(net, (1, 8, 8))
    assert net.training
    assert all(p.grad is None for p in net.parameters())


def test_flop_counters_reject_bad_arguments():
    net = build_cnn(BASE)
    for counter in (count_flops, torch_flops):
        with pytest.raises(TypeError, match="Module"):
            counter("net", (1, 8, 8))
        with pytest.raises(TypeError, match="tuple"):
            counter(net, 8)
        with pytest.raises(ValueError, match="empty"):
            counter(net, ())
        with pytest.raises(ValueError, match=">= 1"):
            counter(net, (1, 0, 8))


# --------------------------------------------------------------------------- scaling


@pytest.mark.parametrize("depth, width, resolution, kernel_size, pooled_size",
                         [(0, 3, 8, 3, 2), (2, 8, 8, 3, 2), (3, 5, 11, 5, 4), (1, 4, 16, 3, 1)])
def test_scalable_cnn_flops_closed_form_matches_the_counters(depth, width, resolution,
                                                             kernel_size, pooled_size):
    net = scalable_cnn(depth, width, kernel_size=kernel_size, pooled_size=pooled_size)
    expected = scalable_cnn_flops(depth, width, resolution, kernel_size=kernel_size,
                                  pooled_size=pooled_size)
    shape = (1, resolution, resolution)
    assert count_flops(net, shape) == expected == torch_flops(net, shape)
    assert net(torch.zeros(2, *shape)).shape == (2, 10)


def test_flops_grow_as_depth_times_width_squared_times_resolution_squared():
    base = scalable_cnn_flops(8, 32, 16)
    assert scalable_cnn_flops(16, 32, 16) / base == pytest.approx(2, rel=0.01)
    assert scalable_cnn_flops(8, 64, 16) / base == pytest.approx(4, rel=0.01)
    assert scalable_cnn_flops(8, 32, 32) / base == pytest.approx(4, rel=0.01)


def test_scalable_cnn_rejects_bad_arguments():
    with pytest.raises(ValueError, match="depth"):
        scalable_cnn(-1, 4)
    with pytest.raises(ValueError, match="odd"):
        scalable_cnn(1, 4, kernel_size=2)
    with pytest.raises(ValueError, match="pooled_size"):
        scalable_cnn_flops(1, 4, 2, pooled_size=3)


def test_compound_scale_at_phi_zero_is_the_base_network():
    assert compound_scale(0, base_depth=3, base_width=8, base_resolution=8) == {
        "depth": 3, "width": 8, "resolution": 8}


def test_compound_scale_rounds_depth_up_and_width_and_resolution_to_nearest():
    scaled = compound_scale(1, base_depth=3, base_width=8, base_resolution=8)
    assert scaled == {"depth": math.ceil(3 * 1.2), "width": round(8 * 1.1),
                      "resolution": round(8 * 1.15)}
    assert compound_scale(2, base_depth=10, base_width=100, base_resolution=100,
                          alpha=2, beta=1, gamma=1) == {"depth": 40, "width": 100,
                                                        "resolution": 100}


def test_efficientnet_coefficients_roughly_double_the_flops_per_unit_of_phi():
    alpha, beta, gamma = 1.2, 1.1, 1.15
    assert alpha * beta**2 * gamma**2 == pytest.approx(2, abs=0.1)
    big = compound_scale(3, base_depth=100, base_width=1000, base_resolution=1000)
    ratio = big["depth"] / 100 * (big["width"] / 1000) ** 2 * (big["resolution"] / 1000) ** 2
    assert ratio == pytest.approx((alpha * beta**2 * gamma**2) ** 3, rel=0.01)


def test_compound_scale_rejects_bad_arguments():
    with pytest.raises(ValueError, match="phi"):
        compound_scale(-1, base_depth=1, base_width=1, base_resolution=1)
    with pytest.raises(ValueError, match="phi"):
        compound_scale(math.nan, base_depth=1, base_width=1, base_resolution=1)
    with pytest.raises(ValueError, match="alpha"):
        compound_scale(1, base_depth=1, base_width=1, base_resolution=1, alpha=0.9)
    with pytest.raises(ValueError, match="base_width"):
        compound_scale(1, base_depth=1, base_width=0, base_resolution=1)


def test_compound_coefficients_satisfy_the_constraint_and_contain_efficientnets():
    grid = compound_coefficients(step=0.05, max_value=1.5, target=2, tol=0.1)
    assert (1.2, 1.1, 1.15) in grid
    assert all(abs(a * b**2 * g**2 - 2) <= 0.1 for a, b, g in grid)
    brute = [t for t in itertools.product([1 + 0.05 * i for i in range(11)], repeat=3)
             if abs(t[0] * t[1] ** 2 * t[2] ** 2 - 2) <= 0.1]
    assert len(grid) == len(brute)
    with pytest.raises(ValueError, match="max_value"):
        compound_coefficients(max_value=0.5)


# --------------------------------------------------------------------------- DARTS


@pytest.mark.parametrize("name", CANDIDATE_OPS)
def test_candidate_operations_keep_channels_and_size(name):
    op = make_op(name, 3)
    assert op(torch.randn(2, 3, 5, 5)).shape == (2, 3, 5, 5)


def test_make_op_rejects_unknown_operations():
    with pytest.raises(ValueError, match="unknown operation"):
        make_op("conv7x7", 3)


def test_mixed_op_with_one_hot_weights_is_the_chosen_operation():
    torch.manual_seed(0)
    mixed = MixedOp(3)
    x = torch.randn(2, 3, 6, 6)
    for i, op in enumerate(mixed.ops):
        weights = torch.zeros(len(CANDIDATE_OPS))
        weights[i] = 1
        assert torch.allclose(mixed(x, weights), op(x))
        assert torch.equal(mixed(x, choice=i), op(x))


def test_mixed_op_is_the_weighted_sum_of_its_candidates():
    torch.manual_seed(0)
    mixed = MixedOp(2, ops=("conv3x3", "skip"))
    x = torch.randn(1, 2, 4, 4)
    w = torch.tensor([0.3, 0.7])
    assert torch.allclose(mixed(x, w), 0.3 * mixed.ops[0](x) + 0.7 * x)


def test_mixed_op_rejects_bad_weights_and_operations():
    mixed = MixedOp(2)
    with pytest.raises(ValueError, match="shape"):
        mixed(torch.zeros(1, 2, 4, 4), torch.ones(3))
    with pytest.raises(ValueError, match="at least two"):
        MixedOp(2, ops=("skip",))
    with pytest.raises(ValueError, match="distinct"):
        MixedOp(2, ops=("skip", "skip"))
    with pytest.raises(TypeError, match="sequence"):
        MixedOp(2, ops="skip")


def test_supernet_starts_with_equal_weights_and_separates_alpha_from_weights():
    net = Supernet(num_cells=3, channels=4)
    assert net.num_architectures == 4**3
    assert torch.allclose(net.op_weights(), torch.full((3, 4), 0.25))
    assert net.arch_parameters() == [net.alpha]
    assert all(p is not net.alpha for p in net.weight_parameters())
    n_weights = sum(p.numel() for p in net.weight_parameters())
    assert n_weights + net.alpha.numel() == count_parameters(net)
    assert net(torch.zeros(5, 1, 8, 8)).shape == (5, 10)


def test_supernet_derives_the_argmax_operation_of_every_cell():
    net = Supernet(num_cells=3, channels=2)
    with torch.no_grad():
        net.alpha[0, 1] = 2.0
        net.alpha[1, 3] = 1.0
        net.alpha[2, 2] = 0.5
    assert net.derive() == ["conv5x5", "skip", "maxpool3x3"]


def test_a_supernet_with_a_dominant_alpha_computes_that_subnetwork():
    torch.manual_seed(0)
    net = Supernet(num_cells=2, channels=3)
    with torch.no_grad():
        net.alpha.zero_()
        net.alpha[0, 0] = 50.0
        net.alpha[1, 2] = 50.0
    x = torch.randn(4, 1, 8, 8)
    assert torch.allclose(net(x), net(x, ["conv3x3", "maxpool3x3"]), atol=1e-5)


def test_derived_cnn_with_inherited_weights_equals_the_supernet_subnetwork():
    torch.manual_seed(0)
    net = Supernet(num_cells=3, channels=4)
    choices = ["conv3x3", "skip", "conv5x5"]
    sub = derived_cnn(choices, channels=4)
    sub[0].load_state_dict(net.stem.state_dict())
    for i, c in enumerate(choices):
        sub[i + 1].load_state_dict(net.cells[i].ops[CANDIDATE_OPS.index(c)].state_dict())
    sub[-1].load_state_dict(net.head.state_dict())
    x = torch.randn(3, 1, 8, 8)
    assert torch.allclose(sub(x), net(x, choices))


def test_supernet_rejects_bad_choices():
    net = Supernet(num_cells=2, channels=2)
    x = torch.zeros(1, 1, 8, 8)
    with pytest.raises(ValueError, match="2 operations"):
        net(x, ["skip"])
    with pytest.raises(ValueError, match="unknown operation"):
        net(x, ["skip", "conv7x7"])
    with pytest.raises(TypeError, match="sequence"):
        net(x, "skip")
    with pytest.raises(ValueError, match="unknown operation"):
        Supernet(ops=("skip", "zero"))


def test_derived_cnn_rejects_bad_choices():
    with pytest.raises(TypeError, match="non-empty"):
        derived_cnn([])
    with pytest.raises(ValueError, match="unknown operation"):
        derived_cnn(["conv9x9"])


@pytest.fixture(scope="module")
def darts_run(images):
    X_train, y_train = images.X_train[:256], images.y_train[:256]
    X_val, y_val = images.X_val[:96], images.y_val[:96]
    runs = []
    for _ in range(2):
        net = Supernet(num_cells=2, channels=4, seed=0)
        history = train_darts(net, X_train, y_train, X_val, y_val, num_epochs=3, batch_size=64,
                              seed=1)
        runs.append((net, history))
    return runs


def test_train_darts_records_every_epoch(darts_run):
    net, history = darts_run[0]
    assert isinstance(history, DartsHistory)
    assert history.num_epochs == 3
    assert len(history.op_weights) == 4 and len(history.val_acc) == 3
    assert np.allclose(history.op_weights[0], 0.25)
    assert np.allclose(history.op_weights[-1], net.op_weights().numpy())
    for w in history.op_weights:
        assert np.allclose(w.sum(axis=1), 1.0, atol=1e-6)


def test_train_darts_updates_alpha_and_lowers_the_training_loss(darts_run):
    _, history = darts_run[0]
    assert not np.allclose(history.op_weights[-1], history.op_weights[0])
    assert history.train_loss[-1] < history.train_loss[0]


def test_train_darts_is_reproducible(darts_run):
    (a, ha), (b, hb) = darts_run
    assert torch.equal(a.alpha, b.alpha)
    assert ha.train_loss == hb.train_loss


def test_alpha_is_trained_on_the_validation_data_only(images):
    """With a learning rate of ~0 for the weights, alpha still moves: its gradient comes
    from the validation batches; with arch_lr ~0, alpha stays put."""
    X, y = images.X_train[:64], images.y_train[:64]
    net = Supernet(num_cells=1, channels=2, seed=0)
    train_darts(net, X, y, X, y, num_epochs=1, batch_size=64, arch_lr=1e-12)
    assert torch.allclose(net.alpha, torch.zeros_like(net.alpha), atol=1e-9)
    # labels of the validation data drive alpha: different labels, different alpha
    alphas = []
    for y_val in (y, (y + 1) % 10):
        net = Supernet(num_cells=1, channels=2, seed=0)
        train_darts(net, X, y, X, y_val, num_epochs=1, batch_size=64)
        alphas.append(net.alpha.detach().clone())
    assert not torch.allclose(alphas[0], alphas[1])


def test_train_darts_rejects_bad_arguments(images):
    X, y = images.X_train[:8], images.y_train[:8]
    net = Supernet(num_cells=1, channels=2)
    with pytest.raises(TypeError, match="Supernet"):
        train_darts(nn.Linear(2, 2), X, y, X, y, num_epochs=1)
    with pytest.raises(ValueError, match=r"\(n, c, h, w\)"):
        train_darts(net, X.reshape(8, 64), y, X, y, num_epochs=1)
    with pytest.raises(ValueError, match="X_train and y_train must have the same length"):
        train_darts(net, X, y[:4], X, y, num_epochs=1)
    with pytest.raises(ValueError, match="NaN"):
        train_darts(net, X, y, torch.full_like(X, math.nan), y, num_epochs=1)
    with pytest.raises(ValueError, match="arch_lr"):
        train_darts(net, X, y, X, y, num_epochs=1, arch_lr=0)
    with pytest.raises(ValueError, match="num_epochs"):
        train_darts(net, X, y, X, y, num_epochs=0)
