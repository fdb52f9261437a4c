"""`edge-ee import`: an existing fully-int8 TFLite model as a one-stage bundle with no early exit, so every
downstream tool (runner, codegen, firmware, measurement) also works on third-party models such as the MLPerf
Tiny IC, KWS and VWW reference models.

Input preprocessing is not recorded in a .tflite file, so the bundle's `input.preprocess` is null unless the
user states it: `--preprocess MEAN/STD` (per-channel values comma-separated) gives x = (raw - mean) / std, or
`--preprocess pixel-128` states the MLPerf Tiny IC/VWW convention that the int8 input is the uint8 pixel minus 128
(mean 0, std 1/input_scale; it requires the input zero point -128). Nothing is guessed from the model."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from edge_ee.bundle import Bundle, ExitInfo, StageInfo, sha256_file, write_manifest
from edge_ee.convert.common import DEFAULT_MEASURE, read_io, toolchain_versions
from edge_ee.convert.tflite import check_full_int8, count_macs
from edge_ee.data import Preprocess
from edge_ee.errors import ConfigError, ConversionError
from edge_ee.io import atomic_dir, check_writable
from edge_ee.tflite_model import read_tflite

PIXEL_MINUS_128 = "pixel-128"


def parse_preprocess(spec: str | None, input_scale: float, input_zero_point: int, channels: int) -> Preprocess | None:
    if spec is None:
        return None
    if spec == PIXEL_MINUS_128:
        if input_zero_point != -128:
            raise ConfigError(f"--preprocess {PIXEL_MINUS_128} needs an input zero point of -128; this model's is "
                              f"{input_zero_point}", "give the mapping explicitly with --preprocess MEAN/STD")
        # q = round(x / s) - 128 with x = raw * s  =>  q = raw - 128 exactly.
        return Preprocess((0.0,) * channels, (1.0 / input_scale,) * channels)
    try:
        mean_s, std_s = spec.split("/")
        mean = tuple(float(v) for v in mean_s.split(","))
        std = tuple(float(v) for v in std_s.split(","))
    except ValueError:
        raise ConfigError(f"--preprocess {spec!r} is neither {PIXEL_MINUS_128} nor MEAN/STD",
                          "e.g. --preprocess 0/255 or --preprocess 125.3,123.0,113.9/63.0,62.1,66.7") from None
    if len(mean) == 1:
        mean *= channels
    if len(std) == 1:
        std *= channels
    if len(mean) != channels or len(std) != channels or any(s <= 0 for s in std):
        raise ConfigError(f"--preprocess {spec!r} does not fit an input of {channels} channel(s)",
                          "give one mean and one positive std, or one per channel")
    return Preprocess(mean, std)


def import_tflite(path, out_dir, *, class_names: Sequence[str] | None = None, force: bool = False,
                  preprocess: str | None = None, name: str | None = None) -> Bundle:
    """Wraps a fully-int8 single-input, single-output classifier as a one-stage bundle at `out_dir`.
    Float and dynamic-range models are refused with ConversionError."""
    path = Path(path)
    out_dir = check_writable(out_dir, force)
    g = read_tflite(path)
    check_full_int8(g)
    if len(g.inputs) != 1 or len(g.outputs) != 1:
        raise ConversionError(f"{path.name} has {len(g.inputs)} inputs and {len(g.outputs)} outputs",
                              "import takes a classifier with one input and one output")
    (inp,), (logits,) = read_io(path)
    if len(logits.shape) != 2 or logits.shape[0] != 1:
        raise ConversionError(f"{path.name}'s output has shape {list(logits.shape)}, not [1, classes]",
                              "import takes a classifier whose output is one row of class scores")
    num_classes = logits.shape[1]
    names = list(class_names) if class_names else [str(i) for i in range(num_classes)]
    if len(names) != num_classes:
        raise ConfigError(f"{len(names)} class names given for a model with {num_classes} outputs",
                          f"give {num_classes} names with --classes, or none")
    pp = parse_preprocess(preprocess, inp.scale, inp.zero_point, inp.shape[-1])
    macs = count_macs(g)
    # The single stage is its own always-full baseline: the same file serves both roles.
    stage = StageInfo(0, "stage_0.tflite", inp, logits, None, macs, 0, g.op_names)
    exits = [ExitInfo(0, DEFAULT_MEASURE, None)]
    if g.op_names and g.op_names[-1] == "SOFTMAX":
        output_note = "int8 softmax probabilities (the model ends in SOFTMAX)"
    else:
        output_note = "int8 logits"
    manifest = {
        "model": {"name": name or path.stem, "source": "import", "num_classes": num_classes, "class_names": names,
                  "exit_names": ["output"], "output": output_note},
        "input": {"preprocess": pp.to_dict() if pp else None,
                  "preprocess_source": ("--preprocess " + preprocess) if preprocess else
                  "unknown (not recorded in a .tflite file; pass --preprocess)"},
        "stages": [stage.to_dict()],
        "exits": [e.to_dict() for e in exits],
        "thresholds": {"measure": DEFAULT_MEASURE, "source": "none (one stage, no early exit)"},
        "baseline": {"file": "stage_0.tflite", "input": inp.to_dict(), "logits": logits.to_dict(), "macs": macs},
        "provenance": {"source": str(path), "source_sha256": sha256_file(path), "toolchain": toolchain_versions(),
                       "created": datetime.now(timezone.utc).isoformat(timespec="seconds")},
        "verification": None,
    }
    with atomic_dir(out_dir, force) as tmp:
        shutil.copyfile(path, tmp / "stage_0.tflite")
        write_manifest(tmp, manifest)
        Bundle.load(tmp)
    return Bundle.load(out_dir)


__all__ = ["import_tflite", "parse_preprocess", "PIXEL_MINUS_128"]
