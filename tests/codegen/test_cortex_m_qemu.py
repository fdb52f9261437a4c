"""The Cortex-M builds under QEMU: on Cortex-M4F (mps2-an386) the DSP path (SMLAD) and on Cortex-M55
(mps3-an547) the MVE path (Helium), each next to the reference path, give every intermediate tensor of the
MLPerf Tiny models bit-exactly equal to TFLite Micro, and the optimized paths retire fewer instructions."""

from __future__ import annotations

import numpy as np
import pytest

from edge_ee.codegen import ExitSpec, StageSpec, generate
from edge_ee.codegen.bench import qemu_run
from edge_ee.tflite_model import read_tflite

from codegen_support import MLPERF, load_samples, tflm_outputs


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("name", list(MLPERF))
def test_optimized_and_reference_paths_bitexact(name, target, shared_data, tmp_path):
    path = shared_data / "mlperf_tiny" / MLPERF[name][0]
    m = read_tflite(path)
    out = m.outputs[0]
    g = generate([StageSpec(path, m.inputs[0], out, None)], [ExitSpec("entropy", None, m.tensors[out].scale)],
                 tmp_path / "c", keep_all=True)
    offsets = {b["tensor"]: b["offset"] for b in g.memory["buffers"] if b["tensor"] is not None}
    activations = [i for i in offsets if m.tensors[i].dtype == "int8"]
    xs = load_samples(shared_data, name, 1)
    golden = tflm_outputs(path, xs, tensors=activations)[0]
    counts = {}
    for reference in (False, True):
        run = qemu_run(g.out_dir, xs, target=target, reference=reference)
        arena = run.arenas[0]
        for i in activations:
            t = m.tensors[i]
            np.testing.assert_array_equal(arena[offsets[i]:offsets[i] + t.size], golden[i].ravel(),
                                          err_msg=f"{target} {'reference' if reference else 'optimized'} path, tensor {t.name}")
        np.testing.assert_array_equal(run.exit_logits[0][0], golden[out].ravel())
        counts[reference] = run.instructions[0]
        assert 0 < run.stack_bytes[0] < 1024  # measured stack high-water mark: kernels keep no big locals
    assert counts[False] < (0.8 if target == "cortex-m4" else 0.5) * counts[True]  # SIMD pays off
