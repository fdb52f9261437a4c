"""Options the reference models do not exercise, each checked tensor by tensor against TFLite Micro on random
inputs: dilated convolution, depth multiplier 2, ADD of differently scaled operands, SAME/VALID pooling with
clipped windows, PADV2-free PAD, MEAN without keep_dims, per-channel FULLY_CONNECTED inputs, SOFTMAX over
non-saturated logits. The model is converted with TensorFlow's int8 converter (real TFLite arithmetic)."""

from __future__ import annotations

import ctypes
import os

import numpy as np
import pytest

from edge_ee.codegen import ExitSpec, StageSpec, generate
from edge_ee.codegen.bench import qemu_run
from edge_ee.codegen.build import build_shared
from edge_ee.codegen.twin import TwinLibrary
from edge_ee.tflite_model import read_tflite

from codegen_support import tflm_outputs


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    rng = np.random.default_rng(1)
    w = {"c": rng.normal(0, 0.3, (3, 3, 4, 8)).astype(np.float32),
         "dw": rng.normal(0, 0.2, (3, 3, 4, 2)).astype(np.float32),
         "fc": rng.normal(0, 0.3, (8, 10)).astype(np.float32)}

    @tf.function(input_signature=[tf.TensorSpec((1, 12, 12, 4), tf.float32)])
    def model(x):
        a = tf.nn.relu6(tf.nn.conv2d(x, w["c"], 1, "SAME", dilations=2) + 0.1)
        b = tf.nn.depthwise_conv2d(x, w["dw"], [1, 1, 1, 1], "VALID")  # depth multiplier 2
        b = tf.pad(b, [[0, 0], [1, 1], [1, 1], [0, 0]])
        c = a + b
        d = tf.nn.avg_pool2d(c, 3, 2, "SAME")
        e = tf.nn.max_pool2d(c, 3, 2, "SAME")
        f = tf.reduce_mean(d + e, axis=[1, 2])
        return tf.nn.softmax(tf.matmul(f, w["fc"]))

    conv = tf.lite.TFLiteConverter.from_concrete_functions([model.get_concrete_function()], model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    calib = rng.uniform(-1, 1, (64, 1, 12, 12, 4)).astype(np.float32)
    conv.representative_dataset = lambda: ([x] for x in calib)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    path = tmp_path_factory.mktemp("zoo") / "zoo.tflite"
    path.write_bytes(conv.convert())
    m = read_tflite(path)
    out = m.outputs[0]
    g = generate([StageSpec(path, m.inputs[0], out, None)], [ExitSpec("entropy", None, m.tensors[out].scale)],
                 path.parent / "c", keep_all=True)
    xs = rng.integers(-128, 128, (24, 1, 12, 12, 4)).astype(np.int8)
    return path, m, g, xs


def _compare(m, g, arenas, golden):
    offsets = {b["tensor"]: b["offset"] for b in g.memory["buffers"] if b["tensor"] is not None}
    for arena, want in zip(arenas, golden):
        for i, t in ((i, m.tensors[i]) for i in offsets if m.tensors[i].dtype == "int8"):
            np.testing.assert_array_equal(arena[offsets[i]:offsets[i] + t.size], want[i].ravel(),
                                          err_msg=f"tensor {t.name} ({m.producer(i).name if m.producer(i) else 'input'})")


def test_model_has_the_ops(zoo):
    _, m, _, _ = zoo
    names = m.op_names
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "PAD", "ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN",
               "FULLY_CONNECTED", "SOFTMAX"):
        assert op in names, (op, names)
    conv = next(o for o in m.operators if o.name == "CONV_2D")
    assert conv.options.dilationHFactor == 2
    dw = next(o for o in m.operators if o.name == "DEPTHWISE_CONV_2D")
    assert dw.options.depthMultiplier == 2


def test_every_tensor_equals_tflite_micro_on_host(zoo):
    path, m, g, xs = zoo
    out = m.outputs[0]
    lib = TwinLibrary(build_shared(g.out_dir), 1, m.tensors[out].size,
                      [{"input": m.tensors[m.inputs[0]].shape, "logits": m.tensors[out].shape, "features": None}])
    lib.lib.ee_debug_arena.restype = ctypes.POINTER(ctypes.c_int8)
    arenas = []
    for x in xs:
        lib.run_stage(0, x)
        arenas.append(np.ctypeslib.as_array(lib.lib.ee_debug_arena(), shape=(g.arena_size,)).copy())
    golden = tflm_outputs(path, xs, tensors=[i for i, t in enumerate(m.tensors) if t.dtype == "int8" and not t.is_const])
    _compare(m, g, arenas, golden)
    probs = np.stack([gd[out].ravel() for gd in golden])
    assert len(np.unique(probs)) > 20  # the softmax is exercised away from saturation


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
def test_every_tensor_equals_tflite_micro_on_cortex_m(zoo, target):
    path, m, g, xs = zoo
    run = qemu_run(g.out_dir, xs[:3], target=target)
    golden = tflm_outputs(path, xs[:3], tensors=[i for i, t in enumerate(m.tensors) if t.dtype == "int8" and not t.is_const])
    _compare(m, g, run.arenas, golden)
