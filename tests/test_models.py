"""The zoo: structure, stage-by-stage execution and exact MAC counts."""

import pytest
import torch
from torch import nn

from edge_ee.errors import ConfigError, UnknownName
from edge_ee.macs import CostTable, stage_macs
from edge_ee.models import ZOO, HeadSpec, attach_exits, build_model


def conv_macs(h, w, cout, cin, k):
    return h * w * cout * cin * k * k


def test_resnet8_backbone_has_the_published_12_5_million_macs():
    # MLPerf Tiny IC ResNet-8 on 32x32x3, counted layer by layer.
    expected = (conv_macs(32, 32, 16, 3, 3)                                   # stem
                + 2 * conv_macs(32, 32, 16, 16, 3)                            # stack 1
                + conv_macs(16, 16, 32, 16, 3) + conv_macs(16, 16, 32, 32, 3)  # stack 2
                + conv_macs(16, 16, 32, 16, 1)                                # its 1x1 shortcut
                + conv_macs(8, 8, 64, 32, 3) + conv_macs(8, 8, 64, 64, 3) + conv_macs(8, 8, 64, 32, 1)
                + 64 * 10)                                                     # classifier
    table = CostTable(stage_macs(build_model("resnet8")))
    assert table.full_backbone == expected == 12_501_632
    assert table.num_exits == 3


def test_resnet20_macs_and_its_single_exit_after_layer1():
    model = build_model("resnet20")
    stages = stage_macs(model)
    layer1 = conv_macs(32, 32, 16, 3, 3) + 6 * conv_macs(32, 32, 16, 16, 3)
    layer2 = conv_macs(16, 16, 32, 16, 3) + 5 * conv_macs(16, 16, 32, 32, 3) + conv_macs(16, 16, 32, 16, 1)
    layer3 = conv_macs(8, 8, 64, 32, 3) + 5 * conv_macs(8, 8, 64, 64, 3) + conv_macs(8, 8, 64, 32, 1)
    assert stages[0].backbone_macs == layer1
    assert stages[1].backbone_macs == layer2 + layer3
    assert stages[1].head_macs == 640
    # Distiller's exit: 3x3 average pool on 16x32x32 -> 16x10x10, then a linear layer.
    assert stages[0].head_macs == 16 * 10 * 10 * 10
    assert model.exit_names == ["layer1", "classifier"]


@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_zoo_model_runs_stage_by_stage_like_all_at_once(name):
    torch.manual_seed(0)
    model = build_model(name).eval()
    x = torch.randn(2, *model.input_shape)
    with torch.no_grad():
        all_exits = model(x)
        f = x
        for k in range(model.num_exits):
            stage = model.stage(k)
            out = stage(f)
            logits, f = (out, None) if k == model.num_exits - 1 else out
            assert torch.equal(logits, all_exits[k])
    assert len(all_exits) == model.num_exits >= 2
    assert all(o.shape == (2, ZOO[name].num_classes) for o in all_exits)


def test_depthwise_models_keep_depthwise_convolutions():
    for name in ("dscnn", "mobilenet-vww"):
        convs = [m for m in build_model(name).modules() if isinstance(m, nn.Conv2d)]
        assert any(c.groups == c.in_channels > 1 for c in convs), name


def test_attach_exits_names_the_available_points_on_a_typo():
    backbone = nn.Sequential()
    backbone.add_module("a", nn.Conv2d(1, 4, 3, padding=1))
    backbone.add_module("b", nn.Conv2d(4, 4, 3, padding=1))
    backbone.add_module("cls", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)))
    with pytest.raises(ConfigError, match="children: a, b, cls"):
        attach_exits(backbone, {"c": HeadSpec()}, "cls", (1, 8, 8), 3)
    model = attach_exits(backbone, {"a": HeadSpec(conv_channels=2)}, "cls", (1, 8, 8), 3)
    assert model.num_exits == 2 and model.stage_input_shapes() == [(1, 8, 8), (4, 8, 8)]


def test_unknown_model_lists_the_zoo():
    with pytest.raises(UnknownName, match="resnet8"):
        build_model("resnet9")


def test_digits_cnn_takes_mnist_sized_input_too():
    model = build_model("digits-cnn", (1, 28, 28), 10).eval()
    with torch.no_grad():
        outs = model(torch.zeros(3, 1, 28, 28))
    assert [o.shape for o in outs] == [(3, 10), (3, 10)]


def test_resnet8_first_exit_max_pools_so_xnnpack_runs_it():
    head = build_model("resnet8").heads[0]
    assert isinstance(head[0], nn.MaxPool2d) and head[0].kernel_size == 2
    with pytest.raises(UnknownName, match="avg, max"):
        HeadSpec(pool=2, pool_type="median")
