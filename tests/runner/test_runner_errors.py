"""Bad bundles, bad inputs and unknown names end in one clear error line with a fix, exit code 2."""

import json
import shutil

import numpy as np
import pytest

from edge_ee.bundle import Bundle, write_manifest
from edge_ee.cli import main
from edge_ee.errors import BundleError


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _cli_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "fix:" in err
    return err


def test_corrupt_manifest(mlperf_bundles, tmp_path, capsys, kws_samples):
    b = _copy(mlperf_bundles["kws"], tmp_path / "b")
    (b / "manifest.json").write_text('{"schema": "edge_ee.bundle/1", "stages": [')
    err = _cli_error(capsys, ["simulate", str(b), "--samples", str(kws_samples)])
    assert "is not valid JSON" in err


def test_stage_file_whose_hash_does_not_match(mlperf_bundles, tmp_path, capsys, kws_samples):
    b = _copy(mlperf_bundles["kws"], tmp_path / "b")
    data = bytearray((b / "stage_0.tflite").read_bytes())
    data[-100] ^= 0xFF
    (b / "stage_0.tflite").write_bytes(bytes(data))
    err = _cli_error(capsys, ["simulate", str(b), "--samples", str(kws_samples), "--limit", "2"])
    assert "stage_0.tflite does not match the sha256 in the manifest" in err
    err = _cli_error(capsys, ["run", str(b), str(kws_samples / "tst_000000_Stop_7.bin")])
    assert "does not match the sha256" in err


def test_manifest_that_misdescribes_its_stage(mlperf_bundles, tmp_path):
    b = _copy(mlperf_bundles["kws"], tmp_path / "b")
    m = json.loads((b / "manifest.json").read_text())
    m["stages"][0]["input"]["scale"] *= 2
    write_manifest(b, m)
    for engine in ("litert", "tflm"):
        from edge_ee.runtime.engines import make_engine

        with pytest.raises(BundleError, match="the manifest says"):
            make_engine(engine, Bundle.load(b))


def test_wrong_input_shape(mlperf_bundles, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((49, 11, 1), np.int8))
    err = _cli_error(capsys, ["run", str(mlperf_bundles["kws"]), str(tmp_path / "x.npy")])
    assert "has shape (49, 11, 1); the bundle 'mlperf-kws' takes (49, 10, 1)" in err


def test_unknown_board_engine_and_missing_source(mlperf_bundles, capsys, kws_samples):
    err = _cli_error(capsys, ["simulate", str(mlperf_bundles["kws"]), "--samples", str(kws_samples),
                              "--board", "arduino-uno"])
    assert "unknown board 'arduino-uno'" in err and "nucleo-l4r5zi" in err
    err = _cli_error(capsys, ["simulate", str(mlperf_bundles["kws"]), "--dataset", "imagenet"])
    assert "unknown dataset 'imagenet'" in err


def test_thresholds_must_match_the_bundle(mlperf_bundles, capsys, kws_samples):
    err = _cli_error(capsys, ["run", str(mlperf_bundles["kws"]), str(kws_samples / "tst_000000_Stop_7.bin"),
                              "--thresholds", "0.5"])
    assert "1 thresholds given; this bundle has 0 early exits" in err


def test_outputs_are_never_overwritten_without_force(mlperf_bundles, capsys, kws_samples, tmp_path):
    (tmp_path / "d.npz").write_bytes(b"mine")
    err = _cli_error(capsys, ["simulate", str(mlperf_bundles["kws"]), "--samples", str(kws_samples),
                              "--dump", str(tmp_path / "d.npz")])
    assert "already exists" in err and (tmp_path / "d.npz").read_bytes() == b"mine"


def test_edgetpu_without_its_compiler_explains_how_to_get_it(mlperf_bundles, tmp_path, capsys, monkeypatch):
    import shutil as sh

    if sh.which("edgetpu_compiler"):
        pytest.skip("edgetpu_compiler is installed here")
    b = _copy(mlperf_bundles["kws"], tmp_path / "b")
    err = _cli_error(capsys, ["edgetpu", str(b)])
    assert "edgetpu_compiler is not installed" in err and "apt-get install edgetpu-compiler" in err
    (tmp_path / "elsewhere").mkdir()
    err = _cli_error(capsys, ["edgetpu", str(b), "--compiled", str(tmp_path / "elsewhere")])
    assert "stage_0_edgetpu.tflite is missing" in err
    assert sorted(p.name for p in b.iterdir()) == ["manifest.json", "stage_0.tflite"]  # the bundle is untouched
