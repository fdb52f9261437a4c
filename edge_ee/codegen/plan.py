"""Static memory plan: one arena, every activation tensor and scratch region at a fixed offset, regions reused
when lifetimes do not overlap. The placement is TFLite Micro's greedy planner (largest first, lowest offset
that does not collide with anything alive at the same time; two other orders are tried and the smallest
arena kept), run over all stages as one timeline, so the features passed from stage k to stage k+1 stay put
and need no copy."""

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


def _place(order: list[Buffer]) -> dict[int, int]:
    """Greedy placement in the given order: each buffer at the lowest offset free during its lifetime."""
    placed: list[tuple[Buffer, int]] = []
    offsets = {}
    for b in order:
        conflicts = sorted(((p, off) for p, off in placed if p.overlaps_in_time(b)), key=lambda po: po[1])
        offset = 0
        for p, off in conflicts:
            if offset + b.size <= off:
                break
            offset = max(offset, _align(off + p.size))
        offsets[id(b)] = offset
        placed.append((b, offset))
    return offsets


def plan(buffers: list[Buffer]) -> int:
    """Assigns `offset` to each buffer; returns the arena size in bytes. Tries TFLite Micro's order (largest
    first) and two others (longest-lived first, earliest first) and keeps the smallest arena."""
    orders = [sorted(buffers, key=lambda b: (-b.size, b.first)),
              sorted(buffers, key=lambda b: (-(b.last - b.first), -b.size, b.first)),
              sorted(buffers, key=lambda b: (b.first, -b.size))]
    best = None
    for order in orders:
        offsets = _place(order)
        size = _align(max((offsets[id(b)] + b.size for b in buffers), default=0))
        if best is None or size < best[0]:
            best = (size, offsets)
    for b in buffers:
        b.offset = best[1][id(b)]
    return best[0]


def check(buffers: list[Buffer]) -> None:
    """Raises AssertionError if two buffers alive at the same time share bytes (used by the tests)."""
    for i, a in enumerate(buffers):
        for b in buffers[i + 1:]:
            if a.overlaps_in_time(b) and a.size and b.size:
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)
