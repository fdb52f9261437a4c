"""EnergyRunner protocol client: drives a device running edge_ee firmware (or any MLPerf Tiny DUT firmware)
over a pyserial URL (`socket://127.0.0.1:PORT` for QEMU, `/dev/ttyACM0` or `rfc2217://...` for boards), with
typed commands that raise on any fault. Commands go through a DeviceLink (edge_ee.telemetry.link), which sends
them and reads and checks the replies; this class turns a reply that is not clean into an exception.

Timeouts: `timeout` bounds the wait for each line of a reply (the MLPerf Tiny runner allows 5 s); during
`infer` each line may take `infer_timeout` (30 s in the runner). A reply that does not come in time raises
DeviceTimeout. A `e-[...]` reply raises DeviceReplyError; a fault line, a closed link, a damaged telemetry
record or a reset in the middle of a reply (a boot line) raises DeviceError. A boot line that comes between
commands, or before any of a reply, is no error: it is kept in `boots`, so a caller can tell that the device
was reset. After a closed link the next command first reconnects (within `connect_timeout`)."""

from __future__ import annotations

from dataclasses import dataclass

from edge_ee.device.records import Boot, Record
from edge_ee.errors import DeviceError
from edge_ee.telemetry.link import RESET, DeviceLink, Reply
from edge_ee.telemetry.transport import SerialTransport, Transport

CHUNK_BYTES = 38  # "db " + 76 hex digits stays within the 80-character command limit


class DeviceTimeout(DeviceError):
    """The device did not answer in time (it hangs, or the link is wrong)."""


class DeviceReplyError(DeviceError):
    """The device answered a command with an `e-[...]` line."""


@dataclass(frozen=True)
class DeviceInfo:
    model: str
    stages: int
    classes: int
    input_bytes: int
    arena_bytes: int
    counter: str
    clock_hz: int
    mode: str
    stack_used: int   # stack high-water mark since reset, bytes (0 where the port cannot tell)
    stack_bytes: int  # stack reserved by the build


@dataclass(frozen=True)
class InferResult:
    scores: list[float]          # m-results: probabilities of the exit taken by the last inference
    records: list[Record]        # one per timed inference (up to the firmware's record buffer)
    lap_us: tuple[int, int] | None  # the two m-lap-us timestamps (modeled on QEMU), None in energy mode
    dropped: int                 # records the firmware could not keep (m-ee-dropped)
    lines: list[str]             # the whole reply, for logs

    @property
    def elapsed_us(self) -> int | None:
        return None if self.lap_us is None else self.lap_us[1] - self.lap_us[0]


