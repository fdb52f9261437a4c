"""Firmware fixtures: bundles of real models, their firmware builds (cached per session) and real inputs.

- `ic_bundle`: the MLPerf Tiny IC ResNet-8 int8 reference model imported as a one-stage bundle (`edge-ee import`),
  with the EnergyRunner ic01 perf samples as inputs.
- `staged_bundle`: digits-cnn (2 stages, an early exit) trained on scikit-learn's digits and converted with
  `edge-ee convert`, with held-out digits images as inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_support import IC_CLASSES


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


@pytest.fixture(scope="session")
def staged_bundle(digits_bundle_dir):
    """digits-cnn (two stages, one early exit) converted to int8 stages by `edge-ee convert`."""
    from edge_ee.bundle import Bundle

    return Bundle.load(digits_bundle_dir)


@pytest.fixture(scope="session")
def staged_inputs(staged_bundle):
    """Held-out digits test images as stage 0's int8 input."""
    from edge_ee.runtime.inputs import dataset_samples

    return dataset_samples(staged_bundle, "digits", limit=12).x


class Builds:
    """Firmware builds made once per session, keyed by (bundle, board)."""

    def __init__(self, root: Path):
        self.root, self.done = root, {}

    def get(self, bundle, board: str, thresholds=None, energy_mode: bool = False):
        from edge_ee.device.build import build_firmware

        key = (str(bundle.path), board, tuple(thresholds or ()), energy_mode)
        if key not in self.done:
            self.done[key] = build_firmware(bundle, board, self.root / f"{bundle.name}-{board}-{len(self.done)}",
                                            thresholds=thresholds, energy_mode=energy_mode)
        return self.done[key]


@pytest.fixture(scope="session")
def builds(tmp_path_factory) -> Builds:
    return Builds(tmp_path_factory.mktemp("firmware"))


@pytest.fixture(scope="session")
def ic_twin(ic_bundle, tmp_path_factory):
    from edge_ee.codegen.twin import TwinEngine

    return TwinEngine(ic_bundle, build_dir=tmp_path_factory.mktemp("ic_twin"))
