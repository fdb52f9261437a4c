"""Firmware on the emulated boards (Cortex-M4, M7, M55 in QEMU) with the MLPerf IC ResNet-8 (generated C):
real inputs uploaded over the serial link give the twin's and the host runner's predictions; instruction counts
are exact and reproducible; the host can reconnect; a hanging device ends in a timeout."""

from __future__ import annotations

import os
import signal

import pytest

from edge_ee.boards import load_board
from edge_ee.device import qemu
from edge_ee.device.protocol import DeviceClient, DeviceTimeout

from firmware_support import EMULATED


@pytest.fixture(scope="module")
def ic_runner(ic_bundle):
    from edge_ee.runtime.engines import make_engine
    from edge_ee.runtime.staged import StagedRunner

    return StagedRunner(ic_bundle, make_engine("tflm", ic_bundle))


def start(build):
    return qemu.start(load_board(build.board).qemu_machine, build.elf)


@pytest.mark.parametrize("board", EMULATED)
def test_device_predictions_equal_the_twin_and_the_host_runner(board, builds, ic_bundle, ic_samples, ic_twin,
                                                               ic_runner):
    build = builds.get(ic_bundle, board)
    assert build.sizes.flash_bytes <= build.sizes.flash_limit and build.sizes.ram_bytes <= build.sizes.ram_limit
    with start(build) as dev, DeviceClient(dev.url) as client:
        assert dev.boot.counter == "systick-icount"
        counts = []
        for x in ic_samples.x[:2]:
            client.load_input(x.tobytes())
            res = client.infer(1, 0, num_stages=1)
            (rec,) = res.records
            exit_stage, pred, _, result = ic_twin.lib.infer(x)
            host = ic_runner.run(x)
            assert (rec.exit, rec.pred) == (exit_stage, pred) == (host.exit, host.prediction)
            assert res.scores == pytest.approx(ic_twin.lib.scores_permille(result) / 1000, abs=1e-9)
            counts.append(rec.counts)
        info = client.info()
        assert 0 < info.stack_used < info.stack_bytes == build.sizes.stack_bytes  # the stack never overflowed
        # The same input again, after a reconnection: the same instruction count, to the instruction.
        client.close()
        with DeviceClient(dev.url) as again:
            again.load_input(ic_samples.x[1].tobytes())
            assert again.infer(1, 0).records[0].counts == counts[1]


@pytest.mark.parametrize("board", EMULATED)
def test_the_counter_counts_instructions_exactly(board, builds, ic_bundle):
    """A loop of 200,000 instructions, counted by SysTick under -icount shift=0: exact up to one tick of the
    board's SysTick clock (40 instructions on MPS2, 31.25 on AN547) plus the loop's entry."""
    with start(builds.get(ic_bundle, board)) as dev, DeviceClient(dev.url) as client:
        (line,) = client.command("ee-calib")
        expected, counted = (int(v) for v in line[len("m-ee-calib-["):-1].split(","))
        assert expected == 200_000 and 0 <= counted - expected <= 48


def test_lap_timestamps_are_modeled_from_instructions_at_the_board_clock(builds, ic_bundle, ic_samples):
    build = builds.get(ic_bundle, "qemu-mps2-an386")
    with start(build) as dev, DeviceClient(dev.url) as client:
        client.load_input(ic_samples.x[0].tobytes())
        res = client.infer(2, 0)
        instructions = sum(r.total for r in res.records)
        # 25 MHz, one instruction a cycle: 25 instructions a microsecond (plus the loop around the inferences).
        assert instructions / 25 <= res.elapsed_us <= instructions / 25 * 1.01


def test_a_hanging_device_ends_in_a_timeout(builds, ic_bundle):
    build = builds.get(ic_bundle, "qemu-mps2-an386")
    with start(build) as dev, DeviceClient(dev.url, timeout=1.0) as client:
        assert client.name() == "edge_ee-qemu-mps2-an386"
        os.kill(dev.pid, signal.SIGSTOP)
        try:
            with pytest.raises(DeviceTimeout, match="no answer .* within 1 s"):
                client.name()
        finally:
            os.kill(dev.pid, signal.SIGCONT)
    assert not dev.running()


@pytest.mark.parametrize("board", ["qemu-mps2-an386", "qemu-mps3-an547"])
def test_a_reset_reboots_the_firmware_and_the_host_notices_it(board, builds, ic_bundle):
    with start(builds.get(ic_bundle, board)) as dev, DeviceClient(dev.url) as client:
        client.set_mode(full=True)
        assert client.reset().counter == "systick-icount"  # waits for the boot line before sending anything
        assert client.info().mode == "early"  # state from before the reset is gone
        assert [b.counter for b in client.boots] == ["systick-icount"]
        (line,) = client.command("ee-calib")  # the counter runs again after the reset
        assert line.startswith("m-ee-calib-[200000,")
