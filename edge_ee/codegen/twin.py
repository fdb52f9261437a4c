"""The host twin: the generated C library built natively and driven through ctypes. Same kernels, same memory
plan, same integer exit test as on the device, so what it computes is what the device computes.

    engine = TwinEngine(Bundle.load("out/bundle"))
    outs = engine.run_stage(0, x_int8)          # {"logits": int8 array, "features": int8 array}
    exit_stage, pred, per_stage = engine.infer(x_int8)
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from pathlib import Path

import numpy as np

from edge_ee.codegen.build import build_shared
from edge_ee.codegen.generator import generate_bundle
from edge_ee.errors import DataError, EdgeEEError


class TwinError(EdgeEEError):
    """The generated library reported an error status."""


def _result_type(num_stages: int, num_classes: int):
    class Result(ctypes.Structure):
        _fields_ = [("exit_stage", ctypes.c_int32), ("predicted", ctypes.c_int32), ("stages_run", ctypes.c_int32),
                    ("logits", ctypes.c_int8 * num_classes), ("logit_scale_q", ctypes.c_int32),
                    ("logit_zero_point", ctypes.c_int32),
                    ("exit_logits", (ctypes.c_int8 * num_classes) * num_stages)]
    return Result


class TwinLibrary:
    """A built libee_model.so with the shapes it was generated for."""

    def __init__(self, so_path, num_stages: int, num_classes: int, stage_shapes: list[dict]):
        self.path = Path(so_path)
        self.lib = ctypes.CDLL(str(self.path))
        self.num_stages, self.num_classes = num_stages, num_classes
        self.shapes = stage_shapes  # per stage: {"input": shape, "logits": shape, "features": shape | None}
        self.Result = _result_type(num_stages, num_classes)
        p8 = ctypes.POINTER(ctypes.c_int8)
        self.lib.ee_init.restype = ctypes.c_int
        self.lib.ee_run_stage.argtypes = [ctypes.c_int, p8, p8, p8]
        self.lib.ee_run_stage.restype = ctypes.c_int
        self.lib.ee_infer.argtypes = [p8, ctypes.c_int, ctypes.POINTER(self.Result)]
        self.lib.ee_infer.restype = ctypes.c_int
        self.lib.ee_exit_decision.argtypes = [ctypes.c_int, p8]
        self.lib.ee_scores_permille.argtypes = [ctypes.POINTER(self.Result), ctypes.POINTER(ctypes.c_uint16)]
        rc = self.lib.ee_init()
        if rc != 0:
            raise TwinError(f"ee_init() returned {rc}", "regenerate the C code; the memory plan is inconsistent")

    @staticmethod
    def _ptr(a: np.ndarray):
        return a.ctypes.data_as(ctypes.POINTER(ctypes.c_int8))

    def _check_input(self, k: int, x) -> np.ndarray:
        x = np.asarray(x)
        want = tuple(self.shapes[k]["input"])
        if x.dtype != np.int8:
            raise DataError(f"stage {k} input has dtype {x.dtype}, the twin takes int8",
                            "quantize the input with the bundle's input scale and zero point first")
        if x.size != int(np.prod(want)):
            raise DataError(f"stage {k} input has shape {x.shape}, expected {want}", "pass one sample at a time")
        return np.ascontiguousarray(x.reshape(want))

    def run_stage(self, k: int, x: np.ndarray) -> dict[str, np.ndarray]:
        x = self._check_input(k, x)
        sh = self.shapes[k]
        logits = np.zeros(sh["logits"], np.int8)
        feats = np.zeros(sh["features"], np.int8) if sh["features"] is not None else None
        rc = self.lib.ee_run_stage(k, self._ptr(x), self._ptr(logits),
                                   self._ptr(feats) if feats is not None else None)
        if rc != 0:
            raise TwinError(f"ee_run_stage({k}) returned {rc}", "regenerate the C code")
        out = {"logits": logits}
        if feats is not None:
            out["features"] = feats
        return out

    def infer(self, x: np.ndarray, force_full: bool = False):
        x = self._check_input(0, x)
        r = self.Result()
        rc = self.lib.ee_infer(self._ptr(x), int(bool(force_full)), ctypes.byref(r))
        if rc < 0:
            raise TwinError(f"ee_infer() returned {rc}", "regenerate the C code")
        per_exit = [np.ctypeslib.as_array(r.exit_logits[k]).copy().reshape(self.shapes[k]["logits"])
                    for k in range(r.stages_run)]
        return r.exit_stage, r.predicted, per_exit, r

    def exit_decision(self, k: int, logits: np.ndarray) -> bool:
        q = np.ascontiguousarray(np.asarray(logits, dtype=np.int8).ravel())
        return bool(self.lib.ee_exit_decision(k, self._ptr(q)))

    def scores_permille(self, result) -> np.ndarray:
        out = (ctypes.c_uint16 * self.num_classes)()
        self.lib.ee_scores_permille(ctypes.byref(result), out)
        return np.array(out, dtype=np.int64)


def _cache_dir() -> Path:
    root = os.environ.get("EDGE_EE_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                                           os.path.expanduser("~/.cache"), "edge_ee")
    return Path(root) / "twin"


class TwinEngine:
    """Engine "twin" for the host runner: the bundle's generated C, compiled for this machine.

    `build_dir` keeps the generated sources and the library; if None, sources go to a temporary directory and
    the library to a cache keyed by the hash of its sources ($EDGE_EE_CACHE or ~/.cache/edge_ee/twin), so a
    bundle is compiled once. Thresholds are the manifest's (pass `thresholds`/`measure` to override)."""

    name = "twin"

    def __init__(self, bundle, build_dir=None, *, thresholds=None, measure: str | None = None,
                 sanitize: bool = False):
        self.bundle = bundle
        lib_dir = Path(build_dir) / "lib" if build_dir is not None else _cache_dir()
        if build_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="edge_ee_twin_")
            build_dir = self._tmp.name
        src = Path(build_dir) / "c"
        self.generated = generate_bundle(bundle, src, force=True, thresholds=thresholds, measure=measure)
        so = build_shared(src, lib_dir, sanitize=sanitize)
        shapes = [{"input": s.input.shape, "logits": s.logits.shape,
                   "features": s.features.shape if s.features else None} for s in bundle.stages]
        self.lib = TwinLibrary(so, bundle.num_stages, bundle.stages[0].logits.size, shapes)

    def run_stage(self, k: int, x_int8: np.ndarray) -> dict[str, np.ndarray]:
        """Runs stage k on its int8 input; returns {"logits": int8, "features": int8 (all but the last)}."""
        return self.lib.run_stage(k, x_int8)

    def infer(self, x_int8: np.ndarray, force_full: bool = False):
        """Runs the early-exit schedule in C (ee_infer: the C exit test decides). Returns (exit_stage, predicted
        class, [{"logits": int8 array} for each stage run]); force_full runs every stage without exit tests."""
        exit_stage, pred, per_exit, _ = self.lib.infer(x_int8, force_full)
        return exit_stage, pred, [{"logits": q} for q in per_exit]

    def exit_decision(self, k: int, logits: np.ndarray) -> bool:
        """The C integer exit test of early exit k on one row of int8 logits."""
        return self.lib.exit_decision(k, logits)

    def describe(self) -> dict:
        return {"engine": self.name, "runtime": f"generated C (edge_ee.codegen), host build {self.lib.path.name}",
                "kernels": "edge_ee int8 kernels, reference path (bit-exact with TFLite Micro)",
                "arena_bytes": self.generated.arena_size}
