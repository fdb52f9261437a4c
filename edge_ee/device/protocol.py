"""EnergyRunner protocol client: drives a device running edge_ee firmware (or any MLPerf Tiny DUT firmware)
over a pyserial URL (`socket://127.0.0.1:PORT` for QEMU, `/dev/ttyACM0` or `rfc2217://...` for boards).

Timeouts: `timeout` bounds the wait for each line of a reply (the MLPerf Tiny runner allows 5 s); during
`infer` each line may take `infer_timeout` (30 s in the runner). A line that does not come in time raises
DeviceTimeout. A `e-[...]` reply raises DeviceReplyError, a fault line or a closed link raises DeviceError;
a boot line in the middle of a reply (the device reset) raises DeviceError too. Boot lines seen between
commands are kept in `boots`, so a caller can tell that the device was reset."""

from __future__ import annotations

import time
from dataclasses import dataclass

from edge_ee.device.records import Boot, Record, RecordError, is_record, parse_boot, parse_record
from edge_ee.errors import DeviceError, ToolMissing

CHUNK_BYTES = 38  # "db " + 76 hex digits stays within the 80-character command limit
READY = "m-ready"


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
        """`url`: a pyserial URL or port name. `transport`: instead of opening `url`, an open pyserial-like
        object (read(n) returning what arrives within its short timeout, write, in_waiting, close), e.g. the
        pipes of a host-native firmware (edge_ee.device.hostfw)."""
        self.url = url
        self.timeout = timeout
        self.infer_timeout = infer_timeout
        self.boots: list[Boot] = []
        self._buf = b""
        if transport is not None:
            self._port = transport
            return
        try:
            import serial
        except ImportError:  # pragma: no cover - pyserial is a declared dependency of edge_ee[device]
            raise ToolMissing("pyserial is not installed", "pip install 'edge_ee[device]'") from None
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self._port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.05)
                break
            except (serial.SerialException, OSError) as e:
                if time.monotonic() > deadline:
                    raise DeviceError(f"cannot open {url}: {e}",
                                      "check that the device is running (edge-ee flash prints its URL)") from None
                time.sleep(0.05)

    def __enter__(self) -> "DeviceClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        port, self._port = getattr(self, "_port", None), None
        if port is not None:
            port.close()

    # ------------------------------------------------------------------ lines

    def read_line(self, timeout: float | None = None) -> str:
        """The next line (without line ending). Raises DeviceTimeout or DeviceError."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            if self._port is None:
                raise DeviceError("the connection is closed", "open a new DeviceClient")
            if time.monotonic() > deadline:
                raise DeviceTimeout(f"no answer from {self.url} within {timeout:g} s",
                                    "check that the firmware runs and the board and URL are right; a device that "
                                    "hangs must be restarted (stop and rerun edge-ee flash)")
            try:
                chunk = self._port.read(max(1, self._port.in_waiting))
            except (OSError, ValueError) as e:  # serial.SerialException is an OSError
                raise DeviceError(f"the link to {self.url} broke: {e}",
                                  "the device stopped (see the emulator's log) or was unplugged") from None
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\n", 1)
        line = raw.decode("ascii", errors="replace").strip("\r")
        if line.startswith("m-ee-fault-"):
            raise DeviceError(f"the device faulted: {line}", "a firmware bug: report it with the build folder")
        return line

    def wait_boot(self, timeout: float | None = None) -> Boot:
        """Reads until the boot line (a device that was just started or reset). Raises DeviceTimeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            boot = parse_boot(self.read_line(max(0.0, deadline - time.monotonic())))
            if boot is not None:
                self.boots.append(boot)
                return boot

    def command(self, cmd: str, *, line_timeout: float | None = None) -> list[str]:
        """Sends `cmd%` and returns the reply's lines up to (without) `m-ready`."""
        if len(cmd) > 80:
            raise DeviceError(f"command longer than 80 characters: {cmd[:40]}...", "split the command")
        self._port.write(cmd.encode("ascii") + b"%")
        lines: list[str] = []
        while True:
            line = self.read_line(line_timeout)
            boot = parse_boot(line)
            if boot is not None:
                self.boots.append(boot)
                if lines:
                    raise DeviceError(f"the device reset while answering {cmd!r}", "check the device log")
                continue
            if READY in line:
                break
            lines.append(line)
        errors = [ln for ln in lines if ln.startswith("e-[")]
        if errors:
            raise DeviceReplyError(f"device refused {cmd!r}: {errors[0]}", "see the protocol in firmware/app/ee_app.h")
        return lines

    def reset(self, timeout: float | None = None) -> Boot:
        """Resets the device (`ee-reset%`) and waits for its boot line: bytes sent before the firmware has set up
        its UART again would be lost, so nothing may be sent until the device says it is back."""
        if self.command("ee-reset") != ["m-ee-reset"]:
            raise DeviceError("the device did not acknowledge ee-reset", "is this edge_ee firmware? rebuild it")
        return self.wait_boot(timeout)

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
        lines = self.command(f"infer {n} {warmup}", line_timeout=self.infer_timeout)
        laps = [int(ln[len("m-lap-us-"):]) for ln in lines if ln.startswith("m-lap-us-")]
        records = []
        for ln in lines:
            if is_record(ln):
                try:
                    records.append(parse_record(ln, num_stages))
                except RecordError as e:
                    raise DeviceError(f"damaged telemetry record: {e}", "check the serial link") from None
        dropped = sum(int(ln[len("m-ee-dropped-["):-1]) for ln in lines if ln.startswith("m-ee-dropped-["))
        scores = [float(v) for v in self._field(lines, "m-results-[", "infer").split(",")]
        return InferResult(scores, records, (laps[0], laps[1]) if len(laps) == 2 else None, dropped, lines)

    def results(self) -> list[float]:
        return [float(v) for v in self._field(self.command("results"), "m-results-[", "results").split(",")]
