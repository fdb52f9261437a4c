"""resnet8 (the MLPerf Tiny IC network) in 3 stages from `edge-ee convert`, on real CIFAR-10 test images."""

import numpy as np
import pytest

from edge_ee.bundle import Bundle
from edge_ee.runtime.engines import make_engine
from edge_ee.runtime.inputs import dataset_samples
from edge_ee.runtime.simulate import SimConfig, simulate
from edge_ee.runtime.staged import StagedRunner

from runner_helpers import CountingEngine

pytestmark = pytest.mark.slow  # trains and converts resnet8 (about a minute or more)


def test_three_stage_early_exit_on_cifar10(resnet8_bundle, cifar_dir):
    b = Bundle.load(resnet8_bundle)
    assert b.num_stages == 3 and b.baseline is not None
    s = dataset_samples(b, "cifar10", str(cifar_dir), limit=150)
    engine = CountingEngine(make_engine("litert", b))
    runner = StagedRunner(b, engine, thresholds=[1.5, 1.5])  # the briefly trained model is unsure: loose enough for all three exits to take inputs
    exits = []
    for x in s.x:
        engine.calls.clear()
        inf = runner.run(x)
        assert engine.calls == list(range(inf.exit + 1))
        exits.append(inf.exit)
    counts = np.bincount(exits, minlength=3)
    assert (counts > 0).all()
    assert runner.invocations == [150, 150 - counts[0], counts[2]]

    sim_t = simulate(SimConfig(b.path, dataset="cifar10", data_dir=str(cifar_dir), limit=150, engine="tflm",
                               thresholds=(1.5, 1.5), board="nucleo-l4r5zi"))
    sim_l = simulate(SimConfig(b.path, dataset="cifar10", data_dir=str(cifar_dir), limit=150, engine="litert",
                               thresholds=(1.5, 1.5)))
    assert (sim_t.predictions == sim_l.predictions).mean() >= 0.95
    st = sim_t.summary
    reached = [int((sim_t.exit_at >= k).sum()) for k in range(3)]
    assert st["stage_invocations"] == reached
    assert st["baseline_accuracy"] > 0.3  # briefly trained, yet far above chance
    assert 0 < st["energy"]["savings"] < 1 and st["energy"]["modeled"] is True
