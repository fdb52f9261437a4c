"""Dataset loaders read the standard layouts and split deterministically."""

import gzip
import pickle
import shutil

import numpy as np
import pytest

from edge_ee.data import load_cifar10, load_dataset, load_digits, load_mnist
from edge_ee.errors import DataError, UnknownName

OFFICIAL_CIFAR_TEST_LABELS = [3, 8, 8, 0, 6, 6, 1, 6, 3, 1, 0, 9, 5, 7, 9, 8, 5, 7, 8, 6]


def test_digits_splits_are_disjoint_deterministic_and_cover_the_set():
    ds = load_digits()
    sizes = {k: len(v[1]) for k, v in ds.splits.items()}
    assert sizes == {"train": 1167, "val": 270, "test": 360}
    assert ds.input_shape == (1, 8, 8) and ds.raw("train")[0].max() == 16
    again = load_digits()
    assert np.array_equal(again.raw("test")[0], ds.raw("test")[0])
    flat = {k: {v.tobytes() + bytes([int(l)]) for v, l in zip(*ds.raw(k))} for k in ds.splits}
    assert not flat["test"] & flat["train"] or len(flat["test"] & flat["train"]) < 5  # duplicates exist in digits


def test_mnist_reads_torchvision_idx_layout(shared_data):
    ds = load_mnist(shared_data / "mnist")
    x, y = ds.raw("test")
    assert x.shape == (10000, 28, 28, 1) and y[:5].tolist() == [7, 2, 1, 0, 4]
    assert len(ds.raw("train")[1]) + len(ds.raw("val")[1]) == 60000


def test_cifar10_npz_layout(cifar_dir):
    ds = load_cifar10(cifar_dir)
    x, y = ds.raw("test")
    assert x.shape == (1185, 32, 32, 3) and y[:20].tolist() == OFFICIAL_CIFAR_TEST_LABELS
    assert len(ds.raw("train")[1]) == 45000 and len(ds.raw("val")[1]) == 5000
    xf, _ = ds.float("val")
    assert xf.shape[1:] == (3, 32, 32) and 0.0 <= xf.min() and xf.max() <= 1.0


def test_cifar10_torchvision_pickle_layout(tmp_path, cifar_dir):
    # Build the torchvision folder (CHW planar rows, python pickles) from real images, then read it back.
    src = np.load(cifar_dir / "cifar10_train.npz")
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i in range(1, 6):
        xs, ys = src["x"][(i - 1) * 20: i * 20], src["y"][(i - 1) * 20: i * 20]
        rows = xs.transpose(0, 3, 1, 2).reshape(len(xs), -1)
        with open(folder / f"data_batch_{i}", "wb") as f:
            pickle.dump({b"data": rows, b"labels": ys.tolist()}, f)
    shutil.copy(folder / "data_batch_1", folder / "test_batch")
    ds_tv = load_cifar10(tmp_path)
    assert np.array_equal(ds_tv.raw("test")[0], src["x"][:20])
    assert ds_tv.raw("test")[1].tolist() == src["y"][:20].tolist()


def test_missing_and_wrong_data_give_clear_errors(tmp_path):
    with pytest.raises(DataError, match="--data-dir"):
        load_dataset("cifar10", tmp_path / "nowhere")
    with pytest.raises(DataError, match="no CIFAR-10 files"):
        load_dataset("cifar10", tmp_path)
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    with gzip.open(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"not an idx file")
    with pytest.raises(DataError, match="not an IDX file"):
        load_mnist(tmp_path)
    with pytest.raises(UnknownName, match="digits"):
        load_dataset("imagenet")
