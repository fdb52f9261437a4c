"""Exact multiply-accumulate counts: every Conv2d and Linear, counted from the shapes they actually see.
Pooling, batch norm, additions and activations are not MACs (the convention of the published figures)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from edge_ee.models.multiexit import MultiExitModel


def module_macs(module: nn.Module, x: torch.Tensor) -> tuple[int, torch.Tensor]:
    """MACs of one forward pass of `module` on `x` (batch 1), and its output."""
    total = 0

    def hook(m, inp, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            total += out.shape[1] * out.shape[2] * out.shape[3] * (m.in_channels // m.groups) * kh * kw
        elif isinstance(m, nn.Linear):
            total += m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            out = module(x)
    finally:
        for h in handles:
            h.remove()
    return total, out


@dataclass(frozen=True)
class StageMacs:
    backbone_macs: int
    head_macs: int


def stage_macs(model: MultiExitModel) -> list[StageMacs]:
    was_training = model.training
    model.eval()
    f = torch.zeros(1, *model.input_shape)
    result = []
    for segment, head in zip(model.segments, model.heads):
        b, f = module_macs(segment, f)
        h, _ = module_macs(head, f)
        result.append(StageMacs(b, h))
    model.train(was_training)
    return result


def param_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@dataclass(frozen=True)
class CostTable:
    """The seed article's Figure-4 table: cost of stopping at each exit, with and without head overhead."""

    stages: list[StageMacs]

    @property
    def num_exits(self) -> int:
        return len(self.stages)

    @property
    def full_backbone(self) -> int:
        """The original network: all backbone segments plus the final classifier, no early-exit heads."""
        return sum(s.backbone_macs for s in self.stages) + self.stages[-1].head_macs

    def through_exit(self, k: int) -> int:
        """MACs spent by an input that leaves at exit k: segments 0..k and heads 0..k (every head it passed
        was evaluated)."""
        return sum(s.backbone_macs + s.head_macs for s in self.stages[: k + 1])

    @property
    def worst_case(self) -> int:
        return self.through_exit(self.num_exits - 1)

    def average(self, fractions) -> float:
        return float(sum(f * self.through_exit(k) for k, f in enumerate(fractions)))

    def savings(self, fractions) -> float:
        return 1.0 - self.average(fractions) / self.full_backbone

    def speedup(self, fractions) -> float:
        return self.full_backbone / self.average(fractions)

    def rows(self, fractions=None) -> list[dict]:
        rows = []
        for k, s in enumerate(self.stages):
            row = {"exit": k, "backbone_macs": s.backbone_macs, "head_macs": s.head_macs,
                   "macs_through_exit": self.through_exit(k)}
            if fractions is not None:
                row["fraction"] = float(fractions[k])
            rows.append(row)
        return rows