class DeviceClient:
    """One connection to a device. Use as a context manager, or call close()."""

    def __init__(self, url: str, *, timeout: float = 5.0, infer_timeout: float = 30.0, baudrate: int = 115200,
                 connect_timeout: float = 5.0, transport=None):
        """`url`: a pyserial URL or port name, opened with retries for `connect_timeout` seconds (an emulator's
        socket or a USB device may not be there yet). `transport`: instead of opening `url`, a Transport
        (e.g. the pipes of a host-native firmware, edge_ee.device.hostfw) or an open pyserial port."""
        self.url = url
        self.timeout = timeout
        self.infer_timeout = infer_timeout
        if transport is None:
            transport = SerialTransport(url, baudrate=baudrate, connect_timeout=connect_timeout)
        elif not isinstance(transport, Transport):
            transport = SerialTransport(url, baudrate=baudrate, port=transport)
        self.link = DeviceLink(transport, line_timeout=timeout, infer_timeout=infer_timeout,
                               reconnect_timeout=connect_timeout)

    def __enter__(self) -> "DeviceClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.link.close()

    @property
    def boots(self) -> list[Boot]:
        """Every boot line read on this connection, oldest first."""
        return self.link.reader.boots

    # ------------------------------------------------------------------ replies

    def _check(self, reply: Reply, timeout: float) -> Reply:
        """Raises for a reply that is not clean (see the module docstring)."""
        cmd = reply.command
        if reply.fault is not None:
            raise DeviceError(f"the device faulted: {reply.fault}", "a firmware bug: report it with the build folder")
        if reply.disconnected:
            waiting = f"the reply to {cmd!r}" if cmd else "a boot line"
            raise DeviceError(f"the link to {self.url} broke while waiting for {waiting}",
                              "the device stopped (see the emulator's log) or was unplugged")
        if reply.reset and not reply.complete and cmd:  # (listening for a boot line has no command)
            raise DeviceError(f"the device reset while answering {cmd!r}", "check the device log")
        if reply.timed_out:
            raise DeviceTimeout(f"no answer from {self.url} within {timeout:g} s",
                                "check that the firmware runs and the board and URL are right; a device that "
                                "hangs must be restarted (stop and rerun edge-ee flash)")
        if reply.corrupt:
            raise DeviceError(f"{reply.corrupt} damaged telemetry record(s) in the reply to {cmd!r}",
                              "check the serial link")
        if reply.errors:
            raise DeviceReplyError(f"device refused {cmd!r}: {reply.errors[0]}",
                                   "see the protocol in firmware/app/ee_app.h")
        return reply

    def _reply(self, cmd: str, timeout: float | None = None) -> Reply:
        timeout = self.timeout if timeout is None else timeout
        reply = self.link.command(cmd, timeout=timeout)
        if reply.reset and not (reply.complete or reply.lines or reply.records or reply.corrupt):
            # A boot line before any of the answer: the device may have restarted before it read the command
            # (QEMU holds a pty's output until the host opens it), so the answer may still come.
            reply = self.link.collect(Reply(cmd), timeout)
        return self._check(reply, timeout)

    def command(self, cmd: str, *, line_timeout: float | None = None) -> list[str]:
        """Sends `cmd%` and returns the reply's lines up to (without) `m-ready`, telemetry records included."""
        return self._reply(cmd, line_timeout).lines

    def wait_boot(self, timeout: float | None = None) -> Boot:
        """Reads until the boot line (a device that was just started or reset). Raises DeviceTimeout."""
        timeout = self.timeout if timeout is None else timeout
        return self._boot(self._check(self.link.listen(timeout, until_boot=True), timeout))

    @staticmethod
    def _boot(reply: Reply) -> Boot:
        if reply.boot is None:
            raise DeviceError("the device reset but its boot line was damaged", "check the serial link")
        return reply.boot

    def reset(self, timeout: float | None = None) -> Boot:
        """Resets the device (`ee-reset%`) and waits for its boot line: bytes sent before the firmware has set up
        its UART again would be lost, so nothing may be sent until the device says it is back."""
        reply = self._reply(RESET, timeout)
        if reply.lines != ["m-ee-reset"]:
            raise DeviceError("the device did not acknowledge ee-reset", "is this edge_ee firmware? rebuild it")
        return self._boot(reply)

    @staticmethod
    def _field(lines: list[str], prefix: str, cmd: str) -> str:
        for ln in lines:
            if ln.startswith(prefix) and ln.endswith("]"):
                return ln[len(prefix):-1]
        raise DeviceError(f"no {prefix}...] line in the reply to {cmd!r}: {lines}", "is this edge_ee firmware?")

    # ------------------------------------------------------------------ commands

    def name(self) -> str:
        return self._field(self.command("name"), "m-name-dut-[", "name")

    def profile(self) -> dict:
        lines = self.command("profile")
        return {"profile": self._field(lines, "m-profile-[", "profile"), "model": self._field(lines, "m-model-[", "profile")}

    def info(self) -> DeviceInfo:
        fields = dict(kv.split("=", 1) for kv in self._field(self.command("ee-info"), "m-ee-info-[", "ee-info").split(","))
        try:
            used, size = (int(v) for v in fields.get("stack", "0/0").split("/"))
            return DeviceInfo(fields["model"], int(fields["stages"]), int(fields["classes"]), int(fields["input"]),
                              int(fields["arena"]), fields["counter"], int(fields["clock"]), fields["mode"], used, size)
        except (KeyError, ValueError) as e:
            raise DeviceError(f"malformed ee-info reply {fields}: {e}", "rebuild the firmware") from None

    def set_mode(self, full: bool) -> None:
        want = "full" if full else "early"
        got = self._field(self.command(f"ee-mode {want}"), "m-ee-mode-[", "ee-mode")
        if got != want:
            raise DeviceError(f"device reports mode {got!r} after ee-mode {want}", "rebuild the firmware")

    def load_input(self, data: bytes) -> None:
        """Uploads the raw bytes of the model's int8 input tensor (`db load N%`, then `db <hex>%` chunks)."""
        data = bytes(data)
        self.command(f"db load {len(data)}")
        done = False
        for i in range(0, len(data), CHUNK_BYTES):
            lines = self.command("db " + data[i:i + CHUNK_BYTES].hex())
            done = "m-load-done" in lines
        if not done:
            raise DeviceError(f"the device did not confirm loading {len(data)} bytes", "check the input size")

    def infer(self, n: int = 1, warmup: int = 0, *, num_stages: int | None = None) -> InferResult:
        self.link.reader.num_stages = num_stages  # records with another number of stage counts are damaged
        reply = self._reply(f"infer {n} {warmup}", self.infer_timeout)
        laps = [int(ln[len("m-lap-us-"):]) for ln in reply.lines if ln.startswith("m-lap-us-")]
        scores = [float(v) for v in self._field(reply.lines, "m-results-[", "infer").split(",")]
        return InferResult(scores, reply.records, (laps[0], laps[1]) if len(laps) == 2 else None, reply.dropped,
                           reply.lines)

    def results(self) -> list[float]:
        return [float(v) for v in self._field(self.command("results"), "m-results-[", "results").split(",")]
