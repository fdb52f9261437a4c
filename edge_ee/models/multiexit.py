"""Multi-exit networks: a backbone cut into K segments, an exit head after each segment.

Stage k runs segment k then head k. For k < K-1 it yields (exit-k logits, feature map f_k); f_k feeds
stage k+1. The last stage's head is the network's own classifier, so "the final exit" is the last exit.
This one structure serves training (all exits at once), inference (stop at stage k) and staging
(each stage exported on its own)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Mapping, Sequence

import torch
from torch import nn

from edge_ee.errors import ConfigError, UnknownName

POOL_TYPES = ("avg", "max")


@dataclass(frozen=True)
class HeadSpec:
    """A small exit head: [pool] -> [conv-BN-ReLU] -> global avg pool | flatten -> [linear-ReLU] -> linear.

    pool: kernel (= stride) of a pool applied first; 0 for none. pool_type: "avg" or "max" (XNNPACK, LiteRT's
    optimized CPU kernels, runs int8 max pooling but not int8 average pooling, which then costs more than the
    head's conv and splits the stage into two delegate partitions).
    conv_channels: output channels of an optional 3x3 (conv_kernel) conv; 0 for none.
    conv_stride: its stride. global_pool: average over H, W before the classifier (else flatten).
    hidden: width of an optional hidden linear layer; 0 for none."""

    pool: int = 0
    pool_type: str = "avg"
    conv_channels: int = 0
    conv_kernel: int = 3
    conv_stride: int = 1
    global_pool: bool = True
    hidden: int = 0

    def __post_init__(self):
        if self.pool_type not in POOL_TYPES:
            raise UnknownName("exit head pool type", self.pool_type, POOL_TYPES)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping) -> "HeadSpec":
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"exit head spec has unknown fields {sorted(unknown)}",
                              "the checkpoint was written by a newer edge_ee; upgrade edge_ee")
        return cls(**d)


class ExitHead(nn.Sequential):
    def __init__(self, spec: HeadSpec, in_shape: Sequence[int], num_classes: int):
        layers: list[nn.Module] = []
        c, h, w = in_shape
        if spec.pool:
            layers.append(nn.AvgPool2d(spec.pool) if spec.pool_type == "avg" else nn.MaxPool2d(spec.pool))
            h, w = h // spec.pool, w // spec.pool
        if spec.conv_channels:
            pad = spec.conv_kernel // 2
            layers += [
                nn.Conv2d(c, spec.conv_channels, spec.conv_kernel, spec.conv_stride, pad, bias=False),
                nn.BatchNorm2d(spec.conv_channels),
                nn.ReLU(inplace=True),
            ]
            c = spec.conv_channels
            h = (h + 2 * pad - spec.conv_kernel) // spec.conv_stride + 1
            w = (w + 2 * pad - spec.conv_kernel) // spec.conv_stride + 1
        if spec.global_pool:
            layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            features = c
        else:
            layers.append(nn.Flatten())
            features = c * h * w
        if spec.hidden:
            layers += [nn.Linear(features, spec.hidden), nn.ReLU(inplace=True)]
            features = spec.hidden
        layers.append(nn.Linear(features, num_classes))
        if h < 1 or w < 1:
            raise ConfigError(f"exit head {spec} does not fit a feature map of shape {tuple(in_shape)}",
                              "use a smaller pool or conv stride for this exit")
        super().__init__(*layers)


class Stage(nn.Module):
    """Stage k of a multi-exit model as a module of its own (what conversion exports)."""

    def __init__(self, segment: nn.Module, head: nn.Module, last: bool):
        super().__init__()
        self.segment, self.head, self.last = segment, head, last

    def forward(self, x):
        f = self.segment(x)
        logits = self.head(f)
        return logits if self.last else (logits, f)


class MultiExitModel(nn.Module):
    """K segments and K heads. `forward` returns the list of all K exits' logits (training);
    `forward_stage` runs one stage; `stage(k)` gives stage k as a module. `head_specs` are the early exits'
    HeadSpecs (a checkpoint records them, so that it rebuilds the heads it was trained with)."""

    def __init__(self, segments: Sequence[nn.Module], heads: Sequence[nn.Module],
                 input_shape: Sequence[int], num_classes: int, exit_names: Sequence[str] | None = None,
                 head_specs: Sequence[HeadSpec] | None = None):
        super().__init__()
        if len(segments) != len(heads) or not segments:
            raise ConfigError("a multi-exit model needs as many heads as segments, at least one")
        self.segments = nn.ModuleList(segments)
        self.heads = nn.ModuleList(heads)
        self.input_shape = tuple(int(d) for d in input_shape)
        self.num_classes = int(num_classes)
        self.exit_names = list(exit_names or [f"exit{k}" for k in range(len(segments))])
        self.head_specs = list(head_specs or [])
        if self.head_specs and len(self.head_specs) != len(segments) - 1:
            raise ConfigError(f"{len(self.head_specs)} head specs for {len(segments) - 1} early exits")

    @property
    def num_exits(self) -> int:
        return len(self.segments)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for segment, head in zip(self.segments, self.heads):
            x = segment(x)
            outs.append(head(x))
        return outs

    def forward_stage(self, k: int, f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.segments[k](f)
        return self.heads[k](f), f

    def stage(self, k: int) -> Stage:
        return Stage(self.segments[k], self.heads[k], last=(k == self.num_exits - 1))

    def stage_input_shapes(self) -> list[tuple[int, ...]]:
        """(C, H, W) entering each stage, found by running a zero input."""
        shapes, f = [], torch.zeros(1, *self.input_shape)
        was_training = self.training
        self.eval()
        with torch.no_grad():
            for k in range(self.num_exits):
                shapes.append(tuple(f.shape[1:]))
                f = self.segments[k](f)
        self.train(was_training)
        return shapes

    def set_head_specs(self, specs: Sequence[HeadSpec]) -> None:
        """Rebuilds the early-exit heads whose spec differs from `specs` (new, untrained weights)."""
        specs = list(specs)
        if len(specs) != self.num_exits - 1:
            raise ConfigError(f"{len(specs)} exit head specs given; the model has {self.num_exits - 1} early exits")
        shapes = self.stage_input_shapes()[1:]
        for k, spec in enumerate(specs):
            if k >= len(self.head_specs) or self.head_specs[k] != spec:
                self.heads[k] = ExitHead(spec, shapes[k], self.num_classes)
        self.head_specs = specs

    def backbone_parameters(self):
        for s in self.segments:
            yield from s.parameters()

    def head_parameters(self, include_final: bool = False):
        heads = self.heads if include_final else self.heads[:-1]
        for h in heads:
            yield from h.parameters()


def attach_exits(backbone: nn.Sequential, exits: Mapping[str, HeadSpec], classifier: str,
                 input_shape: Sequence[int], num_classes: int) -> MultiExitModel:
    """Cuts an `nn.Sequential` backbone after each child named in `exits` and attaches an exit head there.

    `classifier` names the first child of the backbone's own classifier (e.g. pooling + linear); the children
    from it on become the final exit's head. Heads are sized from the feature map at their point."""
    names = [n for n, _ in backbone.named_children()]
    children = dict(backbone.named_children())
    for point in list(exits) + [classifier]:
        if point not in children:
            raise ConfigError(f"the backbone has no child named {point!r}",
                              f"exit points must be names of its children: {', '.join(names)}")
    cls_at = names.index(classifier)
    points = sorted((names.index(p) for p in exits), key=int)
    if points and points[-1] >= cls_at:
        raise ConfigError("an exit point lies at or after the classifier", "place exits before the classifier")
    cuts = [p + 1 for p in points] + [cls_at]
    segments, start = [], 0
    for end in cuts:
        segments.append(nn.Sequential(*[children[n] for n in names[start:end]]))
        start = end
    heads, exit_names, specs = [], [], []
    f = torch.zeros(1, *input_shape)
    backbone.eval()
    with torch.no_grad():
        for i, seg in enumerate(segments[:-1]):
            f = seg(f)
            name = names[points[i]]
            heads.append(ExitHead(exits[name], f.shape[1:], num_classes))
            exit_names.append(name)
            specs.append(exits[name])
    heads.append(nn.Sequential(*[children[n] for n in names[cls_at:]]))
    exit_names.append(classifier)
    backbone.train()
    return MultiExitModel(segments, heads, input_shape, num_classes, exit_names, specs)
