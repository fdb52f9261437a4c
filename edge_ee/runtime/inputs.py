"""Inputs: from files and datasets to stage 0's int8 NHWC tensor.

What an array means is given by its dtype (the rules the CLI documents):
  int8     the stage-0 input tensor itself (already quantized): fed as is.
  uint8    raw samples, as a sensor or an EnergyRunner `.bin` holds them:
             manifest `input.preprocess` present: float = (raw - mean) / std, then quantized with stage 0's
             scale and zero point: q = clamp(round(float / scale) + zero_point, -128, 127), rounding half away
             from zero (TFLite's quantize kernel rounds with std::round);
             preprocess null (an imported model): raw is the uint8 form of the int8 tensor, q = raw - 128
             (TFLite's uint8 <-> int8 convention; MLPerf Tiny's int8 IC and VWW models take pixel - 128).
  float    the model's float input, already preprocessed: quantized as above.
Layout is always NHWC, one sample (H, W, C) or a batch (N, H, W, C); never resized or transposed silently.

`.bin` files carry no dtype: by default they hold raw uint8 when the bundle has a preprocess and the int8 tensor
when it has none (kws01's MFCC .bin files are int8 already); `bin_dtype` overrides that."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge_ee.bundle import Bundle, Tensor
from edge_ee.errors import ConfigError, DataError

BIN_DTYPES = ("auto", "uint8", "int8")


def round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize(x: np.ndarray, t: Tensor) -> np.ndarray:
    """Float -> int8 with a tensor's scale and zero point (TFLite's convention)."""
    q = round_half_away(np.asarray(x, dtype=np.float64) / t.scale) + t.zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def _as_batch(bundle: Bundle, x: np.ndarray, where: str) -> np.ndarray:
    shape = bundle.input.shape[1:]
    if x.shape == shape:
        return x[None]
    if x.ndim == len(shape) + 1 and x.shape[1:] == shape:
        return x
    hint = ""
    if x.ndim >= 3 and len(shape) == 3 and x.shape[-3:] == (shape[2], shape[0], shape[1]):
        hint = " (this looks like NCHW: transpose it to NHWC)"
    raise DataError(f"{where} has shape {x.shape}; the bundle {bundle.name!r} takes {shape} (NHWC, one sample) "
                    f"or (N, {', '.join(map(str, shape))}){hint}",
                    f"give inputs of shape {shape}; edge_ee never resizes inputs")


def to_int8(bundle: Bundle, x: np.ndarray, where: str = "the input") -> np.ndarray:
    """Any supported array (see the module doc) -> a batch (N, H, W, C) of stage-0 int8 inputs."""
    x = _as_batch(bundle, np.asarray(x), where)
    t = bundle.input
    if t.dtype != "int8":
        raise DataError(f"bundle input is {t.dtype}; edge_ee runs int8 stages", "re-create the bundle as int8")
    if x.dtype == np.int8:
        return np.ascontiguousarray(x)
    if x.dtype == np.uint8:
        pre = bundle.preprocess
        if pre is None:
            return (x.astype(np.int16) - 128).astype(np.int8)
        mean = np.asarray(pre["mean"], dtype=np.float64)
        std = np.asarray(pre["std"], dtype=np.float64)
        return quantize((x.astype(np.float64) - mean) / std, t)
    if np.issubdtype(x.dtype, np.floating):
        return quantize(x, t)
    raise DataError(f"{where} has dtype {x.dtype}", "give int8 (quantized), uint8 (raw) or float (preprocessed) data")


def bin_dtype_for(bundle: Bundle, bin_dtype: str = "auto") -> np.dtype:
    if bin_dtype not in BIN_DTYPES:
        raise ConfigError(f"bin dtype {bin_dtype!r}", f"use one of {', '.join(BIN_DTYPES)}")
    if bin_dtype == "auto":
        return np.dtype(np.uint8 if bundle.preprocess is not None else np.int8)
    return np.dtype(bin_dtype)


def read_bin(bundle: Bundle, path, bin_dtype: str = "auto") -> np.ndarray:
    """One EnergyRunner `.bin`: exactly one byte per input element, HWC order."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"input file {path} does not exist", "check the path (and y_labels.csv)")
    data = path.read_bytes()
    size = bundle.input.size
    if len(data) != size:
        raise DataError(f"{path} has {len(data)} bytes; the bundle's input {bundle.input.shape[1:]} needs {size}",
                        "give .bin files made for this model (one byte per input element, HWC order)")
    return np.frombuffer(data, dtype=bin_dtype_for(bundle, bin_dtype)).reshape(bundle.input.shape[1:])


