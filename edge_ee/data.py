"""Datasets and their fixed splits.

Every dataset is held as raw uint8 samples in NHWC (what a sensor or an EnergyRunner `.bin` file holds) plus
labels, with a `Preprocess` that maps raw values to the model's float input: x = (raw - mean) / std per channel.
Splits are deterministic: `train` and `val` come from the official training set (a seeded permutation; the
validation part is what calibration uses), `test` is the official test set (what `simulate`, `measure` and
every report evaluate, the same inputs every time)."""

from __future__ import annotations

import gzip
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from edge_ee.errors import DataError, UnknownName

SPLITS = ("train", "val", "test")
SPLIT_SEED = 0


@dataclass(frozen=True)
class Preprocess:
    """float = (raw - mean) / std, per channel; raw samples are uint8 NHWC."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def to_dict(self) -> dict:
        return {"layout": "NHWC", "raw_dtype": "uint8", "mean": list(self.mean), "std": list(self.std),
                "formula": "(raw - mean) / std"}

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Raw NHWC uint8 -> float32 NCHW (what the PyTorch model takes)."""
        x = (raw.astype(np.float32) - np.float32(self.mean)) / np.float32(self.std)
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


@dataclass
class Dataset:
    name: str
    class_names: list[str]
    preprocess: Preprocess
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)  # split -> (raw NHWC uint8, labels int64)
    source: str = ""

    @property
    def input_shape(self) -> tuple[int, int, int]:
        x = self.splits["test"][0]
        return (x.shape[3], x.shape[1], x.shape[2])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def raw(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        if split not in self.splits:
            raise UnknownName("split", split, self.splits)
        return self.splits[split]

    def float(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.raw(split)
        return self.preprocess.apply(x), y

    def describe(self) -> dict:
        return {"name": self.name, "input_shape": list(self.input_shape), "num_classes": self.num_classes,
                "class_names": self.class_names, "preprocess": self.preprocess.to_dict(),
                "split_sizes": {k: len(v[1]) for k, v in self.splits.items()}, "source": self.source}


def _split_train_val(x, y, n_val: int) -> dict:
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    val, train = perm[:n_val], np.sort(perm[n_val:])
    return {"train": (x[train], y[train]), "val": (x[np.sort(val)], y[np.sort(val)])}


def _need_dir(name: str, data_dir) -> Path:
    if data_dir is None:
        data_dir = os.environ.get("EDGE_EE_DATA_DIR")
        if data_dir is None:
            raise DataError(f"dataset {name!r} needs its files", f"pass --data-dir DIR (or set EDGE_EE_DATA_DIR)")
        data_dir = Path(data_dir) / name
    p = Path(data_dir)
    if not p.is_dir():
        raise DataError(f"data directory {p} does not exist", f"pass --data-dir pointing at the {name} files")
    return p


# ---------------------------------------------------------------- digits (scikit-learn, the embedded default)

def load_digits(data_dir=None) -> Dataset:
    """scikit-learn's 8x8 handwritten digits (1,797 images, values 0..16), shipped with scikit-learn."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = d.images.astype(np.uint8)[..., None]  # (N, 8, 8, 1), 0..16
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    n_test, n_val = 360, 270
    test, val, train = (np.sort(perm[:n_test]), np.sort(perm[n_test:n_test + n_val]), np.sort(perm[n_test + n_val:]))
    splits = {"train": (x[train], y[train]), "val": (x[val], y[val]), "test": (x[test], y[test])}
    return Dataset("digits", [str(i) for i in range(10)], Preprocess((0.0,), (16.0,)), splits, "scikit-learn")


# ---------------------------------------------------------------- MNIST (torchvision's IDX layout)

def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes", "use the official MNIST files")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path} is truncated ({body.size} of {int(np.prod(dims))} bytes)", "download it again")
    return body.reshape(dims)


def _find(root: Path, stem: str) -> Path:
    for sub in ("MNIST/raw", "raw", "."):
        for suffix in ("", ".gz"):
            p = root / sub / (stem + suffix)
            if p.exists():
                return p
    raise DataError(f"MNIST file {stem}[.gz] not found under {root}",
                    "point --data-dir at a folder holding MNIST/raw/*-ubyte.gz (torchvision's layout)")


def load_mnist(data_dir=None) -> Dataset:
    root = _need_dir("mnist", data_dir)
    xtr = _read_idx(_find(root, "train-images-idx3-ubyte"))[..., None]
    ytr = _read_idx(_find(root, "train-labels-idx1-ubyte")).astype(np.int64)
    xte = _read_idx(_find(root, "t10k-images-idx3-ubyte"))[..., None]
    yte = _read_idx(_find(root, "t10k-labels-idx1-ubyte")).astype(np.int64)
    splits = _split_train_val(xtr, ytr, 5000)
    splits["test"] = (xte, yte)
    return Dataset("mnist", [str(i) for i in range(10)], Preprocess((0.0,), (255.0,)), splits, str(root))


# ---------------------------------------------------------------- CIFAR-10 (torchvision pickles or npz)

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _cifar_pickles(root: Path):
    d = root / "cifar-10-batches-py" if (root / "cifar-10-batches-py").is_dir() else root

    def batch(name):
        p = d / name
        if not p.exists():
            raise DataError(f"CIFAR-10 batch {p} is missing", "use the complete cifar-10-batches-py folder")
        with open(p, "rb") as f:
            b = pickle.load(f, encoding="bytes")
        x = np.asarray(b[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return x, np.asarray(b[b"labels"], dtype=np.int64)

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    xtr, ytr = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    xte, yte = batch("test_batch")
    return xtr, ytr, xte, yte


def _cifar_npz(root: Path):
    def load(p):
        try:
            with np.load(p) as z:
                return np.asarray(z["x"], dtype=np.uint8), np.asarray(z["y"], dtype=np.int64)
        except (KeyError, ValueError, OSError) as e:
            raise DataError(f"{p} is not a CIFAR-10 npz with arrays x (N,32,32,3) and y", str(e)) from None

    xtr, ytr = load(root / "cifar10_train.npz")
    for name in ("cifar10_test.npz", "cifar10_test_partial.npz"):
        if (root / name).exists():
            xte, yte = load(root / name)
            return xtr, ytr, xte, yte
    raise DataError(f"no cifar10_test.npz or cifar10_test_partial.npz in {root}", "add the test set beside the train set")


def load_cifar10(data_dir=None) -> Dataset:
    root = _need_dir("cifar10", data_dir)
    if (root / "cifar10_train.npz").exists():
        xtr, ytr, xte, yte = _cifar_npz(root)
    elif (root / "cifar-10-batches-py").is_dir() or (root / "data_batch_1").exists():
        xtr, ytr, xte, yte = _cifar_pickles(root)
    else:
        raise DataError(f"no CIFAR-10 files in {root}",
                        "point --data-dir at torchvision's cifar-10-batches-py folder (or its parent), "
                        "or at a folder with cifar10_train.npz and cifar10_test[_partial].npz")
    if xtr.shape[1:] != (32, 32, 3):
        raise DataError(f"CIFAR-10 images in {root} have shape {xtr.shape[1:]}, expected (32, 32, 3)")
    splits = _split_train_val(xtr, ytr, 5000)
    splits["test"] = (xte, yte)
    return Dataset("cifar10", CIFAR10_CLASSES, Preprocess((0.0, 0.0, 0.0), (255.0, 255.0, 255.0)), splits, str(root))


LOADERS: dict[str, Callable[..., Dataset]] = {"digits": load_digits, "mnist": load_mnist, "cifar10": load_cifar10}
_CACHE: dict[tuple, Dataset] = {}


def load_dataset(name: str, data_dir=None) -> Dataset:
    if name not in LOADERS:
        raise UnknownName("dataset", name, LOADERS)
    key = (name, str(Path(data_dir).resolve()) if data_dir else None)
    if key not in _CACHE:
        _CACHE[key] = LOADERS[name](data_dir)
    return _CACHE[key]
