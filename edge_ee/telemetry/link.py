"""Commands over an unreliable link: one EnergyRunner command at a time (`<cmd>%` out, lines up to `m-ready`
back), with every reply's telemetry checked by the resynchronizing reader.

A reply is `complete` when its `m-ready` arrived. Otherwise it says why not: the device stayed silent
(`timed_out`: the `m-ready` line was damaged or the device hangs), the link closed (`disconnected`; the link is
reopened before the next command, within `reconnect_timeout`), or the device reset (`reset`: a boot line or a
restarted sequence number in the reply, so the device lost its input buffer and mode). The caller decides
what to redo; nothing here guesses at a reply's meaning."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from edge_ee.device.records import Record
from edge_ee.errors import DeviceError
from edge_ee.telemetry.reader import Corrupt, Dropped, Line, Rec, Reset, TelemetryReader
from edge_ee.telemetry.transport import Transport, TransportClosed, TransportTimeout

READY = "m-ready"


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

    @property
    def stats(self):
        return self.reader.stats

    def close(self) -> None:
        self.transport.close()

    def _reconnect(self) -> None:
        try:
            self.transport.reopen(self.reconnect_timeout)
        except TransportClosed as e:
            raise DeviceError(f"lost the link to {self.transport.url} and could not reconnect within "
                              f"{self.reconnect_timeout:g} s: {e.problem}",
                              "check the cable/port; the run stopped, results so far are kept in the report") from None
        self._closed_link = False

    def listen(self, seconds: float) -> Reply:
        """Reads whatever the device says for `seconds` without sending anything (e.g. a boot line)."""
        reply = Reply("")
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                data = self.transport.read(4096, left)
            except TransportTimeout:
                break
            except TransportClosed:
                self.disconnects += 1
                reply.disconnected = True
                self._closed_link = True
                break
            for ev in self.reader.feed(data):
                self._apply(reply, ev)
        return reply

    def command(self, cmd: str, *, timeout: float | None = None) -> Reply:
        """Sends `cmd%` and collects the reply (see the module docstring)."""
        if len(cmd) > 80:
            raise DeviceError(f"command longer than 80 characters: {cmd[:40]}...", "split the command")
        if self._closed_link:
            self._reconnect()
        reply = Reply(cmd)
        timeout = self.line_timeout if timeout is None else timeout
        try:
            self.transport.write(cmd.encode("ascii") + b"%", self.line_timeout)
            # A reset ends the reply at once: the restarted device has forgotten the command.
            while not (reply.complete or reply.reset):
                data = self.transport.read(4096, timeout)
                for ev in self.reader.feed(data):
                    self._apply(reply, ev)
        except TransportTimeout:
            reply.timed_out = True
        except TransportClosed:
            self.disconnects += 1
            reply.disconnected = True
            self._closed_link = True
        return reply

    def _apply(self, reply: Reply, ev) -> None:
        if isinstance(ev, Rec):
            reply.records.append(ev.record)
        elif isinstance(ev, Corrupt):
            reply.corrupt += 1
        elif isinstance(ev, Dropped):
            reply.dropped += ev.count
        elif isinstance(ev, Reset):
            reply.reset = True
        elif isinstance(ev, Line):
            if READY in ev.text:
                head = ev.text[:ev.text.index(READY)]
                if head.strip():
                    reply.lines.append(head)
                reply.complete = True
            else:
                reply.lines.append(ev.text)
