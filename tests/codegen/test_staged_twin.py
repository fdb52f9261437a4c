"""A real two-stage early-exit bundle (digits, TFLite-converted int8 stages): the twin's per-stage outputs equal
TFLite Micro's element for element, its C exit decisions and predictions equal the host runner's definition
(edge_ee.exits.int_should_exit on TFLM's logits, argmax), features pass between stages in place, and the
Cortex-M4 build (DSP path, QEMU) agrees."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from edge_ee.bundle import Bundle
from edge_ee.codegen.bench import qemu_run
from edge_ee.codegen.twin import TwinEngine
from edge_ee.exits import int_should_exit, int_uncertainty

from codegen_support import digits_inputs, make_staged_digits_bundle, tflm_outputs

N = 40


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    bundle = Bundle.load(make_staged_digits_bundle(tmp_path_factory.mktemp("digits") / "bundle"))
    xs = digits_inputs(bundle, N)
    s0, s1 = bundle.stages
    g0 = tflm_outputs(bundle.stage_path(0), xs, tensors=[s0.logits.index, s0.features.index])
    feats = np.stack([g[s0.features.index].reshape(s1.input.shape) for g in g0])
    g1 = tflm_outputs(bundle.stage_path(1), feats, tensors=[s1.logits.index])
    logits = [np.stack([g[s0.logits.index].reshape(s0.logits.shape) for g in g0]),
              np.stack([g[s1.logits.index].reshape(s1.logits.shape) for g in g1])]
    # A threshold at the median uncertainty of exit 0, so that both decisions occur.
    test0 = bundle.exit_tests()[0]
    u = sorted(int_uncertainty(test0, q) for q in logits[0])
    threshold = (u[N // 2 - 1] + u[N // 2]) / 2
    twin = TwinEngine(bundle, tmp_path_factory.mktemp("twin"), thresholds=[threshold])
    return bundle, xs, feats, logits, threshold, twin


def test_every_stage_equals_tflite_micro(digits):
    bundle, xs, feats, logits, _, twin = digits
    for i, x in enumerate(xs):
        out0 = twin.run_stage(0, x)
        np.testing.assert_array_equal(out0["logits"], logits[0][i])
        np.testing.assert_array_equal(out0["features"], feats[i])
        out1 = twin.run_stage(1, out0["features"])
        assert set(out1) == {"logits"}
        np.testing.assert_array_equal(out1["logits"], logits[1][i])


def test_exit_decisions_and_predictions_equal_host_runner(digits):
    bundle, xs, _, logits, threshold, twin = digits
    test0 = bundle.exit_tests(thresholds=[threshold])[0]
    exits = []
    for i, x in enumerate(xs):
        want_exit = 0 if int_should_exit(test0, logits[0][i]) else 1
        exit_stage, pred, per_exit = twin.infer(x)
        assert exit_stage == want_exit
        assert pred == int(np.argmax(logits[want_exit][i]))
        assert len(per_exit) == want_exit + 1
        for k, got in enumerate(per_exit):
            assert set(got) == {"logits"}
            np.testing.assert_array_equal(got["logits"], logits[k][i])
        assert twin.exit_decision(0, logits[0][i]) == (want_exit == 0)
        exits.append(exit_stage)
        full_stage, full_pred, full_per_exit = twin.infer(x, force_full=True)
        assert full_stage == 1 and full_pred == int(np.argmax(logits[1][i])) and len(full_per_exit) == 2
    assert 0 < exits.count(0) < N  # both decisions occur


def test_features_stay_in_place_and_scores(digits):
    bundle, xs, _, _, _, twin = digits
    mem = twin.generated.memory
    feat_buf = [b for b in mem["buffers"] if b["stage"] == 0 and b["tensor"] == bundle.stages[0].features.index]
    assert feat_buf and feat_buf[0]["offset"] == mem["stages"][1]["input_offset"]  # no copy between stages
    _, _, _, r = twin.lib.infer(xs[0])
    permille = twin.lib.scores_permille(r)
    assert permille.min() >= 0 and abs(int(permille.sum()) - 1000) <= 10
    assert int(np.argmax(permille)) == r.predicted


def test_stage_hook_brackets_each_stage(digits):
    bundle, xs, _, _, _, twin = digits
    calls = []
    hook_t = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int)
    hook = hook_t(lambda stage, begin: calls.append((stage, begin)))
    twin.lib.lib.ee_set_stage_hook(hook)
    try:
        twin.lib.infer(xs[0], force_full=True)
    finally:
        twin.lib.lib.ee_set_stage_hook(None)
    assert calls == [(0, 1), (0, 0), (1, 1), (1, 0)]


def test_cortex_m4_dsp_build_agrees(digits):
    bundle, xs, _, logits, _, twin = digits
    run = qemu_run(twin.generated.out_dir, xs[:4])
    for i in range(4):
        np.testing.assert_array_equal(run.exit_logits[i][0], logits[0][i].ravel())
        np.testing.assert_array_equal(run.exit_logits[i][1], logits[1][i].ravel())
