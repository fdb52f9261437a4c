"""The project's own staged models (digits-cnn, resnet8 converted by `edge-ee convert`) through the twin:
every stage's int8 outputs equal TFLite Micro's on real test images, the C exit decisions and predictions equal
the host runner's, and `edge-ee simulate --engine twin` reports and dumps what `--engine tflm` does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge_ee.bundle import Bundle
from edge_ee.cli import main
from edge_ee.runtime.engines import make_engine
from edge_ee.runtime.inputs import dataset_samples
from edge_ee.runtime.staged import StagedRunner

DATASETS = {"digits": ("digits", None), "resnet8": ("cifar10", "cifar")}
LIMIT = 40


@pytest.fixture(scope="module")
def setups(converted_bundles, cifar_dir):
    out = {}
    for name, path in converted_bundles.items():
        bundle = Bundle.load(path)
        ds, needs_dir = DATASETS[name]
        samples = dataset_samples(bundle, ds, cifar_dir if needs_dir else None, limit=LIMIT)
        out[name] = (bundle, samples, make_engine("twin", bundle), make_engine("tflm", bundle))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DATASETS))
def test_every_stage_equals_tflite_micro(setups, name):
    bundle, samples, twin, tflm = setups[name]
    assert bundle.num_stages == {"digits": 2, "resnet8": 3}[name]
    for x in samples.x:
        h = x.reshape(bundle.input.shape)
        for k in range(bundle.num_stages):
            got, want = twin.run_stage(k, h), tflm.run_stage(k, h)
            assert set(got) == set(want)
            for key in want:
                assert got[key].dtype == np.int8 and got[key].shape == want[key].shape
                np.testing.assert_array_equal(got[key], want[key], err_msg=f"stage {k} {key}")
            h = want.get("features")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DATASETS))
def test_exit_decisions_and_predictions_equal_host_runner(setups, name):
    bundle, samples, twin, tflm = setups[name]
    runner = StagedRunner(bundle, tflm)
    for x in samples.x:
        ref = runner.run(x)
        exit_stage, pred, per_exit = twin.infer(x)
        assert (exit_stage, pred) == (ref.exit, ref.prediction)
        np.testing.assert_array_equal(per_exit[-1]["logits"].ravel(), ref.logits)
    assert runner.invocations[0] == len(samples.x)


@pytest.mark.slow
def test_simulate_twin_equals_tflm(converted_bundles, tmp_path, capsys):
    path = converted_bundles["digits"]
    reports, dumps = {}, {}
    for engine in ("twin", "tflm"):
        dump = tmp_path / f"{engine}.npz"
        rc = main(["simulate", str(path), "--dataset", "digits", "--limit", str(LIMIT), "--engine", engine,
                   "--dump", str(dump), "--json", "--no-progress"])
        assert rc == 0
        reports[engine] = json.loads(capsys.readouterr().out)
        dumps[engine] = np.load(dump)
    for key in ("accuracy", "baseline_accuracy", "exits", "stage_invocations", "macs"):
        assert reports["twin"][key] == reports["tflm"][key], key
    arrays = [k for k in dumps["tflm"].files if dumps["tflm"][k].dtype != object and dumps["tflm"][k].dtype.kind != "U"]
    assert {"exit", "stage0_out0", "stage1_out0"} <= set(arrays)
    for k in arrays:
        np.testing.assert_array_equal(dumps["twin"][k], dumps["tflm"][k], err_msg=k)
