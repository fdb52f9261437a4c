"""Commands over an unreliable link: one EnergyRunner command at a time (`<cmd>%` out, lines up to `m-ready`
back), with every reply's telemetry checked by the resynchronizing reader. This is the only place that sends
commands and reads replies; DeviceClient (edge_ee.device.protocol) and `edge-ee measure` both sit on it.

A reply is `complete` when its `m-ready` arrived. Otherwise it says why not: the device stayed silent
(`timed_out`: the `m-ready` line was damaged or the device hangs), the link closed (`disconnected`; the link is
reopened before the next command, within `reconnect_timeout`), the device faulted (`fault`: its fault line; it
has stopped), or the device reset (`reset`: a boot line or a restarted sequence number in the reply, so the
device lost its input buffer and mode, and the reply ends there because the restarted device forgot the
command). Bytes that arrive between replies (a late answer to a command that timed out, a boot line) belong
to no reply and are discarded before the next command is sent, so that they cannot pass for its answer; a
boot line among them still marks the next reply `reset` (complete all the same: the command was sent after the
restart). The reply to `ee-reset` ends with the boot line that follows its `m-ready`, so that nothing is sent
before the restarted device listens again. The caller decides what to redo; nothing here guesses at a reply's
meaning."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from edge_ee.device.records import Boot, Record
from edge_ee.errors import DeviceError
from edge_ee.telemetry.reader import Corrupt, Dropped, Line, Rec, Reset, TelemetryReader
from edge_ee.telemetry.transport import Transport, TransportClosed, TransportTimeout

READY = "m-ready"
RESET = "ee-reset"
FAULT = "m-ee-fault-"


@dataclass
class Reply:
    command: str
    lines: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    corrupt: int = 0
    dropped: int = 0
    complete: bool = False
    timed_out: bool = False
    disconnected: bool = False
    reset: bool = False
    boot: Boot | None = None   # the last boot line seen with this reply (None: none, or it was damaged)
    fault: str | None = None   # the device's fault line (it stopped: QEMU exits, a board halts)
    _ready: bool = field(default=False, repr=False)  # m-ready arrived (ee-reset still waits for the boot line)

    @property
    def errors(self) -> list[str]:
        return [ln for ln in self.lines if ln.startswith("e-[")]

    @property
    def ok(self) -> bool:
        """Complete, without a reset or an error line."""
        return self.complete and not self.reset and not self.errors

    def has(self, prefix: str) -> bool:
        return any(prefix in ln for ln in self.lines)

    def field(self, prefix: str) -> str | None:
        """The text between `prefix` and the closing `]` of the first line with that prefix."""
        for ln in self.lines:
            i = ln.find(prefix)
            if i >= 0 and ln.endswith("]"):
                return ln[i + len(prefix):-1]
        return None


class DeviceLink:
    """A device behind a transport. `line_timeout` bounds the silence within a reply (the MLPerf Tiny runner
    allows 5 s), `infer_timeout` the silence during `infer` (30 s in the runner)."""

    def __init__(self, transport: Transport, *, num_stages: int | None = None, line_timeout: float = 5.0,
                 infer_timeout: float = 30.0, reconnect_timeout: float = 10.0):
        self.transport = transport
        self.reader = TelemetryReader(num_stages)
        self.line_timeout = line_timeout
        self.infer_timeout = infer_timeout
        self.reconnect_timeout = reconnect_timeout
        self.disconnects = 0
        self._closed_link = False
        self._events: deque = deque()  # read but not yet part of a reply (what followed the end of the last one)

    @property
    def stats(self):
        return self.reader.stats

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "DeviceLink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _reconnect(self) -> None:
        try:
            self.transport.reopen(self.reconnect_timeout)
        except TransportClosed as e:
            raise DeviceError(f"lost the link to {self.transport.url} and could not reconnect within "
                              f"{self.reconnect_timeout:g} s: {e.problem}",
                              "check the cable/port; the run stopped, results so far are kept in the report") from None
        self._closed_link = False

    def listen(self, seconds: float, *, until_boot: bool = False) -> Reply:
        """Reads whatever the device says for `seconds` without sending anything; with `until_boot`, stops at
        the first boot line (or reset) and marks the reply `timed_out` when none came."""
        reply = Reply("")
        end = time.monotonic() + seconds
        while not (until_boot and reply.reset):
            if not self._events:
                if (left := end - time.monotonic()) <= 0:
                    break
                try:
                    self._events.extend(self.reader.feed(self.transport.read(4096, left)))
                except TransportTimeout:
                    break
                except TransportClosed:
                    self._lost(reply)
                    break
                continue
            self._apply(reply, self._events.popleft())
        reply.timed_out = until_boot and not (reply.reset or reply.disconnected)
        return reply

    def command(self, cmd: str, *, timeout: float | None = None) -> Reply:
        """Sends `cmd%` and collects the reply (see the module docstring). `timeout` bounds each silence
        (default `line_timeout`)."""
        if len(cmd) > 80:
            raise DeviceError(f"command longer than 80 characters: {cmd[:40]}...", "split the command")
        if self._closed_link:
            self._reconnect()
        reply = Reply(cmd)
        try:
            boots = self._discard_pending()
            self.transport.write(cmd.encode("ascii") + b"%", self.line_timeout)
        except TransportTimeout:
            reply.timed_out = True
            return reply
        except TransportClosed:
            self._lost(reply)
            return reply
        self.collect(reply, timeout)
        if boots:
            reply.reset = True
            reply.boot = reply.boot or boots[-1]
        return reply

    def collect(self, reply: Reply, timeout: float | None = None) -> Reply:
        """Reads the reply to a command that was already sent (command() does both; this serves callers that
        must send bytes command() refuses, e.g. to test the device's own checks)."""
        timeout = self.line_timeout if timeout is None else timeout
        try:
            # What follows the end of the reply in the same read stays queued: it is not part of this reply.
            while not (reply.complete or reply.reset or reply.fault is not None):
                if not self._events:
                    self._events.extend(self.reader.feed(self.transport.read(4096, timeout)))
                    continue
                self._apply(reply, self._events.popleft())
        except TransportTimeout:
            reply.timed_out = True
        except TransportClosed:
            self._lost(reply)
        return reply

    def _discard_pending(self) -> list[Boot | None]:
        """Reads what arrived since the last reply; returns its resets (their boot lines, None if damaged)."""
        while data := self.transport.read(4096, 0):
            self._events.extend(self.reader.feed(data))
        self.reader.discard_partial()
        boots = [ev.boot for ev in self._events if isinstance(ev, Reset)]
        self._events.clear()
        return boots

    def _lost(self, reply: Reply) -> None:
        self.disconnects += 1
        reply.disconnected = True
        self._closed_link = True

    def _apply(self, reply: Reply, ev) -> None:
        if isinstance(ev, Rec):
            reply.records.append(ev.record)
            reply.lines.append(ev.text)
        elif isinstance(ev, Corrupt):
            reply.corrupt += 1
        elif isinstance(ev, Dropped):
            reply.dropped += ev.count
            reply.lines.append(f"m-ee-dropped-[{ev.count}]")
        elif isinstance(ev, Reset):
            reply.boot = ev.boot
            if reply.command == RESET and reply._ready:
                reply.complete = True  # the restart ee-reset asked for
            else:
                reply.reset = True
        elif isinstance(ev, Line):
            if ev.text.startswith(FAULT):
                reply.fault = ev.text
                reply.lines.append(ev.text)
            elif READY in ev.text:
                head = ev.text[:ev.text.index(READY)]
                if head.strip():
                    reply.lines.append(head)
                reply._ready = True
                reply.complete = reply.command != RESET
            else:
                reply.lines.append(ev.text)
