"""Byte transports to a device, picked by URL through pyserial's `serial_for_url`: a serial port
(`/dev/ttyACM0`, `COM3`), `socket://host:port` (QEMU's chardev, a ser2net bridge), `rfc2217://host:port`,
`loop://` (tests) and `spy:///dev/ttyACM0` (a serial port whose traffic is hexdumped to stderr).

Timeout semantics (the same for every transport):

    read(n, timeout)   returns 1..n bytes as soon as any are available.
                       timeout > 0: waits at most that long, then raises TransportTimeout;
                       timeout == 0: never waits, returns b"" when nothing is buffered;
                       timeout None: waits until a byte arrives or the link closes.
    write(data, timeout) writes all of `data` or raises TransportTimeout (None: no limit).

Both raise TransportClosed when the link is gone (the peer closed the socket, the USB device was unplugged,
close() was called). `reopen()` connects again to the same URL: a QEMU chardev server or a USB CDC device
that re-enumerates after a reset accepts a new connection."""

from __future__ import annotations

import time

from edge_ee.errors import DeviceError, ToolMissing


class TransportError(DeviceError):
    """The link to the device failed."""


class TransportTimeout(TransportError):
    """Nothing came (read) or could be sent (write) within the timeout."""


class TransportClosed(TransportError):
    """The link is closed: by the peer, by unplugging, or by close()."""


def _serial():
    try:
        import serial
    except ImportError:  # pragma: no cover - pyserial is a dependency of edge_ee
        raise ToolMissing("pyserial is not installed", "pip install pyserial (it comes with edge_ee)") from None
    return serial


class Transport:
    """A byte link to one device (see the module docstring for the timeout semantics)."""

    url: str

    def read(self, n: int, timeout: float | None) -> bytes:
        raise NotImplementedError

    def write(self, data: bytes, timeout: float | None = None) -> None:
        raise NotImplementedError

    def reopen(self, timeout: float = 5.0) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialTransport(Transport):
    """Any pyserial URL. `baudrate` matters only for real serial ports (and rfc2217). `port`: an already open
    pyserial port for `url` to use instead of opening one (reopen() opens `url` again)."""

    def __init__(self, url: str, *, baudrate: int = 115200, connect_timeout: float = 5.0, port=None):
        self.url = url
        self.baudrate = baudrate
        self._port = port
        self._eof = False
        if port is None:
            self._open(connect_timeout)

    def _open(self, timeout: float) -> None:
        serial = _serial()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0)
                self._eof = False
                return
            except (serial.SerialException, OSError, ValueError) as e:
                # A device that is still booting (QEMU not yet listening, USB re-enumerating) refuses for a while.
                if isinstance(e, ValueError) or time.monotonic() >= deadline:
                    raise TransportClosed(f"cannot open {self.url}: {e}",
                                          "check the URL (a serial port, socket://host:port, rfc2217://host:port, "
                                          "loop://) and that the device is running") from None
                time.sleep(0.05)

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def _require_open(self):
        if self._port is None:
            raise TransportClosed(f"the link to {self.url} is closed", "reopen it (the device may have reset)")
        return self._port

    def read(self, n: int, timeout: float | None) -> bytes:
        serial = _serial()
        port = self._require_open()
        if self._eof:
            self._drop()
            raise TransportClosed(f"the link to {self.url} closed", "the device stopped, reset or was unplugged; "
                                  "reopen the link")
        try:
            if port.timeout != timeout:  # pyserial reconfigures a real port on every assignment
                port.timeout = timeout
            first = port.read(1)
        except serial.SerialException as e:
            self._drop()
            raise TransportClosed(f"the link to {self.url} closed: {e}",
                                  "the device stopped, reset or was unplugged; reopen the link") from None
        except OSError as e:
            self._drop()
            raise TransportClosed(f"the link to {self.url} failed: {e}", "reopen the link") from None
        if not first:
            if timeout == 0:
                return b""
            raise TransportTimeout(f"no data from {self.url} within {timeout:g} s",
                                   "check that the firmware runs and that board and URL are right")
        # Then whatever is already buffered. pyserial's socket handler reports in_waiting as 0/1 and discards
        # what one read() call gathered when it meets the end of the stream, so read in steps of in_waiting
        # and keep every byte that arrived before a close (which is reported by the next call).
        data = bytearray(first)
        try:
            while len(data) < n and (waiting := port.in_waiting):
                data += port.read(min(waiting, n - len(data)))
        except (serial.SerialException, OSError):
            self._eof = True
        return bytes(data)

    def write(self, data: bytes, timeout: float | None = None) -> None:
        serial = _serial()
        port = self._require_open()
        try:
            if port.write_timeout != timeout:
                port.write_timeout = timeout
            port.write(bytes(data))
        except serial.SerialTimeoutException:
            raise TransportTimeout(f"could not send {len(data)} bytes to {self.url} within {timeout:g} s",
                                   "the device does not read its UART (hung?); restart it") from None
        except (serial.SerialException, OSError) as e:
            self._drop()
            raise TransportClosed(f"the link to {self.url} closed while writing: {e}", "reopen the link") from None

    def _drop(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except Exception:  # noqa: BLE001 - the link is already broken; closing must not mask why
                pass

    def reopen(self, timeout: float = 5.0) -> None:
        self._drop()
        self._open(timeout)

    def close(self) -> None:
        self._drop()


def open_transport(url: str, *, baudrate: int = 115200, connect_timeout: float = 5.0) -> SerialTransport:
    return SerialTransport(url, baudrate=baudrate, connect_timeout=connect_timeout)
