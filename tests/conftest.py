"""Shared fixtures. Real data comes from ../shared/data (read-only: copy before writing), or from
$EDGE_EE_SHARED_DATA when set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    return Path(os.environ.get("EDGE_EE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if not d.is_dir():
        pytest.fail(f"shared data not found at {d}: tests need ../shared/data beside the checkout "
                    "(or EDGE_EE_SHARED_DATA)")
    return d


@pytest.fixture(scope="session")
def digits_checkpoint(tmp_path_factory) -> Path:
    """digits-cnn trained on scikit-learn's digits (a few seconds): an early exit and the final classifier."""
    from edge_ee.train import TrainConfig, train

    out = tmp_path_factory.mktemp("digits") / "digits.pt"
    train(TrainConfig("digits-cnn", "digits", epochs=6, lr=0.05, batch_size=32, seed=0), out=out, progress=False)
    return out


@pytest.fixture(scope="session")
def cifar_dir(shared_data) -> Path:
    return shared_data / "cifar10"


@pytest.fixture(scope="session")
def resnet8_checkpoint(tmp_path_factory, cifar_dir) -> Path:
    """resnet8 briefly trained on a slice of real CIFAR-10 (enough for exits above chance, not for accuracy)."""
    from edge_ee.train import TrainConfig, train

    out = tmp_path_factory.mktemp("resnet8") / "resnet8.pt"
    train(TrainConfig("resnet8", "cifar10", str(cifar_dir), epochs=2, lr=0.05, batch_size=64,
                      max_train_samples=4000, seed=0), out=out, progress=False)
    return out


@pytest.fixture(scope="session")
def digits_bundle_dir(tmp_path_factory, digits_checkpoint) -> Path:
    """digits-cnn converted by `edge-ee convert` once per session: 2 int8 stages + full.tflite. Tests must not
    change it (copy it first)."""
    from edge_ee.convert import convert_checkpoint

    out = tmp_path_factory.mktemp("bundles") / "digits"
    convert_checkpoint(digits_checkpoint, out)
    return out


@pytest.fixture(scope="session")
def resnet8_conversion(tmp_path_factory, resnet8_checkpoint, cifar_dir) -> tuple[Path, float]:
    """resnet8 converted by `edge-ee convert` (3 int8 stages + full.tflite) and the wall time it took."""
    import time

    from edge_ee.convert import convert_checkpoint

    out = tmp_path_factory.mktemp("bundles") / "resnet8"
    t0 = time.perf_counter()
    convert_checkpoint(resnet8_checkpoint, out, data_dir=cifar_dir)
    return out, time.perf_counter() - t0


@pytest.fixture(scope="session")
def resnet8_bundle_dir(resnet8_conversion) -> Path:
    return resnet8_conversion[0]
