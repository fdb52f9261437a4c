"""The bundle: the contract between conversion and everything downstream (host runner, C generator,
firmware, measurement). A directory holding `manifest.json`, `stage_0.tflite` ... `stage_{K-1}.tflite` and
optionally `full.tflite` (the monolithic always-full baseline) and `stage_k_edgetpu.tflite` twins.

manifest.json (schema "edge_ee.bundle/1"):
{
  "schema": "edge_ee.bundle/1",
  "model": {"name", "source": "checkpoint" | "import", "num_classes", "class_names"},
  "input": {"preprocess": {"layout": "NHWC", "raw_dtype", "mean", "std", "formula"} | null},
  "stages": [ {                               # one per stage, in order
      "index": k, "file": "stage_k.tflite",
      "input":    Tensor,                     # stage 0: the model input; stage k>0: equals stage k-1 "features"
      "logits":   Tensor,                     # exit k's int8 logits
      "features": Tensor | null,              # f_k, fed to stage k+1 (null for the last stage)
      "backbone_macs": int, "head_macs": int, "ops": [str, ...] } ],
  "exits": [ {"stage": k, "measure", "threshold": float | null, "threshold_q": int | null, "q_bits": 16} ],
                                              # one per stage; the last has null thresholds (it always exits)
  "baseline": {"file": "full.tflite", "input": Tensor, "logits": Tensor} | null,
  "files": {"stage_0.tflite": sha256, ...},  # every file of the bundle but the manifest
  "provenance": {"checkpoint_sha256" | "source_sha256", "toolchain": {package: version}, "created": iso-8601},
  "verification": {...} | null                # what convert measured (agreement with float, accuracy)
}
Tensor = {"name", "index" (tensor index in its .tflite), "shape", "dtype", "scale", "zero_point"}; int8
tensors are per-tensor quantized (per-channel quantization only occurs inside, on weights).

Fields added by edge_ee.convert (readers may rely on them when present; `Bundle.load` does not require them):
  model.exit_names: [str] (the model's exit names; ["output"] for an import); model.input_shape_nchw (convert);
  model.output: str (import: "int8 logits" or "int8 softmax probabilities")
  input.quantize: str (convert: how x = (raw - mean) / std becomes stage 0's int8 input);
  input.preprocess_source: str (import: where the preprocessing came from, or that it is unknown)
  stages[k].ops: the TFLite builtin operators of stage k in execution order
  thresholds: {"measure", "source": "default" | "command line" | "calibration" | ..., "note"?, "file"?, "sha256"?}
  baseline.macs: int (MACs of the always-full model; for an import the baseline is stage_0.tflite itself)
  conversion: {"recipe", "calibration": {dataset, split, samples, seed}, "boundaries": [{from, to, scale,
              zero_point, consumer_scale_before, relative_difference, patched_tensors}], "onnx2tf_seconds",
              "seconds"}
  verification: {"split", "samples", "runtime", "exits": [{index, exit, agreement, float_accuracy,
                 int8_accuracy, drop_points, logit_rmse}], "baseline": {... agreement_with_last_stage}, "warnings"}

`Bundle.load` checks all of this once; downstream code reads only the `Bundle`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_ee.errors import BundleError
from edge_ee.exits import IntExitTest, check_measure, make_int_exit_test, threshold_q

SCHEMA = "edge_ee.bundle/1"
MANIFEST = "manifest.json"


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class Tensor:
    name: str
    index: int
    shape: tuple[int, ...]
    dtype: str
    scale: float
    zero_point: int

    @classmethod
    def from_dict(cls, d: dict, where: str) -> "Tensor":
        try:
            return cls(str(d["name"]), int(d["index"]), tuple(int(v) for v in d["shape"]), str(d["dtype"]),
                       float(d["scale"]), int(d["zero_point"]))
        except (KeyError, TypeError, ValueError) as e:
            raise BundleError(f"manifest: tensor description of {where} is incomplete ({e})",
                              "re-create the bundle with `edge-ee convert` or `edge-ee import`") from None

    def to_dict(self) -> dict:
        return {"name": self.name, "index": self.index, "shape": list(self.shape), "dtype": self.dtype,
                "scale": self.scale, "zero_point": self.zero_point}

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class StageInfo:
    index: int
    file: str
    input: Tensor
    logits: Tensor
    features: Tensor | None
    backbone_macs: int
    head_macs: int
    ops: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"index": self.index, "file": self.file, "input": self.input.to_dict(), "logits": self.logits.to_dict(),
                "features": self.features.to_dict() if self.features else None,
                "backbone_macs": self.backbone_macs, "head_macs": self.head_macs, "ops": list(self.ops)}


@dataclass(frozen=True)
class ExitInfo:
    stage: int
    measure: str
    threshold: float | None  # None: the final exit, which always takes the input

    @property
    def threshold_q(self) -> int | None:
        return None if self.threshold is None else threshold_q(self.measure, self.threshold)

    def to_dict(self) -> dict:
        return {"stage": self.stage, "measure": self.measure, "threshold": self.threshold,
                "threshold_q": self.threshold_q, "q_bits": 16}


@dataclass
class Bundle:
    path: Path
    manifest: dict
    stages: list[StageInfo]
    exits: list[ExitInfo]
    baseline: dict | None = None
    class_names: list[str] = field(default_factory=list)

    @property
    def num_stages(self) -> int:
        return len(self.stages)

    @property
    def input(self) -> Tensor:
        return self.stages[0].input

    @property
    def preprocess(self) -> dict | None:
        return self.manifest.get("input", {}).get("preprocess")

    @property
    def name(self) -> str:
        return self.manifest["model"]["name"]

    def stage_path(self, k: int) -> Path:
        return self.path / self.stages[k].file

    def edgetpu_path(self, k: int) -> Path | None:
        p = self.path / self.stages[k].file.replace(".tflite", "_edgetpu.tflite")
        return p if p.exists() else None

    def baseline_path(self) -> Path | None:
        return self.path / self.baseline["file"] if self.baseline else None

    def exit_tests(self, thresholds=None, measure: str | None = None) -> list[IntExitTest | None]:
        """The integer exit test of each early exit (None for the last), from the manifest or overridden."""
        tests: list[IntExitTest | None] = []
        early = self.exits[:-1]
        if thresholds is not None and len(thresholds) != len(early):
            raise BundleError(f"{len(thresholds)} thresholds given; this bundle has {len(early)} early exits",
                              f"give {len(early)} value(s), one per early exit")
        for i, e in enumerate(early):
            t = e.threshold if thresholds is None else float(thresholds[i])
            m = measure or e.measure
            tests.append(None if t is None else make_int_exit_test(m, t, self.stages[e.stage].logits.scale))
        tests.append(None)
        return tests

    @classmethod
    def load(cls, path, verify_hashes: bool = True) -> "Bundle":
        path = Path(path)
        mpath = path / MANIFEST
        if not path.is_dir():
            raise BundleError(f"bundle {path} does not exist or is not a directory",
                              "pass the directory written by `edge-ee convert` or `edge-ee import`")
        if not mpath.is_file():
            raise BundleError(f"{path} has no {MANIFEST}: not a bundle", "re-create it with `edge-ee convert`")
        try:
            m = json.loads(mpath.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise BundleError(f"{mpath} is not valid JSON ({e})", "the bundle is corrupt; re-create it") from None
        if not isinstance(m, dict) or m.get("schema") != SCHEMA:
            raise BundleError(f"{mpath} has schema {m.get('schema') if isinstance(m, dict) else '?'!r}, expected {SCHEMA!r}",
                              "re-create the bundle with this version of edge_ee")
        try:
            stages = [StageInfo(int(s["index"]), str(s["file"]), Tensor.from_dict(s["input"], f"stage {k} input"),
                                Tensor.from_dict(s["logits"], f"stage {k} logits"),
                                Tensor.from_dict(s["features"], f"stage {k} features") if s.get("features") else None,
                                int(s["backbone_macs"]), int(s["head_macs"]), tuple(s.get("ops", ())))
                      for k, s in enumerate(m["stages"])]
            exits = [ExitInfo(int(e["stage"]), check_measure(e["measure"]),
                              None if e.get("threshold") is None else float(e["threshold"])) for e in m["exits"]]
            files = dict(m["files"])
        except (KeyError, TypeError, ValueError) as e:
            raise BundleError(f"{mpath} is missing or has a malformed field ({e!r})",
                              "re-create the bundle with `edge-ee convert`") from None
        if not stages or len(exits) != len(stages):
            raise BundleError(f"{mpath}: {len(stages)} stages but {len(exits)} exits", "re-create the bundle")
        for k, s in enumerate(stages):
            if s.index != k or exits[k].stage != k:
                raise BundleError(f"{mpath}: stage/exit order broken at {k}", "re-create the bundle")
            if (s.features is None) != (k == len(stages) - 1):
                raise BundleError(f"{mpath}: stage {k} {'lacks' if s.features is None else 'has'} a feature output",
                                  "re-create the bundle")
            if k > 0:
                prev = stages[k - 1].features
                if (prev.shape, prev.dtype, prev.scale, prev.zero_point) != (s.input.shape, s.input.dtype,
                                                                           s.input.scale, s.input.zero_point):
                    raise BundleError(f"stage {k - 1} -> {k} boundary is not bit-equal in {mpath}",
                                      "re-convert: boundaries must carry identical shape and quantization")
        if exits[-1].threshold is not None:
            raise BundleError(f"{mpath}: the final exit must have no threshold", "re-create the bundle")
        for name in [s.file for s in stages] + ([m["baseline"]["file"]] if m.get("baseline") else []):
            if name not in files:
                raise BundleError(f"{mpath} lists {name} without its sha256", "re-create the bundle")
        for name, digest in files.items():
            p = path / name
            if not p.is_file():
                raise BundleError(f"bundle file {p} is missing", "re-create the bundle, or restore the file")
            if verify_hashes and sha256_file(p) != digest:
                raise BundleError(f"{p} does not match the sha256 in the manifest (the file was changed or corrupted)",
                                  "re-create the bundle; never edit its files by hand")
        return cls(path, m, stages, exits, m.get("baseline"), list(m["model"].get("class_names", [])))


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Fills `files` with the sha256 of every file in `out_dir` and writes manifest.json (inside an atomic_dir)."""
    manifest = dict(manifest)
    manifest["schema"] = SCHEMA
    manifest["files"] = {p.name: sha256_file(p) for p in sorted(out_dir.iterdir())
                         if p.is_file() and p.name != MANIFEST}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
