"""Fixtures of the codegen tests (helpers in codegen_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from codegen_support import MLPERF, write_one_stage_bundle


@pytest.fixture(scope="session")
def mlperf_bundles(shared_data, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("mlperf_bundles")
    return {name: write_one_stage_bundle(shared_data / "mlperf_tiny" / model, root / name, f"mlperf-{name}")
            for name, (model, _, _) in MLPERF.items()}


@pytest.fixture(scope="session")
def twin_engines(mlperf_bundles, tmp_path_factory):
    """TwinEngine per MLPerf model (generated and compiled once per session)."""
    from edge_ee.bundle import Bundle
    from edge_ee.codegen.twin import TwinEngine

    root = tmp_path_factory.mktemp("twins")
    return {name: TwinEngine(Bundle.load(p), build_dir=root / name) for name, p in mlperf_bundles.items()}


@pytest.fixture(scope="session")
def converted_bundles(digits_checkpoint, resnet8_checkpoint, cifar_dir, tmp_path_factory) -> dict[str, Path]:
    """The project's own staged models, converted by `edge-ee convert`: digits-cnn (2 stages), resnet8 (3)."""
    from edge_ee.convert import convert_checkpoint

    root = tmp_path_factory.mktemp("converted")
    convert_checkpoint(digits_checkpoint, root / "digits")
    convert_checkpoint(resnet8_checkpoint, root / "resnet8", data_dir=cifar_dir)
    return {"digits": root / "digits", "resnet8": root / "resnet8"}
