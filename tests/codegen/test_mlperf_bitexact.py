"""The generated C is bit-exact with TFLite Micro on the MLPerf Tiny int8 reference models, on their
EnergyRunner perf samples: every output element equal, no tolerance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge_ee.bundle import Bundle
from edge_ee.codegen import ExitSpec, StageSpec, generate
from edge_ee.codegen.build import build_shared
from edge_ee.codegen.twin import TwinLibrary
from edge_ee.tflite_model import read_tflite

from codegen_support import MLPERF, load_samples, tflm_outputs

SAMPLES = {"ic": 24, "kws": 24, "vww": 12}


@pytest.mark.parametrize("name", list(MLPERF))
def test_twin_outputs_equal_tflite_micro(name, shared_data, mlperf_bundles, twin_engines):
    bundle = Bundle.load(mlperf_bundles[name])
    xs = load_samples(shared_data, name, SAMPLES[name])
    golden = tflm_outputs(bundle.stage_path(0), xs)
    engine = twin_engines[name]
    for x, want in zip(xs, golden):
        got = engine.run_stage(0, x)
        assert set(got) == {"logits"}
        assert got["logits"].dtype == np.int8 and got["logits"].shape == bundle.stages[0].logits.shape
        np.testing.assert_array_equal(got["logits"], want)
        exit_stage, pred, per_exit = engine.infer(x)
        assert exit_stage == 0 and pred == int(np.argmax(want))
        np.testing.assert_array_equal(per_exit[0]["logits"], want)
        # The model ends in SOFTMAX: its scores are its probabilities, (q + 128) / 256, in permille.
        _, _, _, r = engine.lib.infer(x)
        np.testing.assert_array_equal(engine.lib.scores_permille(r),
                                      np.floor(((want.ravel().astype(np.int64) + 128) * 1000 + 128) / 256))


@pytest.mark.parametrize("name", list(MLPERF))
def test_every_intermediate_tensor_equals_tflite_micro(name, shared_data, tmp_path):
    """Kernel by kernel: with a plan that reuses nothing, every activation tensor is read back from the arena."""
    import ctypes

    path = shared_data / "mlperf_tiny" / MLPERF[name][0]
    m = read_tflite(path)
    out = m.outputs[0]
    g = generate([StageSpec(path, m.inputs[0], out, None)], [ExitSpec("entropy", None, m.tensors[out].scale)],
                 tmp_path / "c", keep_all=True)
    lib = TwinLibrary(build_shared(tmp_path / "c"), 1, m.tensors[out].size,
                      [{"input": m.tensors[0].shape, "logits": m.tensors[out].shape, "features": None}])
    lib.lib.ee_debug_arena.restype = ctypes.POINTER(ctypes.c_int8)
    plan = json.loads((tmp_path / "c" / "memory.json").read_text())["buffers"]
    offsets = {b["tensor"]: b["offset"] for b in plan if b["tensor"] is not None}
    activations = [i for i in offsets if m.tensors[i].dtype == "int8"]
    assert len(activations) >= len(m.operators) - 1  # every op output but the aliased reshape has a region
    xs = load_samples(shared_data, name, 2)
    golden = tflm_outputs(path, xs, tensors=activations)
    arena_size = g.arena_size
    for x, want in zip(xs, golden):
        lib.run_stage(0, x)
        arena = np.ctypeslib.as_array(lib.lib.ee_debug_arena(), shape=(arena_size,)).copy()
        for i in activations:
            t = m.tensors[i]
            got = arena[offsets[i]:offsets[i] + t.size].reshape(t.shape)
            np.testing.assert_array_equal(got, want[i].reshape(t.shape), err_msg=f"tensor {i} {t.name}")
