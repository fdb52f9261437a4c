"""A real device behind a real, faulty link, for the fault-injection tests.

DeviceServer: the host-native firmware build (a process speaking the protocol on stdin/stdout) served on a TCP
port of 127.0.0.1, like QEMU's chardev server: one client at a time, the process (and its state) survives
reconnects, `reset()` kills the process and starts a fresh one (which prints its boot line to the client).

FaultProxy: a TCP proxy between the host and the DeviceServer that damages the device -> host direction
according to a deterministic plan keyed on the ordinal of record lines (`m-ee-rec-`, counted from 0 over the
whole run, retries included) and of `m-infer-start` lines:
    corrupt   flip one digit inside the record's bracket (the CRC must catch it)
    cut       drop the record's last bytes including its line ending (it merges with the next line)
    drop      remove the whole record line
    garbage   insert seeded non-ASCII garbage (no newline) right before the record (it must still be accepted)
    disconnect  close the host's connection right after forwarding the record (with `vanish`, for good)
    reset     at the n-th `m-infer-start`: reset the device and discard its output up to the new boot line
    noise     probability per byte of replacing it with a random byte (seeded), for the chaos test
Host -> device bytes pass unchanged (see the report: the protocol has no checksum on uploads)."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import threading
from dataclasses import dataclass, field


def _close(s: socket.socket) -> None:
    """Shut down first: close() alone does not end a recv() blocked in another thread, so no FIN would go out."""
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


def _listener() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


class DeviceServer:
    def __init__(self, exe: str):
        self.exe = exe
        self._lock = threading.Lock()
        self._client: socket.socket | None = None
        self._gen = 0
        self.proc: subprocess.Popen | None = None
        self.resets = 0
        self._sock = _listener()
        self.port = self._sock.getsockname()[1]
        self._spawn()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _spawn(self) -> None:
        self._gen += 1
        self.proc = subprocess.Popen([self.exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        threading.Thread(target=self._pump_out, args=(self.proc, self._gen), daemon=True).start()

    def _pump_out(self, proc, gen) -> None:
        fd = proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                if gen != self._gen:
                    return
                if self._client is not None:
                    try:
                        self._client.sendall(data)
                    except OSError:
                        pass

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._client = conn
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    break
                with self._lock:
                    proc = self.proc
                try:
                    proc.stdin.write(data)
                    proc.stdin.flush()
                except OSError:
                    pass
            with self._lock:
                if self._client is conn:
                    self._client = None
            conn.close()

    def reset(self) -> None:
        with self._lock:
            old = self.proc
            self._gen += 1
        old.kill()
        old.wait()
        self.resets += 1
        with self._lock:
            self._spawn()

    def close(self) -> None:
        self._sock.close()
        with self._lock:
            self._gen += 1
            if self._client is not None:
                self._client.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Plan:
    corrupt: set = field(default_factory=set)
    cut: set = field(default_factory=set)
    drop: set = field(default_factory=set)
    garbage: set = field(default_factory=set)
    disconnect: set = field(default_factory=set)
    reset: set = field(default_factory=set)
    noise: float = 0.0
    vanish: bool = False  # after the first disconnect the device is gone: the proxy stops listening
    seed: int = 0


class FaultProxy:
    def __init__(self, server: DeviceServer, plan: Plan):
        self.server = server
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.records = 0        # record lines seen (device -> host)
        self.infers = 0         # m-infer-start lines seen
        self.done: dict[str, int] = {k: 0 for k in ("corrupt", "cut", "drop", "garbage", "disconnect", "reset")}
        self._sock = _listener()
        self.port = self._sock.getsockname()[1]
        self._discard_until_boot = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            up = socket.create_connection(("127.0.0.1", self.server.port))
            for s in (client, up):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t = threading.Thread(target=self._host_to_device, args=(client, up), daemon=True)
            t.start()
            self._device_to_host(up, client)

    @staticmethod
    def _host_to_device(client, up) -> None:
        while True:
            try:
                data = client.recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            try:
                up.sendall(data)
            except OSError:
                break
        _close(up)

    def _device_to_host(self, up, client) -> None:
        buf = b""
        while True:
            try:
                data = up.recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            out = bytearray()
            close = False
            while b"\n" in buf and not close:
                line, buf = buf.split(b"\n", 1)
                out += self._line(line + b"\n")
                if self._closing:
                    close = True
            if self.plan.noise:
                out = bytearray(self.rng.randrange(256) if self.rng.random() < self.plan.noise else b for b in out)
            try:
                client.sendall(bytes(out))
            except OSError:
                close = True
            if close:
                self._closing = False
                if self.plan.vanish:
                    self._sock.close()
                break
        _close(client)
        _close(up)

    _closing = False

    def _line(self, line: bytes) -> bytes:
        p = self.plan
        if self._discard_until_boot:
            if b"m-ee-boot-" not in line:
                return b""
            self._discard_until_boot = False
            return line
        if b"m-infer-start" in line:
            n = self.infers
            self.infers += 1
            if n in p.reset:
                self.done["reset"] += 1
                self._discard_until_boot = True
                self.server.reset()
                return b""
            return line
        if b"m-ee-rec-" not in line:
            return line
        n = self.records
        self.records += 1
        if n in p.drop:
            self.done["drop"] += 1
            return b""
        if n in p.corrupt:
            self.done["corrupt"] += 1
            a, b = line.index(b"[") + 1, line.index(b"]")
            digits = [j for j in range(a, b) if line[j:j + 1].isdigit()]
            j = self.rng.choice(digits)
            new = str((int(line[j:j + 1]) + 1 + self.rng.randrange(9)) % 10).encode()
            line = line[:j] + new + line[j + 1:]
        if n in p.cut:
            self.done["cut"] += 1
            line = line[:len(line) - 2 - 1 - self.rng.randrange(6)]  # loses "\r\n" and a few crc digits
        if n in p.garbage:
            self.done["garbage"] += 1
            line = bytes(self.rng.randrange(128, 256) for _ in range(1 + self.rng.randrange(20))) + line
        if n in p.disconnect:
            self.done["disconnect"] += 1
            self._closing = True
        return line

    def close(self) -> None:
        self._sock.close()
