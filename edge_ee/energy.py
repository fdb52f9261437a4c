"""Modeled energy: MACs or instruction counts -> time and energy on a board, through the board's stated
calibration (`boards/<name>.toml`, [power]). Everything here is a model, labeled so wherever it is reported;
measured energy comes from a power monitor (DESIGN.md section 6).

  mcu-cycles  time = MACs x cycles_per_mac[kernels] / clock_hz;  energy = time x active_power
              instructions (QEMU's icount): cycles = instructions x cycles_per_instruction, same power
  throughput  time = MACs / macs_per_second;                     energy = time x active_power"""

from __future__ import annotations

from dataclasses import dataclass

from edge_ee.boards import Board
from edge_ee.errors import ConfigError, UnknownName

KERNELS = ("reference", "optimized")


@dataclass(frozen=True)
class Modeled:
    """Modeled cost of some work on a board."""

    time_s: float
    energy_uj: float
    cycles: float | None = None

    def to_dict(self) -> dict:
        return {"time_ms": self.time_s * 1e3, "energy_uj": self.energy_uj, "cycles": self.cycles, "modeled": True}


def _clock(board: Board) -> int:
    return board.power.clock_hz or board.core.clock_hz


def _cycles_per_mac(board: Board, kernels: str) -> float:
    if kernels not in KERNELS:
        raise UnknownName("kernel set", kernels, KERNELS)
    p = board.power
    return p.cycles_per_mac_reference if kernels == "reference" else p.cycles_per_mac_optimized


def modeled_stage_energy(board: Board, macs: int, kernels: str = "reference") -> Modeled:
    """Time and energy of `macs` multiply-accumulates on `board` with the given kernels."""
    p = board.power
    if p.model == "mcu-cycles":
        cycles = macs * _cycles_per_mac(board, kernels)
        t = cycles / _clock(board)
        return Modeled(t, t * p.active_power_mw * 1e3, cycles)
    t = macs / p.macs_per_second
    return Modeled(t, t * p.active_power_mw * 1e3)


def energy_from_instructions(board: Board, instructions: int) -> Modeled:
    """Retired instructions (QEMU's SysTick icount) -> cycles, time and energy on the part the board models."""
    p = board.power
    if p.model != "mcu-cycles":
        raise ConfigError(f"board {board.name} has no per-instruction model ({p.model})",
                          "instruction counts apply to Cortex-M boards; measure time on this board instead")
    cycles = instructions * p.cycles_per_instruction
    t = cycles / _clock(board)
    return Modeled(t, t * p.active_power_mw * 1e3, cycles)


def energy_per_mac_pj(board: Board, kernels: str = "reference") -> float:
    return modeled_stage_energy(board, 1_000_000, kernels).energy_uj  # uJ per 1e6 MACs == pJ per MAC


def describe_model(board: Board, kernels: str = "reference") -> str:
    p = board.power
    what = f"{board.name}" + (f" (modeling {p.represents})" if p.represents else "")
    if p.model == "mcu-cycles":
        return (f"modeled: energy = MACs x {_cycles_per_mac(board, kernels):.4g} cycles/MAC ({kernels} kernels) "
                f"/ {_clock(board) / 1e6:g} MHz x {p.active_power_mw:g} mW on {what}; "
                f"{energy_per_mac_pj(board, kernels):.4g} pJ/MAC. Source: {p.source}")
    return (f"modeled: energy = MACs / {p.macs_per_second:.3g} MAC/s x {p.active_power_mw:g} mW on {what}; "
            f"{energy_per_mac_pj(board):.4g} pJ/MAC. Source: {p.source}")