def read_png(bundle: Bundle, path) -> np.ndarray:
    from PIL import Image

    h, w, c = bundle.input.shape[1:]
    if c not in (1, 3):
        raise DataError(f"the bundle takes {c} channels; a PNG has 1 (grayscale) or 3 (RGB)", "give .npy or .bin")
    try:
        with Image.open(path) as im:
            x = np.asarray(im.convert("L" if c == 1 else "RGB"), dtype=np.uint8)
    except OSError as e:
        raise DataError(f"{path} is not a readable image ({e})", "give a PNG file") from None
    if x.shape[:2] != (h, w):
        raise DataError(f"{path} is {x.shape[1]}x{x.shape[0]} pixels; the bundle takes {w}x{h}",
                        "resize the image yourself (edge_ee never resizes inputs)")
    return x.reshape(h, w, c)


def read_input_file(bundle: Bundle, path, bin_dtype: str = "auto") -> np.ndarray:
    """A `.npy`, `.png` or `.bin` file -> int8 batch (N, H, W, C)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"input file {path} does not exist", "check the path")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            x = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as e:
            raise DataError(f"{path} is not a readable .npy array ({e})", "save it with numpy.save") from None
    elif suffix == ".png":
        x = read_png(bundle, path)
    elif suffix == ".bin":
        x = read_bin(bundle, path, bin_dtype)
    else:
        raise DataError(f"{path}: unknown input type {suffix!r}", "give .npy, .png or .bin files")
    return to_int8(bundle, x, str(path))


@dataclass
class Samples:
    """Inputs with labels, ready for the runner."""

    x: np.ndarray  # (N, H, W, C) int8
    labels: np.ndarray  # (N,) int64
    names: list[str] = field(default_factory=list)
    source: str = ""


def read_samples_dir(bundle: Bundle, folder, bin_dtype: str = "auto", limit: int | None = None) -> Samples:
    """An EnergyRunner folder: `.bin` inputs and `y_labels.csv` with rows `name.bin,num_classes,label`."""
    folder = Path(folder)
    labels_csv = folder / "y_labels.csv"
    if not labels_csv.is_file():
        raise DataError(f"{folder} has no y_labels.csv", "point --samples at an EnergyRunner folder "
                        "(.bin files and y_labels.csv with rows name.bin,num_classes,label)")
    rows = []
    with open(labels_csv, newline="") as f:
        for line, row in enumerate(csv.reader(f), 1):
            if not row or not "".join(row).strip():
                continue
            try:
                name, num_classes, label = row[0].strip(), int(row[1]), int(row[2])
            except (IndexError, ValueError):
                raise DataError(f"{labels_csv}:{line}: {','.join(row)!r} is not name.bin,num_classes,label",
                                "fix the row") from None
            n = bundle.manifest["model"].get("num_classes")
            if n is not None and num_classes != int(n):
                raise DataError(f"{labels_csv}:{line} says {num_classes} classes; the bundle has {n}",
                                "these samples belong to another model")
            if not 0 <= label < num_classes:
                raise DataError(f"{labels_csv}:{line}: label {label} outside 0..{num_classes - 1}", "fix the row")
            rows.append((name, label))
    if not rows:
        raise DataError(f"{labels_csv} lists no samples", "add rows name.bin,num_classes,label")
    rows = rows[:limit] if limit else rows
    raw = np.stack([read_bin(bundle, folder / name, bin_dtype) for name, _ in rows])
    return Samples(to_int8(bundle, raw, str(folder)), np.array([lab for _, lab in rows], dtype=np.int64),
                   [name for name, _ in rows], str(folder))


def dataset_samples(bundle: Bundle, name: str, data_dir=None, limit: int | None = None) -> Samples:
    """The held-out `test` split of `edge_ee.data.load_dataset` (the same inputs in every command)."""
    from edge_ee.data import load_dataset

    ds = load_dataset(name, data_dir)
    x, y = ds.raw("test")
    if limit:
        x, y = x[:limit], y[:limit]
    return Samples(to_int8(bundle, x, f"dataset {name!r}"), y.astype(np.int64),
                   [f"{name}/test/{i}" for i in range(len(y))], f"{name} test split ({ds.source})")
