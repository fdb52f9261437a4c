"""A two-stage early-exit bundle on the three emulated boards: every exit decision and prediction on the device
equals the host twin's and the host runner's (TFLite Micro + the integer exit test), forced full depth runs
every stage, and per-stage instruction counts are reproducible run to run."""

from __future__ import annotations

import pytest

from edge_ee.boards import load_board
from edge_ee.device import qemu
from edge_ee.device.protocol import DeviceClient

from firmware_support import EMULATED


@pytest.fixture(scope="module")
def staged(staged_bundle, staged_inputs, tmp_path_factory):
    """Twin and host runner with a threshold at the median uncertainty of exit 0, so both decisions occur."""
    from edge_ee.codegen.twin import TwinEngine
    from edge_ee.exits import int_uncertainty
    from edge_ee.runtime.engines import make_engine
    from edge_ee.runtime.staged import StagedRunner

    tflm = make_engine("tflm", staged_bundle)
    test0 = staged_bundle.exit_tests()[0]
    shape = staged_bundle.input.shape
    u = sorted(int_uncertainty(test0, tflm.run_stage(0, x.reshape(shape))["logits"]) for x in staged_inputs)
    thresholds = [(u[len(u) // 2 - 1] + u[len(u) // 2]) / 2]
    twin = TwinEngine(staged_bundle, tmp_path_factory.mktemp("staged_twin"), thresholds=thresholds)
    return thresholds, twin, StagedRunner(staged_bundle, tflm, thresholds=thresholds)


@pytest.mark.parametrize("board", EMULATED)
def test_exit_decisions_and_predictions_equal_the_twin_and_the_host_runner(board, builds, staged_bundle,
                                                                           staged_inputs, staged):
    thresholds, twin, runner = staged
    build = builds.get(staged_bundle, board, thresholds)
    records = []
    with qemu.start(load_board(board).qemu_machine, build.elf) as dev, DeviceClient(dev.url) as client:
        for x in staged_inputs:
            client.load_input(x.tobytes())
            early = client.infer(1, 0, num_stages=2).records[0]
            host = runner.run(x)
            assert (early.exit, early.pred) == twin.infer(x)[:2] == (host.exit, host.prediction)
            assert early.mode == 0 and (early.counts[1] == 0) == (early.exit == 0) and early.counts[0] > 0
            records.append(early)

            client.set_mode(full=True)
            full = client.infer(1, 0, num_stages=2).records[0]
            client.set_mode(full=False)
            assert (full.exit, full.pred, full.mode) == (1, twin.infer(x, force_full=True)[1], 1)
            assert full.counts[1] > 0
            if early.exit == 1:
                assert full.counts[1] == early.counts[1]  # the same stage 1, to the instruction
        info = client.info()
        assert 0 < info.stack_used < info.stack_bytes  # the stack never overflowed
        # Run to run: the first input again gives the same per-stage counts, to the instruction.
        client.load_input(staged_inputs[0].tobytes())
        again = client.infer(1, 0).records[0]
    assert {r.exit for r in records} == {0, 1}
    assert (again.exit, again.counts) == (records[0].exit, records[0].counts)


def test_energy_mode_replaces_lap_lines_by_the_timestamp_pin(builds, staged_bundle, staged_inputs):
    build = builds.get(staged_bundle, "qemu-mps2-an386", energy_mode=True)
    assert build.energy_mode
    with qemu.start("mps2-an386", build.elf) as dev, DeviceClient(dev.url) as client:
        client.load_input(staged_inputs[0].tobytes())
        res = client.infer(3, 1)
        assert res.lap_us is None and not any(ln.startswith("m-lap-us-") for ln in res.lines)
        assert [r.seq for r in res.records] == [0, 1, 2] and len(res.scores) == 10
