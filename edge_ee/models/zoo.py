"""The model zoo. Each model is a plain `nn.Sequential` backbone (children in execution order) with its exits
attached by name where the reference places them; `build_model` returns the `MultiExitModel`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from torch import nn

from edge_ee.errors import UnknownName
from edge_ee.models.multiexit import HeadSpec, MultiExitModel, attach_exits


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, relu: bool = True,
            padding: int | None = None) -> nn.Sequential:
    pad = k // 2 if padding is None else padding
    layers = [nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """ResNet basic block; a 1x1 conv + BN shortcut where the shape changes (He et al. option B)."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cout, 3, stride), conv_bn(cout, cout, 3, 1, relu=False))
        self.shortcut = (conv_bn(cin, cout, 1, stride, relu=False, padding=0)
                         if stride != 1 or cin != cout else nn.Identity())
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


def classifier(features: int, num_classes: int) -> nn.Sequential:
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(features, num_classes))


def cifar_resnet(depth: int, input_shape, num_classes: int) -> MultiExitModel:
    """He et al.'s CIFAR ResNet-(6n+2); one exit after the first layer group, as in Distiller's
    resnet*_cifar_earlyexit (its exit: 3x3 average pool, then a linear layer)."""
    n = (depth - 2) // 6
    c_in = input_shape[0]

    def group(cin, cout, stride):
        return nn.Sequential(BasicBlock(cin, cout, stride), *[BasicBlock(cout, cout) for _ in range(n - 1)])

    backbone = nn.Sequential()
    backbone.add_module("stem", conv_bn(c_in, 16))
    backbone.add_module("layer1", group(16, 16, 1))
    backbone.add_module("layer2", group(16, 32, 2))
    backbone.add_module("layer3", group(32, 64, 2))
    backbone.add_module("classifier", classifier(64, num_classes))
    return attach_exits(backbone, {"layer1": HeadSpec(pool=3, global_pool=False)}, "classifier",
                        input_shape, num_classes)


def resnet8(input_shape, num_classes: int) -> MultiExitModel:
    """MLPerf Tiny image-classification ResNet-8 (16/32/64 filters, 12.5 M MACs on 32x32x3), with exits after
    stack 1 and stack 2 as T-RECX places them: three stages. The first exit max-pools its 32x32 input: XNNPACK
    has no int8 average pooling, and on the builtin kernel that one op took a third of stage 0's time."""
    backbone = nn.Sequential()
    backbone.add_module("stem", conv_bn(input_shape[0], 16))
    backbone.add_module("stack1", BasicBlock(16, 16, 1))
    backbone.add_module("stack2", BasicBlock(16, 32, 2))
    backbone.add_module("stack3", BasicBlock(32, 64, 2))
    backbone.add_module("classifier", classifier(64, num_classes))
    exits = {
        "stack1": HeadSpec(pool=2, pool_type="max", conv_channels=32, conv_stride=2),
        "stack2": HeadSpec(conv_channels=16, conv_stride=2),
    }
    return attach_exits(backbone, exits, "classifier", input_shape, num_classes)


def dscnn(input_shape, num_classes: int) -> MultiExitModel:
    """MLPerf Tiny keyword-spotting DS-CNN (input 49x10x1 MFCC): a 10x4 stride-2 conv and four depthwise-separable
    blocks of 64 channels; one exit after the second block."""
    c = 64
    backbone = nn.Sequential()
    # TensorFlow's SAME padding for a 10x4 kernel at stride 2 on 49x10: 4 above, 5 below, 1 left, 2 right.
    backbone.add_module("stem", nn.Sequential(nn.ZeroPad2d((1, 2, 4, 5)),
                                              nn.Conv2d(input_shape[0], c, (10, 4), 2, 0, bias=False),
                                              nn.BatchNorm2d(c), nn.ReLU(inplace=True)))
    for i in range(1, 5):
        backbone.add_module(f"ds{i}", nn.Sequential(conv_bn(c, c, 3, 1, groups=c), conv_bn(c, c, 1, padding=0)))
    backbone.add_module("classifier", classifier(c, num_classes))
    return attach_exits(backbone, {"ds2": HeadSpec()}, "classifier", input_shape, num_classes)


