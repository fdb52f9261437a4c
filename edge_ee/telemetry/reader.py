"""Resynchronizing telemetry reader: bytes from a device in, checked events out.

The link may cut lines, drop or flip bytes, insert garbage, or lose the line ending between two lines. The
reader therefore never trusts line boundaries alone:

- A record (`m-ee-rec-[...]-<crc>`, format in edge_ee.device.records) is searched for anywhere in a line,
  and accepted only when it matches the format and its CRC-32 is right. A line can hold several (a lost
  line ending), or a record glued to other text. Any `m-ee-rec-` that does not yield a good record is
  counted as one corrupt record; nothing damaged is ever accepted.
- Sequence numbers tell what never arrived at all: a record whose seq jumps ahead counts the records in
  between as lost; `expect(seq)` tells the reader that records up to seq were sent (the host knows how many
  inferences it asked for), so that a lost last record is counted too.
- A boot line (`m-ee-boot-[...]`), or even a damaged line that still says `m-ee-boot-`, is a reset: the
  device restarts its numbering at 0. A record whose seq goes backwards is also taken as a reset (for the
  case that the boot line itself was destroyed).
- A line longer than MAX_LINE bytes without a line ending is garbage and is discarded, so that noise on a
  disconnected RX pin cannot grow the buffer without bound. Non-ASCII bytes never form part of an accepted
  record (the record pattern is ASCII), other lines keep them as U+FFFD.

Events come out in stream order: Line (any other protocol line, text without the line ending), Rec, Corrupt,
Reset, Dropped (records the firmware itself could not keep, `m-ee-dropped-[n]`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from edge_ee.device.records import Boot, Record, RecordError, parse_boot, parse_record

MAX_LINE = 1024
_REC = re.compile(r"m-ee-rec-\[[0-9,]+\]-[0-9a-f]{8}")
_REC_START = "m-ee-rec-"
_BOOT_START = "m-ee-boot-"
_DROPPED = re.compile(r"m-ee-dropped-\[([0-9]+)\]")


@dataclass(frozen=True)
class Line:
    text: str


@dataclass(frozen=True)
class Rec:
    record: Record
    text: str  # the record as received (for logs)


@dataclass(frozen=True)
class Corrupt:
    text: str
    reason: str


@dataclass(frozen=True)
class Reset:
    boot: Boot | None  # None when the boot line was damaged or the reset was inferred from seq numbers
    text: str


@dataclass(frozen=True)
class Dropped:
    count: int


Event = Line | Rec | Corrupt | Reset | Dropped


@dataclass
class Stats:
    """What the reader saw. `good` records were accepted; `corrupt` ones were damaged; `lost` ones are
    sequence numbers that were sent but never accepted (damaged or vanished); `dropped` ones the firmware
    reported it could not keep; `resets` counts device resets; `garbage_bytes` were discarded."""

    good: int = 0
    corrupt: int = 0
    lost: int = 0
    dropped: int = 0
    resets: int = 0
    garbage_bytes: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class TelemetryReader:
    num_stages: int | None = None
    stats: Stats = field(default_factory=Stats)
    boots: list[Boot] = field(default_factory=list)
    _buf: bytearray = field(default_factory=bytearray)
    _next_seq: int = 0  # the seq of the next record this boot (records below it are accounted for)

    def feed(self, data: bytes) -> list[Event]:
        """Adds bytes from the link; returns the events of every line completed by them."""
        self._buf += data
        events: list[Event] = []
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > MAX_LINE:
                    self.stats.garbage_bytes += len(self._buf)
                    self._buf.clear()
                return events
            raw = bytes(self._buf[:nl])
            del self._buf[:nl + 1]
            if len(raw) > MAX_LINE:
                self.stats.garbage_bytes += len(raw) + 1
                continue
            events.extend(self._line(raw.decode("ascii", errors="replace").replace("\r", "")))

    def expect(self, next_seq: int) -> int:
        """The device has numbered its records up to next_seq - 1 (this boot): counts those not received as
        lost. Returns how many were newly counted."""
        missing = max(0, next_seq - self._next_seq)
        self.stats.lost += missing
        self._next_seq = max(self._next_seq, next_seq)
        return missing

    def discard_partial(self) -> int:
        """Drops an unfinished line (the tail of a reply nobody waits for any more, or one whose line ending was
        destroyed), so that it cannot glue onto the next line; returns how many bytes went."""
        n = len(self._buf)
        self.stats.garbage_bytes += n
        self._buf.clear()
        return n

    @property
    def next_seq(self) -> int:
        return self._next_seq

    # ------------------------------------------------------------------ internals

    def _line(self, text: str) -> list[Event]:
        if _BOOT_START in text:
            boot = parse_boot(text[text.index(_BOOT_START):])
            if boot is not None:
                self.boots.append(boot)
            return [self._reset(boot, text)]
        if _REC_START not in text:
            m = _DROPPED.search(text)
            if m:
                n = int(m.group(1))
                self.stats.dropped += n
                self._next_seq += n  # the firmware skips their numbers; they are reported, not lost
                return [Dropped(n)]
            return [Line(text)] if text else []
        events: list[Event] = []
        starts = [m.start() for m in re.finditer(re.escape(_REC_START), text)]
        head = text[:starts[0]]
        if head.strip():
            events.append(Line(head))
        for a, b in zip(starts, starts[1:] + [len(text)]):
            events.extend(self._segment(text[a:b]))
        return events

    def _segment(self, seg: str) -> list[Event]:
        m = _REC.match(seg)
        if m is None:
            self.stats.corrupt += 1
            return [Corrupt(seg, "not a well-formed record")]
        try:
            rec = parse_record(m.group(0), self.num_stages)
        except RecordError as e:
            self.stats.corrupt += 1
            return [Corrupt(seg, str(e))]
        events: list[Event] = []
        rest = seg[m.end():]
        if rec.seq < self._next_seq:
            # Numbering went back: the device restarted and its boot line did not arrive intact.
            events.append(self._reset(None, seg))
        self.expect(rec.seq)
        self._next_seq = rec.seq + 1
        self.stats.good += 1
        events.append(Rec(rec, m.group(0)))
        if rest.strip():
            events.append(Line(rest))
        return events

    def _reset(self, boot: Boot | None, text: str) -> Reset:
        self.stats.resets += 1
        self._next_seq = 0
        return Reset(boot, text)
