"""Bundles from `edge-ee import` (the MLPerf Tiny reference models) run as the runner documents it."""

import numpy as np

from edge_ee.convert import import_tflite
from edge_ee.runtime.simulate import SimConfig, simulate


def test_imported_mlperf_models_take_their_samples_as_published(shared_data, tmp_path, ic_samples, kws_samples):
    mt = shared_data / "mlperf_tiny"
    ic = import_tflite(mt / "ic" / "pretrainedResnet_quant.tflite", tmp_path / "ic", preprocess="pixel-128")
    kws = import_tflite(mt / "kws" / "kws_ref_model.tflite", tmp_path / "kws")
    assert kws.preprocess is None  # the .bin files are the int8 tensor itself
    sim = simulate(SimConfig(ic.path, samples=ic_samples))
    raw = np.stack([np.fromfile(ic_samples / n, dtype=np.uint8) for n in sim.samples.names])
    np.testing.assert_array_equal(sim.samples.x.reshape(200, -1), (raw.astype(np.int16) - 128).astype(np.int8))
    assert sim.summary["accuracy"] >= 0.84  # 85-86.5 % on these 200 (engine-dependent)
    sim = simulate(SimConfig(kws.path, samples=kws_samples, limit=100))
    assert sim.summary["accuracy"] >= 0.85 and sim.summary["stage_invocations"] == [100]
