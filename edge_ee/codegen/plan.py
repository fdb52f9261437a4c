"""Static memory plan: one arena, every activation tensor and scratch region at a fixed offset, regions reused
when lifetimes do not overlap. The placement is TFLite Micro's greedy planner (largest first, lowest offset
that does not collide with anything alive at the same time), run over all stages as one timeline, so the
features passed from stage k to stage k+1 stay put and need no copy."""

from __future__ import annotations

from dataclasses import dataclass

ALIGN = 4  # int16 scratch and 32-bit loads; the arena itself is 4-byte aligned


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass
class Buffer:
    key: object  # what it holds: ("t", stage, tensor_index) or ("scratch", step)
    size: int
    first: int  # first time step it is alive (written or read)
    last: int  # last time step it is alive
    offset: int = -1

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return not (self.last < other.first or other.last < self.first)


def plan(buffers: list[Buffer]) -> int:
    """Assigns `offset` to each buffer; returns the arena size in bytes."""
    order = sorted(buffers, key=lambda b: (-b.size, b.first))
    placed: list[Buffer] = []
    for b in order:
        conflicts = sorted((p for p in placed if p.overlaps_in_time(b)), key=lambda p: p.offset)
        offset = 0
        for p in conflicts:
            if offset + b.size <= p.offset:
                break
            offset = max(offset, _align(p.offset + p.size))
        b.offset = offset
        placed.append(b)
    return _align(max((b.offset + b.size for b in buffers), default=0))


def check(buffers: list[Buffer]) -> None:
    """Raises AssertionError if two buffers alive at the same time share bytes (used by the tests)."""
    for i, a in enumerate(buffers):
        for b in buffers[i + 1:]:
            if a.overlaps_in_time(b) and a.size and b.size:
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)
