"""edge_ee telemetry lines: framing, checksum, parser and formatter (the firmware side is
firmware/app/telemetry.h, which documents the same format).

    m-ee-rec-[<seq>,<exit>,<pred>,<mode>,<n_0>,...,<n_{K-1}>]-<crc>
    m-ee-boot-[<firmware version>,<counter kind>,<clock hz>]

`crc` is CRC-32 (zlib.crc32) of the text strictly between the brackets, as 8 lowercase hex digits. `mode` is 0
for early exit and 1 for forced full depth; `n_k` is stage k's count in the counter's unit (retired
instructions for "systick-icount", cycles for "dwt", nanoseconds for "host-ns"), 0 for stages not run."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

REC_PREFIX = "m-ee-rec-["
BOOT_PREFIX = "m-ee-boot-["
MODE_EARLY, MODE_FULL = 0, 1
COUNTER_UNITS = {"systick-icount": "instructions", "dwt": "cycles", "systick": "cycles", "host-ns": "ns"}

_REC = re.compile(r"^m-ee-rec-\[([0-9,]+)\]-([0-9a-f]{8})$")
_BOOT = re.compile(r"^m-ee-boot-\[([^,\]]+),([^,\]]+),([0-9]+)\]$")


class RecordError(ValueError):
    """A line that looks like a record but is damaged (bad checksum, wrong field count)."""


@dataclass(frozen=True)
class Record:
    seq: int
    exit: int
    pred: int
    mode: int
    counts: tuple[int, ...]  # per stage; 0 for stages that did not run

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Boot:
    version: str
    counter: str
    clock_hz: int

    @property
    def unit(self) -> str:
        return COUNTER_UNITS.get(self.counter, "counts")


def crc(text: str) -> str:
    return f"{zlib.crc32(text.encode('ascii')) & 0xFFFFFFFF:08x}"


def format_record(rec: Record) -> str:
    body = ",".join(str(v) for v in (rec.seq, rec.exit, rec.pred, rec.mode, *rec.counts))
    return f"{REC_PREFIX}{body}]-{crc(body)}"


def parse_record(line: str, num_stages: int | None = None) -> Record:
    """Parses one record line (surrounding whitespace and CR ignored). Raises RecordError when it is damaged."""
    line = line.strip()
    m = _REC.match(line)
    if not m:
        raise RecordError(f"not a well-formed record: {line!r}")
    body, check = m.groups()
    if crc(body) != check:
        raise RecordError(f"record checksum mismatch (got {check}, computed {crc(body)}): {line!r}")
    values = [int(v) for v in body.split(",")]
    if len(values) < 5:
        raise RecordError(f"record has {len(values)} fields, at least 5 expected: {line!r}")
    seq, exit_, pred, mode, *counts = values
    if num_stages is not None and len(counts) != num_stages:
        raise RecordError(f"record has {len(counts)} stage counts, the model has {num_stages}: {line!r}")
    if mode not in (MODE_EARLY, MODE_FULL) or not 0 <= exit_ < len(counts):
        raise RecordError(f"record fields out of range (exit {exit_}, mode {mode}): {line!r}")
    return Record(seq, exit_, pred, mode, tuple(counts))


def format_boot(boot: Boot) -> str:
    return f"{BOOT_PREFIX}{boot.version},{boot.counter},{boot.clock_hz}]"


def parse_boot(line: str) -> Boot | None:
    """The boot line's fields, or None when `line` is not a boot line."""
    m = _BOOT.match(line.strip())
    return Boot(m.group(1), m.group(2), int(m.group(3))) if m else None
