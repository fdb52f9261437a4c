"""Runner fixtures: bundles of the MLPerf Tiny int8 reference models (one stage each, `edge-ee import`), and the
staged bundles from `edge-ee convert` (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

# preprocess that reproduces each model's documented input quantization (shared/data README):
#   IC:  int8 = pixel - 128 (scale 1, zero point -128): float = pixel;
#   VWW: int8 = pixel - 128 (scale 1/255, zero point -128): float = pixel / 255;
#   KWS: the .bin files already hold the int8 MFCC tensor: no preprocess.
MLPERF = {
    "ic": ("ic/pretrainedResnet_quant.tflite", "0/1",
           ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]),
    "kws": ("kws/kws_ref_model.tflite", None,
            ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown"]),
    "vww": ("vww/vww_96_int8.tflite", "0/255", ["no_person", "person"]),
}


@pytest.fixture(scope="session")
def mlperf_bundles(shared_data, tmp_path_factory) -> dict[str, Path]:
    """The three reference models as one-stage bundles, made by `edge-ee import`."""
    from edge_ee.convert import import_tflite

    root = tmp_path_factory.mktemp("mlperf_bundles")
    for key, (rel, pre, names) in MLPERF.items():
        import_tflite(shared_data / "mlperf_tiny" / rel, root / key, class_names=names, preprocess=pre,
                      name=f"mlperf-{key}")
    return {key: root / key for key in MLPERF}


@pytest.fixture(scope="session")
def ic_samples(shared_data) -> Path:
    return shared_data / "mlperf_tiny" / "ic" / "perf_samples_ic01_v0.5"


@pytest.fixture(scope="session")
def kws_samples(shared_data) -> Path:
    return shared_data / "mlperf_tiny" / "kws" / "perf_samples_kws01"


@pytest.fixture(scope="session")
def vww_samples(shared_data) -> Path:
    return shared_data / "mlperf_tiny" / "vww" / "perf_samples_vww01"


@pytest.fixture(scope="session")
def digits_bundle(digits_bundle_dir) -> Path:
    """digits-cnn converted by `edge-ee convert`: 2 stages + full.tflite."""
    return digits_bundle_dir


@pytest.fixture(scope="session")
def resnet8_bundle(resnet8_bundle_dir) -> Path:
    """resnet8 (MLPerf Tiny IC shape) converted by `edge-ee convert`: 3 stages + full.tflite."""
    return resnet8_bundle_dir
