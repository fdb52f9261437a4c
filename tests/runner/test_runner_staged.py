"""The staged runner on bundles from `edge-ee convert`: later stages are never run once an exit is taken,
the exit decision is the integer test, and the results equal the int8 and float expectations."""

import numpy as np
import pytest
import torch

from edge_ee.bundle import Bundle
from edge_ee.checkpoint import load_checkpoint
from edge_ee.data import load_dataset
from edge_ee.exits import int_should_exit
from edge_ee.runtime.engines import EngineOptions, make_engine
from edge_ee.runtime.inputs import dataset_samples
from edge_ee.runtime.simulate import SimConfig, simulate, write_dump
from edge_ee.runtime.staged import StagedRunner

from runner_helpers import CountingEngine


@pytest.fixture(scope="module")
def digits(digits_bundle):
    b = Bundle.load(digits_bundle)
    return b, dataset_samples(b, "digits")


def test_stages_after_an_exit_are_never_invoked(digits):
    b, s = digits
    engine = CountingEngine(make_engine("litert", b))
    runner = StagedRunner(b, engine)
    exits = []
    for x in s.x:
        engine.calls.clear()
        inf = runner.run(x)
        assert engine.calls == list(range(inf.exit + 1))
        exits.append(inf.exit)
    exits = np.array(exits)
    assert 0 < (exits == 0).sum() < len(exits)  # the default thresholds let some inputs leave early, not all
    assert runner.invocations == [len(exits), int((exits == 1).sum())]


def test_thresholds_given_at_run_time_decide(digits):
    b, s = digits
    for thresholds, expected in (((100.0,), [len(s.x), 0]), ((0.0,), [len(s.x), len(s.x)])):
        runner = StagedRunner(b, make_engine("litert", b), thresholds)
        for x in s.x:
            runner.run(x)
        assert runner.invocations == expected


def test_a_new_measure_needs_its_own_thresholds(digits):
    from edge_ee.errors import ConfigError

    b, _ = digits
    with pytest.raises(ConfigError, match="thresholds are for 'neglogpmax', not 'margin'"):
        StagedRunner(b, make_engine("litert", b), measure="margin")
    runner = StagedRunner(b, make_engine("litert", b), thresholds=[0.3], measure="margin")
    assert runner.tests[0].measure == "margin"


def test_exit_decision_is_the_integer_test_on_int8_logits(digits):
    b, s = digits
    runner = StagedRunner(b, make_engine("tflm", b))
    test = b.exit_tests()[0]
    for x in s.x[:60]:
        inf = runner.run(x, keep_outputs=True)
        stage0 = inf.outputs[0]["logits"]
        assert (inf.exit == 0) == int_should_exit(test, stage0)
        np.testing.assert_array_equal(inf.logits, inf.outputs[inf.exit]["logits"].ravel())


def test_results_equal_float_and_int8_expectations(digits, digits_checkpoint):
    b, s = digits
    sim = simulate(SimConfig(b.path, dataset="digits", engine="tflm"))
    ck = load_checkpoint(digits_checkpoint)
    x_float, y = load_dataset("digits").float("test")
    with torch.no_grad():
        float_logits = [lg.numpy() for lg in ck.model(torch.from_numpy(x_float))]
    for k in range(b.num_stages):  # every int8 exit agrees with its float exit
        agree = (sim.stage_outputs[k]["logits"].argmax(1) == float_logits[k].argmax(1)).mean()
        assert agree >= 0.97, (k, agree)
    # The staged chain run to the end and the monolithic full.tflite are the same network.
    assert (sim.stage_outputs[-1]["logits"].argmax(1) == sim.baseline_logits.argmax(1)).mean() >= 0.98
    s_ = sim.summary
    assert s_["baseline"]["source"].startswith("full.tflite")
    assert s_["accuracy"] >= s_["baseline_accuracy"] - 0.02 and s_["baseline_accuracy"] > 0.9
    assert s_["stage_invocations"][0] == len(y) and s_["stage_invocations"][1] == s_["exits"][1]["count"]


def test_tflm_and_litert_agree_and_tflm_matches_reference_kernels_on_every_stage(digits):
    b, s = digits
    tflm = make_engine("tflm", b)
    ref = make_engine("litert", b, EngineOptions(kernels="reference", interpreter="tflite_runtime"))
    fast = make_engine("litert", b)
    same_pred = []
    for x in s.x[:80]:
        h_t = h_r = x[None]
        for k in range(b.num_stages):
            o_t, o_r = tflm.run_stage(k, h_t), ref.run_stage(k, h_r)
            for key in o_t:
                np.testing.assert_array_equal(o_t[key], o_r[key])
            if k < b.num_stages - 1:
                h_t = h_r = o_t["features"]
        same_pred.append(StagedRunner(b, fast).run(x).prediction == StagedRunner(b, tflm).run(x).prediction)
    assert np.mean(same_pred) >= 0.97


def test_dump_is_a_consistent_golden_chain(digits, tmp_path):
    b, _ = digits
    sim = simulate(SimConfig(b.path, dataset="digits", engine="tflm", limit=30, keep_features=True))
    write_dump(sim, tmp_path / "d.npz")
    z = np.load(tmp_path / "d.npz")
    assert z["stage0_out0"].shape == (30, 10) and z["stage1_out0"].shape == (30, 10)
    assert z["stage0_out1"].shape == (30, *b.stages[1].input.shape[1:]) and z["stage0_out1"].dtype == np.int8
    tflm = make_engine("tflm", b)
    for i in range(30):  # stage 1 fed the dumped features reproduces the dumped stage-1 logits
        np.testing.assert_array_equal(tflm.run_stage(1, z["stage0_out1"][i][None])["logits"].ravel(), z["stage1_out0"][i])


def test_threshold_sweep_spans_all_full_to_all_early(digits):
    b, _ = digits
    sim = simulate(SimConfig(b.path, dataset="digits", board="qemu-mps2-an386"))
    pts = sim.summary["sweep"]["points"]
    assert pts[0]["threshold"] == 0.0 and pts[0]["exit_fractions"] == [0.0, 1.0]
    assert pts[-1]["exit_fractions"][0] == 1.0
    assert pts[0]["mac_savings"] < 0  # every head evaluated, nobody leaves: costs more than the plain network
    assert pts[-1]["accuracy"] == pytest.approx(sim.summary["exits"][0]["accuracy_if_all_left_here"])
    savings = [p["energy_savings"] for p in pts]
    assert savings == sorted(savings)
    e = sim.summary["energy"]
    fr = [x["fraction"] for x in sim.summary["exits"]]
    assert e["early_exit_uj"] == pytest.approx(fr[0] * e["per_exit_uj"][0] + fr[1] * e["per_exit_uj"][1])
    assert e["savings"] == pytest.approx(sim.summary["macs"]["savings"])  # the MCU model is linear in MACs
