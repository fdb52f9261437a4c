"""`edge-ee flash`: an emulated board runs until stopped and prints its serial URL on a line of its own; a real
board's flashing command is printed exactly with --dry-run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from edge_ee.device.flash import flash
from edge_ee.device.protocol import DeviceClient
from edge_ee.errors import ConfigError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes: its parent just has not reaped it yet.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def test_flash_starts_qemu_prints_the_url_and_stops_it_on_sigterm(builds, ic_bundle):
    fw = builds.get(ic_bundle, "qemu-mps2-an386")
    proc = subprocess.Popen([sys.executable, "-m", "edge_ee", "flash", str(fw.path), "--board", "qemu-mps2-an386"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"socket://127\.0\.0\.1:\d+", url)
        with DeviceClient(url) as client:
            assert client.name() == "edge_ee-qemu-mps2-an386"
        with DeviceClient(url) as client:  # the host may reconnect, as the MLPerf Tiny runner does
            assert client.profile()["model"] == "ic01"
        assert proc.poll() is None  # keeps running
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    stderr = proc.stderr.read()
    qemu_pid = int(re.search(r"QEMU pid (\d+)", stderr).group(1))
    deadline = time.monotonic() + 5
    while _alive(qemu_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(qemu_pid)


def test_dry_run_prints_the_real_boards_flashing_command(builds, ic_bundle):
    fw = builds.get(ic_bundle, "nucleo-l4r5zi")
    r = subprocess.run([sys.executable, "-m", "edge_ee", "flash", str(fw.path), "--board", "nucleo-l4r5zi",
                        "--dry-run"], capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stdout == f"pyocd flash --target stm32l4r5zitx {fw.elf}\n"


def test_dry_run_on_an_emulated_board_prints_the_qemu_command(builds, ic_bundle):
    fw = builds.get(ic_bundle, "qemu-mps3-an547")
    cmd = flash(fw.path, "qemu-mps3-an547", dry_run=True).command
    assert cmd[:3] == ["qemu-system-arm", "-M", "mps3-an547"]
    assert "shift=0" in cmd and str(fw.elf) in cmd
    assert any(c.startswith("socket,") and "server=on" in c and "nodelay=on" in c for c in cmd)


def test_a_build_is_refused_on_another_board(builds, ic_bundle):
    fw = builds.get(ic_bundle, "qemu-mps2-an386")
    with pytest.raises(ConfigError, match="was built for qemu-mps2-an386, not qemu-mps2-an500"):
        flash(fw.path, "qemu-mps2-an500", dry_run=True)


def test_the_target_interface_builds_flashes_and_opens(builds, ic_bundle, ic_samples, ic_twin):
    from edge_ee.device.target import target_for

    target = target_for("qemu-mps3-an547")
    build = builds.get(ic_bundle, target.name)
    with target.flash(build.path) as dev, target.open(dev.url) as client:
        client.load_input(ic_samples.x[2].tobytes())
        assert client.infer(1).records[0].pred == ic_twin.infer(ic_samples.x[2])[1]
