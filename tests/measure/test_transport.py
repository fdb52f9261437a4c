"""The transport's fixed timeout semantics and typed errors, on pyserial's loop:// and on real sockets."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from edge_ee.boards import load_board
from edge_ee.errors import DeviceError
from edge_ee.measure import measure
from edge_ee.telemetry import DeviceLink, TransportClosed, TransportTimeout, open_transport


def test_loop_read_semantics():
    t = open_transport("loop://")
    assert t.read(10, 0) == b""                      # timeout 0: never waits
    start = time.monotonic()
    with pytest.raises(TransportTimeout):
        t.read(10, 0.1)                              # timeout > 0: waits that long, then a typed error
    assert 0.08 < time.monotonic() - start < 1.0
    t.write(b"m-ready\r\n", 1.0)
    assert t.read(100, 1.0) == b"m-ready\r\n"        # 1..n bytes as soon as any are there
    t.close()
    with pytest.raises(TransportClosed):
        t.read(1, 0)


def test_bytes_sent_just_before_the_peer_closes_are_delivered_then_the_close():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        c, _ = srv.accept()
        c.recv(1)  # after the host opened the port (opening flushes pyserial's input)
        c.sendall(b"m-ee-rec-[0,1,2,0,5,6]-00000000\r\n")
        c.close()

    threading.Thread(target=serve, daemon=True).start()
    t = open_transport(f"socket://127.0.0.1:{srv.getsockname()[1]}")
    t.write(b"%", 1.0)
    got = b""
    with pytest.raises(TransportClosed):
        while True:
            got += t.read(4096, 2.0)
    assert got == b"m-ee-rec-[0,1,2,0,5,6]-00000000\r\n"
    srv.close()


def test_a_silent_device_times_out_with_a_clear_error(staged_bundle, digits_inputs_obj):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    conns = []
    threading.Thread(target=lambda: conns.append(srv.accept()), daemon=True).start()
    link = DeviceLink(open_transport(f"socket://127.0.0.1:{srv.getsockname()[1]}"), line_timeout=0.2)
    start = time.monotonic()
    with pytest.raises(DeviceError) as e:
        measure(link, load_board("qemu-mps2-an386"), staged_bundle, digits_inputs_obj)
    assert time.monotonic() - start < 3
    assert "no valid answer to ee-info" in e.value.problem and "edge_ee firmware" in e.value.fix
    link.close()
    srv.close()


def test_the_typed_client_runs_over_an_open_pyserial_port(device):
    """DeviceClient(transport=...) takes an already open pyserial port (here the real firmware behind TCP)."""
    import serial

    from edge_ee.device.protocol import DeviceClient

    url = f"socket://127.0.0.1:{device.port}"
    with DeviceClient(url, transport=serial.serial_for_url(url, timeout=0)) as client:
        assert client.info().stages == 2
        assert client.name().startswith("edge_ee-")
