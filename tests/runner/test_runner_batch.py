"""Batched staged inference (`StagedRunner.run_batch`): stage k runs once per batch on the inputs no earlier exit
took, and every input leaves where it leaves when run alone."""

import numpy as np
import pytest

from edge_ee.bundle import Bundle
from edge_ee.errors import BundleError, ConfigError
from edge_ee.runtime.engines import EngineOptions, make_engine, power_of_two_chunks
from edge_ee.runtime.inputs import dataset_samples
from edge_ee.runtime.staged import StagedRunner

pytestmark = pytest.mark.slow  # trains and converts resnet8


class RowCountingEngine:
    """A real engine that records how many inputs each batched stage call got."""

    def __init__(self, engine):
        self.engine, self.name, self.calls = engine, engine.name, []

    def run_stage(self, k, x):
        return self.engine.run_stage(k, x)

    def run_stage_batch(self, k, x):
        self.calls.append((k, len(x)))
        return self.engine.run_stage_batch(k, x)


@pytest.fixture(scope="module")
def resnet8(resnet8_bundle, cifar_dir):
    b = Bundle.load(resnet8_bundle)
    return b, dataset_samples(b, "cifar10", str(cifar_dir), limit=45).x


@pytest.mark.parametrize("engine_name", ["litert", "tflm"])
def test_a_batch_takes_every_input_to_the_exit_it_takes_alone(resnet8, engine_name):
    b, x = resnet8
    engine = RowCountingEngine(make_engine(engine_name, b, EngineOptions(max_batch=16)))
    alone = StagedRunner(b, engine.engine, thresholds=[1.5, 1.5])
    one = [alone.run(xi) for xi in x]
    runner = StagedRunner(b, engine, thresholds=[1.5, 1.5])
    r = runner.run_batch(x)
    np.testing.assert_array_equal(r.exits, [i.exit for i in one])
    np.testing.assert_array_equal(r.logits, np.stack([i.logits for i in one]))
    np.testing.assert_array_equal(r.predictions, [i.prediction for i in one])
    reached = [int((r.exits >= k).sum()) for k in range(3)]
    assert 0 < reached[2] < reached[1] < reached[0] == len(x)  # loose thresholds: all three exits take inputs
    assert r.stage_rows == reached and runner.invocations == reached
    assert engine.calls == [(k, n) for k, n in enumerate(reached)]  # one call per stage, only the inputs still in


def test_a_batch_at_full_depth_runs_every_stage_on_every_input(resnet8):
    b, x = resnet8
    runner = StagedRunner(b, make_engine("litert", b), thresholds=[1.5, 1.5])
    r = runner.run_batch(x, force_full=True)
    assert r.stage_rows == [len(x)] * 3 and (r.exits == 2).all()


def test_litert_batches_are_power_of_two_calls_equal_to_single_runs(resnet8):
    b, x = resnet8
    assert power_of_two_chunks(45, 16) == [16, 16, 8, 4, 1] and power_of_two_chunks(64, 64) == [64]
    engine = make_engine("litert", b, EngineOptions(max_batch=16))
    batched = engine.run_stage_batch(0, x)
    for key in ("logits", "features"):
        np.testing.assert_array_equal(batched[key], np.concatenate([engine.run_stage(0, xi[None])[key] for xi in x]))
    np.testing.assert_array_equal(engine.run_full_batch(x), np.concatenate([engine.run_full(xi[None]) for xi in x]))
    with pytest.raises(ConfigError, match="power of two"):
        make_engine("litert", b, EngineOptions(max_batch=48))


def test_a_batch_of_the_wrong_shape_names_the_shape_it_needs(resnet8):
    b, x = resnet8
    runner = StagedRunner(b, make_engine("litert", b))
    with pytest.raises(BundleError, match=r"int8 \(N, 32, 32, 3\), got int8 \(45, 3, 32, 32\)"):
        runner.run_batch(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    with pytest.raises(BundleError, match="got float32"):
        runner.run_batch(x.astype(np.float32))


def test_every_resnet8_stage_is_one_xnnpack_partition(resnet8):
    """The zoo's heads avoid ops XNNPACK leaves to the builtin kernels (int8 average pooling split stage 0 in
    two and took a third of its time)."""
    b, _ = resnet8
    assert make_engine("litert", b).describe()["delegate_partitions"] == [1, 1, 1]
