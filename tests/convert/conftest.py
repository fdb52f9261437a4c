"""Bundle fixtures for the conversion tests, written as plain functions so they can be hoisted into
tests/conftest.py for the other areas (runner, codegen, firmware) unchanged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from edge_ee.bundle import Bundle


def make_digits_bundle(out_dir: Path, checkpoint: Path) -> Bundle:
    """digits-cnn -> 2 int8 stages (early exit after block1, final classifier) + full.tflite."""
    from edge_ee.convert import convert_checkpoint

    return convert_checkpoint(checkpoint, out_dir)


def make_resnet8_bundle(out_dir: Path, checkpoint: Path, cifar_dir: Path) -> Bundle:
    """resnet8 -> 3 int8 stages (exits after stack1, stack2, final classifier) + full.tflite."""
    from edge_ee.convert import convert_checkpoint

    return convert_checkpoint(checkpoint, out_dir, data_dir=cifar_dir)


@pytest.fixture(scope="session")
def digits_bundle(tmp_path_factory, digits_checkpoint) -> Bundle:
    return make_digits_bundle(tmp_path_factory.mktemp("bundles") / "digits", digits_checkpoint)


@pytest.fixture(scope="session")
def resnet8_conversion(tmp_path_factory, resnet8_checkpoint, cifar_dir) -> tuple[Bundle, float]:
    """The resnet8 bundle and the wall time its conversion took (seconds)."""
    t0 = time.perf_counter()
    bundle = make_resnet8_bundle(tmp_path_factory.mktemp("bundles") / "resnet8", resnet8_checkpoint, cifar_dir)
    return bundle, time.perf_counter() - t0


@pytest.fixture(scope="session")
def resnet8_bundle(resnet8_conversion) -> Bundle:
    return resnet8_conversion[0]
