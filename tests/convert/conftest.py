"""Bundle fixtures for the conversion tests, written as plain functions so they can be hoisted into
tests/conftest.py for the other areas (runner, codegen, firmware) unchanged."""

from __future__ import annotations

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
def digits_bundle(digits_bundle_dir) -> Bundle:
    return Bundle.load(digits_bundle_dir)


@pytest.fixture(scope="session")
def resnet8_bundle(resnet8_bundle_dir) -> Bundle:
    return Bundle.load(resnet8_bundle_dir)