def mobilenet_vww(input_shape, num_classes: int) -> MultiExitModel:
    """MobileNetV1 with width 0.25 for 96x96 visual wake words (MLPerf Tiny VWW); one exit after the sixth
    depthwise-separable block (64 channels, 12x12)."""
    cfg = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1), (128, 1), (128, 1), (128, 1),
           (256, 2), (256, 1)]
    backbone = nn.Sequential()
    backbone.add_module("stem", conv_bn(input_shape[0], 8, 3, 2))
    cin = 8
    for i, (cout, stride) in enumerate(cfg, 1):
        backbone.add_module(f"ds{i}", nn.Sequential(conv_bn(cin, cin, 3, stride, groups=cin),
                                                   conv_bn(cin, cout, 1, padding=0)))
        cin = cout
    backbone.add_module("classifier", classifier(cin, num_classes))
    return attach_exits(backbone, {"ds5": HeadSpec(conv_channels=16, conv_stride=2)}, "classifier",
                        input_shape, num_classes)


def digits_cnn(input_shape, num_classes: int) -> MultiExitModel:
    """A small CNN for 8x8 digits or 28x28 MNIST: an early exit after the first conv pair, then the final
    classifier after a second, wider pair."""
    c_in, h, _ = input_shape
    backbone = nn.Sequential()
    if h > 16:  # MNIST-sized input: bring it down to digits scale first
        backbone.add_module("stem", nn.Sequential(conv_bn(c_in, 8, 3, 2), conv_bn(8, 16, 3, 2)))
        c_in = 16
    backbone.add_module("block1", nn.Sequential(conv_bn(c_in, 16), conv_bn(16, 16)))
    backbone.add_module("block2", nn.Sequential(nn.MaxPool2d(2), conv_bn(16, 32), conv_bn(32, 32)))
    backbone.add_module("classifier", classifier(32, num_classes))
    return attach_exits(backbone, {"block1": HeadSpec(pool=2, global_pool=False)}, "classifier",
                        input_shape, num_classes)


@dataclass(frozen=True)
class ZooEntry:
    name: str
    build: Callable[[Sequence[int], int], MultiExitModel]
    input_shape: tuple[int, int, int]  # (C, H, W) the reference uses
    num_classes: int
    dataset: str  # the dataset it is usually trained on here
    description: str


def _resnet(depth):
    return lambda shape, n: cifar_resnet(depth, shape, n)


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        ZooEntry("digits-cnn", digits_cnn, (1, 8, 8), 10, "digits", "small CNN, 1 early exit (8x8 digits / MNIST)"),
        ZooEntry("resnet8", resnet8, (3, 32, 32), 10, "cifar10", "MLPerf Tiny IC ResNet-8, exits after stacks 1, 2"),
        *[ZooEntry(f"resnet{d}", _resnet(d), (3, 32, 32), 10, "cifar10", f"CIFAR ResNet-{d}, exit after layer1")
          for d in (20, 32, 44, 56, 110)],
        ZooEntry("dscnn", dscnn, (1, 49, 10), 12, "kws", "MLPerf Tiny KWS DS-CNN, exit after DS block 2"),
        ZooEntry("mobilenet-vww", mobilenet_vww, (3, 96, 96), 2, "vww", "MobileNetV1-0.25 VWW, exit after block 5"),
    ]
}


def zoo_entry(name: str) -> ZooEntry:
    if name not in ZOO:
        raise UnknownName("model", name, ZOO)
    return ZOO[name]


def build_model(name: str, input_shape: Sequence[int] | None = None, num_classes: int | None = None) -> MultiExitModel:
    entry = zoo_entry(name)
    model = entry.build(tuple(input_shape or entry.input_shape), num_classes or entry.num_classes)
    model.zoo_name = name
    return model
