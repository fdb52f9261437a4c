"""Staged conversion of real trained models: the digits CNN (2 stages) and resnet8 briefly trained on real
CIFAR-10 (3 stages). Each test reads the bundle back with the LiteRT interpreter or the flatbuffer itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ai_edge_litert.interpreter import Interpreter

from edge_ee.bundle import Bundle
from edge_ee.checkpoint import load_checkpoint
from edge_ee.convert.tflite import WEIGHTED_OPS, check_full_int8, count_macs
from edge_ee.convert.verify import dequantize, run_chain
from edge_ee.runtime.inputs import quantize
from edge_ee.data import load_dataset
from edge_ee.exits import threshold_q
from edge_ee.macs import stage_macs
from edge_ee.tflite_model import read_tflite

BUNDLES = [pytest.param(("digits_bundle", "digits_checkpoint"), id="digits"),
           pytest.param(("resnet8_bundle", "resnet8_checkpoint"), id="resnet8", marks=pytest.mark.slow)]
MIN_AGREEMENT = {"digits-cnn": 0.95, "resnet8": 0.90}


@pytest.fixture(params=BUNDLES)
def case(request):
    bundle_fixture, ckpt_fixture = request.param
    return request.getfixturevalue(bundle_fixture), load_checkpoint(request.getfixturevalue(ckpt_fixture))


def held_out(bundle: Bundle, ck, n: int):
    """The first n test-split samples: raw uint8 NHWC, float NCHW for PyTorch, int8 for stage 0, labels."""
    ds = load_dataset(ck.dataset["name"], ck.dataset["data_dir"])
    raw, labels = ds.raw("test")
    raw, labels = raw[:n], labels[:n]
    x = ds.preprocess.apply(raw)
    return raw, x, quantize(x.transpose(0, 2, 3, 1), bundle.input), labels


def files(bundle: Bundle):
    return [bundle.stage_path(k) for k in range(bundle.num_stages)] + [bundle.baseline_path()]


def test_every_file_is_fully_int8_with_per_channel_weights_and_int32_biases(case):
    bundle, _ = case
    for path in files(bundle):
        g = read_tflite(path)
        check_full_int8(g, per_channel=True)
        assert all(g.tensors[i].dtype == "int8" for i in g.inputs + g.outputs), path.name
        assert all(t.dtype == "int8" for t in g.tensors if not t.is_const), f"{path.name} has non-int8 activations"
        weighted = [op for op in g.operators if op.name in WEIGHTED_OPS]
        assert weighted, path.name
        for op in weighted:
            w, b = g.tensors[op.inputs[1]], g.tensors[op.inputs[2]]
            out_channels = w.shape[3] if op.name == "DEPTHWISE_CONV_2D" else w.shape[0]
            assert w.dtype == "int8" and w.quant.scale.size == out_channels, (path.name, op.name, w.name)
            assert b.dtype == "int32", (path.name, op.name, b.name)
        details = Interpreter(model_path=str(path))
        assert {d["dtype"] for d in details.get_input_details() + details.get_output_details()} == {np.int8}


def test_every_boundary_is_bit_equal_as_the_interpreter_reads_it(case):
    bundle, _ = case
    assert bundle.num_stages >= 2
    for k in range(1, bundle.num_stages):
        producer = Interpreter(model_path=str(bundle.stage_path(k - 1)))
        consumer = Interpreter(model_path=str(bundle.stage_path(k)))
        out = next(d for d in producer.get_output_details() if d["index"] == bundle.stages[k - 1].features.index)
        (inp,) = consumer.get_input_details()
        assert inp["index"] == bundle.stages[k].input.index
        assert out["dtype"] == inp["dtype"] == np.int8
        assert list(out["shape"]) == list(inp["shape"])
        assert out["quantization"] == inp["quantization"]  # exact float equality, not approximate
        f = bundle.stages[k - 1].features
        assert (f.scale, f.zero_point) == tuple(out["quantization"])


def test_chaining_the_stage_files_equals_feeding_each_stage_the_previous_int8_output(case):
    bundle, ck = case
    _, _, x_q, _ = held_out(bundle, ck, 16)
    chain = run_chain(bundle.path, bundle.stages, x_q)
    for i in range(len(x_q)):
        f = x_q[i]
        for k, s in enumerate(bundle.stages):
            it = Interpreter(model_path=str(bundle.stage_path(k)))
            it.allocate_tensors()
            it.set_tensor(s.input.index, f.reshape(s.input.shape))
            it.invoke()
            logits = it.get_tensor(s.logits.index).reshape(-1)
            assert np.array_equal(logits, chain[k][0][i]), (i, k)
            if s.features is not None:
                out = it.get_tensor(s.features.index)
                assert np.array_equal(out[0], chain[k][1][i]), (i, k)
                # Bit-equal boundary: handing over in float (dequantize with the producer's parameters, quantize
                # with the consumer's) gives back exactly the same int8 tensor.
                nxt = bundle.stages[k + 1].input
                assert np.array_equal(quantize(dequantize(out, s.features), nxt), out)
                f = out


def test_each_exit_agrees_with_the_float_model(case):
    bundle, ck = case
    _, x, x_q, labels = held_out(bundle, ck, 200)
    with torch.no_grad():
        float_logits = [o.numpy() for o in ck.model(torch.from_numpy(x))]
    chain = run_chain(bundle.path, bundle.stages, x_q)
    minimum = MIN_AGREEMENT[ck.model_name]
    for k in range(bundle.num_stages):
        agreement = float((chain[k][0].argmax(1) == float_logits[k].argmax(1)).mean())
        assert agreement >= minimum, f"exit {k}: int8 agrees with float on {agreement:.3f}"
    v = bundle.manifest["verification"]
    assert [e["index"] for e in v["exits"]] == list(range(bundle.num_stages))
    assert all(e["agreement"] >= minimum for e in v["exits"]), v["exits"]
    assert v["samples"] > 0 and v["split"] == "test"


def test_the_full_baseline_predicts_what_the_last_stage_predicts(case):
    bundle, ck = case
    _, _, x_q, _ = held_out(bundle, ck, 200)
    chain = run_chain(bundle.path, bundle.stages, x_q)
    b = bundle.manifest["baseline"]
    it = Interpreter(model_path=str(bundle.baseline_path()))
    it.allocate_tensors()
    preds = []
    for x in x_q:
        it.set_tensor(b["input"]["index"], x[None])
        it.invoke()
        preds.append(it.get_tensor(b["logits"]["index"]).argmax())
    agreement = float((np.array(preds) == chain[-1][0].argmax(1)).mean())
    assert agreement >= 0.93, agreement
    assert bundle.manifest["verification"]["baseline"]["agreement_with_last_stage"] >= 0.93


def test_manifest_describes_the_model_its_costs_and_its_exits(case):
    bundle, ck = case
    m = bundle.manifest
    model = ck.model
    assert m["model"]["name"] == ck.model_name and m["model"]["source"] == "checkpoint"
    assert bundle.class_names == ck.class_names and m["model"]["exit_names"] == model.exit_names
    assert bundle.preprocess == ck.dataset["preprocess"]
    c, h, w = model.input_shape
    assert bundle.input.shape == (1, h, w, c) and bundle.input.dtype == "int8"  # NHWC
    # MACs: PyTorch's count per stage, and the same number counted from each int8 file's own ops.
    for s, macs in zip(bundle.stages, stage_macs(model)):
        assert (s.backbone_macs, s.head_macs) == (macs.backbone_macs, macs.head_macs)
        assert count_macs(read_tflite(bundle.stage_path(s.index))) == s.backbone_macs + s.head_macs
        assert s.ops == read_tflite(bundle.stage_path(s.index)).op_names
    full = sum(s.backbone_macs for s in bundle.stages) + bundle.stages[-1].head_macs
    assert m["baseline"]["macs"] == full == count_macs(read_tflite(bundle.baseline_path()))
    # Exits: float threshold and the device's integer threshold; the last exit always takes the input.
    for e, raw in zip(bundle.exits[:-1], m["exits"][:-1]):
        assert raw["threshold"] > 0 and raw["threshold_q"] == threshold_q(raw["measure"], raw["threshold"])
    assert m["exits"][-1]["threshold"] is None and m["exits"][-1]["threshold_q"] is None
    assert m["thresholds"]["source"] == "default" and "note" in m["thresholds"]
    tests = bundle.exit_tests()
    assert all(t is not None for t in tests[:-1]) and tests[-1] is None
    # Every file hashed; the toolchain recorded.
    assert set(m["files"]) == {p.name for p in files(bundle)}
    tc = m["provenance"]["toolchain"]
    assert all(tc.get(pkg) for pkg in ("torch", "onnx2tf", "tensorflow", "ai-edge-litert", "edge_ee"))
    assert len(m["provenance"]["checkpoint_sha256"]) == 64


@pytest.mark.slow
def test_resnet8_converts_into_three_stages(resnet8_conversion):
    # The conversion time is a benchmark figure (printed here, reported in the notes), not a test condition.
    path, seconds = resnet8_conversion
    assert Bundle.load(path).num_stages == 3
    print(f"resnet8 3-stage conversion: {seconds:.1f} s")


def test_tflite_micro_runs_the_stage_chain_within_one_lsb_of_litert(case):
    """TFLite Micro (the microcontroller reference kernels) loads every stage file; its logits differ from
    LiteRT's optimized kernels by at most a rounding step, and its predictions are the same."""
    from tflite_micro.python.tflite_micro import runtime

    bundle, ck = case
    _, _, x_q, _ = held_out(bundle, ck, 12)
    chain = run_chain(bundle.path, bundle.stages, x_q)
    micro = [runtime.Interpreter.from_file(str(bundle.stage_path(k)), arena_size=1 << 20)
             for k in range(bundle.num_stages)]
    for i in range(len(x_q)):
        f = x_q[i:i + 1]
        for k, (it, s) in enumerate(zip(micro, bundle.stages)):
            it.set_input(f, 0)
            it.invoke()
            outs = [it.get_output(j) for j in range(1 if s.features is None else 2)]
            logits = next(o for o in outs if o.shape == s.logits.shape)
            diff = np.abs(logits.astype(int).ravel() - chain[k][0][i].astype(int))
            assert diff.max() <= 2 and logits.argmax() == chain[k][0][i].argmax(), (i, k, diff.max())
            if s.features is not None:
                f = next(o for o in outs if o.shape == s.features.shape)
