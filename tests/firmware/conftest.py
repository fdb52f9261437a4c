"""Firmware fixtures: bundles of real models, their firmware builds (cached per session) and real inputs.

- `ic_bundle`: the MLPerf Tiny IC ResNet-8 int8 reference model imported as a one-stage bundle (`edge-ee import`),
  with the EnergyRunner ic01 perf samples as inputs.
- `staged_bundle`: a real two-stage early-exit bundle on scikit-learn's digits (TFLite int8 conversion) with
  real digits images as inputs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

IC_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
EMULATED = ["qemu-mps2-an386", "qemu-mps2-an500", "qemu-mps3-an547"]


@pytest.fixture(scope="session")
def ic_bundle(shared_data, tmp_path_factory):
    from edge_ee.convert import import_tflite

    out = tmp_path_factory.mktemp("ic") / "bundle"
    return import_tflite(shared_data / "mlperf_tiny" / "ic" / "pretrainedResnet_quant.tflite", out,
                         class_names=IC_CLASSES, preprocess="pixel-128", name="mlperf-ic")


@pytest.fixture(scope="session")
def ic_samples(shared_data, ic_bundle):
    """The first EnergyRunner ic01 perf samples as int8 input tensors (pixel - 128)."""
    from edge_ee.runtime.inputs import read_samples_dir

    return read_samples_dir(ic_bundle, shared_data / "mlperf_tiny" / "ic" / "perf_samples_ic01_v0.5", "uint8", limit=8)


def _codegen_support():
    path = Path(__file__).resolve().parents[1] / "codegen" / "codegen_support.py"
    spec = importlib.util.spec_from_file_location("codegen_support", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def staged_bundle(tmp_path_factory):
    """The codegen tests' two-stage digits bundle (TFLite int8 stages with a bit-equal boundary). Bundles from
    `edge-ee convert` hold TRANSPOSE ops, which the C generator does not lower yet."""
    from edge_ee.bundle import Bundle

    return Bundle.load(_codegen_support().make_staged_digits_bundle(tmp_path_factory.mktemp("staged") / "bundle"))


@pytest.fixture(scope="session")
def staged_inputs(staged_bundle):
    return _codegen_support().digits_inputs(staged_bundle, 12)


class Builds:
    """Firmware builds made once per session, keyed by (bundle, board)."""

    def __init__(self, root: Path):
        self.root, self.done = root, {}

    def get(self, bundle, board: str, thresholds=None):
        from edge_ee.device.build import build_firmware

        key = (str(bundle.path), board, tuple(thresholds or ()))
        if key not in self.done:
            self.done[key] = build_firmware(bundle, board, self.root / f"{bundle.name}-{board}-{len(self.done)}",
                                            thresholds=thresholds)
        return self.done[key]


@pytest.fixture(scope="session")
def builds(tmp_path_factory) -> Builds:
    return Builds(tmp_path_factory.mktemp("firmware"))


@pytest.fixture(scope="session")
def ic_twin(ic_bundle, tmp_path_factory):
    from edge_ee.codegen.twin import TwinEngine

    return TwinEngine(ic_bundle, build_dir=tmp_path_factory.mktemp("ic_twin"))
