"""Staged int8 conversion: a trained multi-exit model -> a bundle (DESIGN.md sections 1 and 3).

  1. calibration inputs: a seeded random draw of real samples from the recipe's split; stage k+1 is calibrated
     on stage k's *float* features (the PyTorch model's, in NHWC);
  2. every stage (and the whole network, final exit only: the always-full baseline) -> ONNX with NHWC
     boundaries -> onnx2tf + TensorFlow -> full-integer int8 TFLite, in one worker process;
  3. every file is checked fully int8 (int8 activations and per-channel weights, int32 biases);
  4. each boundary is made bit-equal: the consumer's input gets the producer's exact scale and zero point
     (they differ by an ulp or two after independent calibration); more than 0.1 % apart is refused;
  5. the int8 chain is verified on held-out samples against the float model, per exit;
  6. the manifest is written and the bundle renamed into place in one step."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings as _warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from edge_ee.bundle import Bundle, ExitInfo, StageInfo, Tensor, sha256_file, write_manifest
from edge_ee.checkpoint import load_checkpoint
from edge_ee.convert.common import DEFAULT_MEASURE, read_io, toolchain_versions
from edge_ee.convert.export import FullModel, NHWCStage, export_onnx, onnx_modules_of_type
from edge_ee.convert.recipe import Recipe, load_recipe, recipe_for
from edge_ee.convert.tflite import check_full_int8, set_input_quantization
from edge_ee.convert.verify import exit_report, run_chain, run_single
from edge_ee.runtime.inputs import quantize
from edge_ee.data import Dataset, Preprocess, load_dataset
from edge_ee.errors import (ConfigError, ConversionError, DataError, EdgeEEError, QuantizationMismatch, ToolMissing,
                            UnsupportedOp)
from edge_ee.exits import check_measure
from edge_ee.io import atomic_dir, check_writable
from edge_ee.macs import stage_macs
from edge_ee.models import MultiExitModel
from edge_ee.tflite_model import read_tflite

MIN_CALIBRATION_SAMPLES = 32
MAX_BOUNDARY_MISMATCH = 1e-3  # relative; beyond it the boundary would need real requantization
SEED = 0
# Without thresholds from `edge-ee calibrate` or the command line, an early exit takes an input only when the
# model is quite sure: the top class holds at least 90 % of the probability mass (or the equivalent per measure).
DEFAULT_THRESHOLDS = {"neglogpmax": -math.log(0.9), "margin": 0.2, "entropy": 0.3}
DEFAULT_THRESHOLD_NOTE = ("conservative default (no calibration given): neglogpmax < -ln 0.9, i.e. exit when "
                          "p_max >= 0.9; margin < 0.2; entropy < 0.3 nats. Run `edge-ee calibrate` and pass "
                          "--calibration, or override thresholds at run time")

Progress = Callable[[str], None]


class QuantizationLossWarning(UserWarning):
    """An exit loses more accuracy to int8 than the recipe's max_drop_points (also in manifest "verification")."""


def _progress(progress) -> Progress:
    if callable(progress):
        return progress
    if progress:
        return lambda msg: print(f"convert: {msg}", file=sys.stderr, flush=True)
    return lambda msg: None


# ---------------------------------------------------------------- exits and thresholds

def resolve_exits(num_exits: int, thresholds: Sequence[float] | None = None, measure: str | None = None,
                  calibration: str | os.PathLike | None = None) -> tuple[list[ExitInfo], dict]:
    """The exits' measure and float thresholds, from --thresholds, a calibration JSON, or the default."""
    if thresholds is not None and calibration is not None:
        raise ConfigError("both --thresholds and --calibration given", "pass one of them")
    early = num_exits - 1
    if calibration is not None:
        path = Path(calibration)
        try:
            cal = json.loads(path.read_text())
            cal_measure = check_measure(cal["measure"]) if measure is None else check_measure(measure)
            values = [e["threshold"] for e in cal["exits"]]
        except FileNotFoundError:
            raise ConfigError(f"calibration file {path} does not exist",
                              "pass the output of `edge-ee calibrate --json`") from None
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ConfigError(f"{path} is not a calibration result ({type(e).__name__}: {e})",
                              'expected {"measure": ..., "exits": [{"threshold": ...}, ...]} '
                              "from `edge-ee calibrate --json`") from None
        if measure is not None and measure != cal["measure"]:
            raise ConfigError(f"--measure {measure} contradicts the calibration's measure {cal['measure']}",
                              "omit --measure: thresholds only mean something for the measure they were chosen for")
        if len(values) == num_exits and values[-1] is None:
            values = values[:-1]
        if len(values) != early or any(v is None for v in values):
            raise ConfigError(f"{path} has thresholds for {len(values)} early exits; the model has {early}",
                              "calibrate this model's checkpoint")
        source = {"source": "calibration", "file": str(path), "sha256": sha256_file(path)}
        measure, values = cal_measure, [float(v) for v in values]
    elif thresholds is not None:
        measure = check_measure(measure or DEFAULT_MEASURE)
        values = [float(v) for v in thresholds]
        if len(values) != early:
            raise ConfigError(f"{len(values)} thresholds given; the model has {early} early exit(s)",
                              f"give {early} value(s) with --thresholds, one per early exit")
        source = {"source": "command line"}
    else:
        measure = check_measure(measure or DEFAULT_MEASURE)
        values = [DEFAULT_THRESHOLDS[measure]] * early
        source = {"source": "default", "note": DEFAULT_THRESHOLD_NOTE}
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ConfigError(f"thresholds must be finite and non-negative, got {values}", "exit when uncertainty < T")
    exits = [ExitInfo(k, measure, values[k] if k < early else None) for k in range(num_exits)]
    return exits, {"measure": measure, **source}


# ---------------------------------------------------------------- helpers

def _check_tools() -> None:
    import importlib.util

    for mod, pkg in (("onnx", "onnx"), ("onnx2tf", "onnx2tf"), ("tensorflow", "tensorflow"),
                     ("ai_edge_litert", "ai-edge-litert")):
        if importlib.util.find_spec(mod) is None:
            raise ToolMissing(f"conversion needs the Python package {pkg}, which is not installed",
                              "pip install 'edge_ee[convert,runtime]'")


def _draw(ds: Dataset, split: str, n: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = ds.raw(split)
    if len(y) == 0:
        raise DataError(f"the {split} split of {ds.name} is empty: no {what} samples", "check the dataset files")
    idx = np.sort(np.random.default_rng(SEED).permutation(len(y))[:n])
    return x[idx], y[idx]


def _pick_outputs(outputs: list[Tensor], num_classes: int, feature_shape: tuple | None, where: str):
    """Finds the logits and the feature output by shape (onnx2tf does not promise an output order)."""
    logits = [t for t in outputs if t.shape == (1, num_classes)]
    feats = [t for t in outputs if feature_shape is not None and t.shape == tuple(feature_shape)]
    expected = 1 + (feature_shape is not None)
    if len(outputs) != expected or len(logits) != 1 or (feature_shape is not None and len(feats) != 1):
        wanted = f"logits [1, {num_classes}]" + (f" and features {list(feature_shape)}" if feature_shape else "")
        raise ConversionError(f"{where}: the converted outputs {[(t.name, list(t.shape)) for t in outputs]} are not "
                              + wanted,
                              "report this model: the stage converted to an unexpected signature")
    return logits[0], (feats[0] if feats else None)


def _run_worker(jobs: list[dict], work: Path, say: Progress, stage_module: dict, timeout: float) -> dict[str, dict]:
    """Runs the onnx2tf worker; returns its per-job results. Failures name the stage, module and ONNX op."""
    spec = work / "jobs.json"
    spec.write_text(json.dumps({"jobs": jobs}))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", PYTHONUNBUFFERED="1")
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen([sys.executable, "-m", "edge_ee.convert.worker", str(spec)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=work)
    results: dict[str, dict] = {}
    watchdog = threading.Timer(timeout, proc.kill)  # a hung TensorFlow must not hang the caller
    watchdog.start()
    try:
        for line in proc.stdout:
            r = json.loads(line)
            results[r["job"]] = r
            if r["ok"]:
                say(f"{r['job']}: int8 TFLite in {r['seconds']:.1f} s")
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode < 0 and len(results) < len(jobs):
        raise ConversionError(f"onnx2tf did not finish within {timeout:.0f} s", "check the machine's load")
    for job in jobs:
        r = results.get(job["name"])
        if r is None:
            raise ConversionError(f"the onnx2tf worker stopped before {job['name']} (exit code {proc.returncode})",
                                  "rerun with --keep-work DIR to keep the ONNX files and the converter's log")
        if not r["ok"]:
            raise _explain_failure(job, r, stage_module[job["name"]])
    return results


def _where(job: dict) -> str:
    return "the full model" if job["name"] == "full" else job["name"].replace("_", " ")


def _locate(op: str, job: dict, wrapper: torch.nn.Module, fix: str | None) -> UnsupportedOp:
    """UnsupportedOp naming the stage and the PyTorch module(s) that produced the ONNX op."""
    modules = onnx_modules_of_type(Path(job["onnx"]), op, wrapper)
    where = _where(job) + (f", module {', '.join(modules)}" if modules else "")
    return UnsupportedOp(op, where, fix)


_TF_OP = re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op")
_ONNX2TF_OP = re.compile(r"onnx_op_type:\s*(\w+)")


def _explain_failure(job: dict, r: dict, wrapper: torch.nn.Module) -> ConversionError:
    log = Path(r["log"]).read_text(errors="replace") if Path(r["log"]).exists() else ""
    text = r["error"] + "\n" + log
    ops = list(dict.fromkeys(_TF_OP.findall(text) or _ONNX2TF_OP.findall(text)))
    if ops:
        fix = ("TFLite has no int8 builtin for it; replace the layer with int8-friendly ops (conv, depthwise conv, "
               "linear, pooling, add, relu, reshape)")
        return _locate(ops[0], job, wrapper, fix)
    first = r["error"].strip().splitlines()[0] if r["error"].strip() else "unknown error"
    errors = [line.strip() for line in log.splitlines() if "error" in line.lower()][-2:]
    return ConversionError(f"converting {_where(job)} to int8 TFLite failed: {first}"
                           + (f" ({' | '.join(errors)})" if errors else ""),
                           "rerun with --keep-work DIR to keep the ONNX files and the converter's log; the stage "
                           "must use ops TFLite runs in int8")


def bind_boundary(produced: Tensor, consumer: Path, k: int) -> dict:
    """Gives stage k's input exactly the quantization of stage k-1's feature output (`produced`), so the int8
    tensor passes unchanged. Independent calibration leaves them an ulp or two apart; more than 0.1 % (or another
    zero point) would need real requantization and is refused."""
    (consumed,), _ = read_io(consumer)
    if consumed.shape != produced.shape or consumed.dtype != produced.dtype:
        raise QuantizationMismatch(f"boundary stage {k - 1} -> {k}: stage {k - 1} produces {produced.dtype}"
                                   f"{list(produced.shape)} but stage {k} takes {consumed.dtype}{list(consumed.shape)}",
                                   "report this model: the stages were cut inconsistently")
    rel = abs(consumed.scale - produced.scale) / produced.scale
    if consumed.zero_point != produced.zero_point or rel > MAX_BOUNDARY_MISMATCH:
        raise QuantizationMismatch(
            f"boundary stage {k - 1} -> {k}: producer scale {produced.scale:.9g} zero point {produced.zero_point}, "
            f"consumer {consumed.scale:.9g} / {consumed.zero_point} ({100 * rel:.3f} % apart; copying is allowed "
            f"up to {100 * MAX_BOUNDARY_MISMATCH:.1f} %)",
            "the stages were calibrated on different ranges: convert again with more --calibration-samples; "
            "making them agree would need requantization")
    patched = set_input_quantization(consumer, produced.scale, produced.zero_point)
    return {"scale": produced.scale, "zero_point": produced.zero_point, "consumer_scale_before": consumed.scale,
            "relative_difference": rel, "patched_tensors": patched}


# ---------------------------------------------------------------- the conversion

def convert_model(model: MultiExitModel, model_name: str, class_names: list[str], dataset: Dataset,
                  out_dir, *, preprocess: Preprocess | None = None, calibration_samples: int | None = None,
                  recipe: Recipe | str | os.PathLike | None = None, thresholds: Sequence[float] | None = None,
                  measure: str | None = None, calibration: str | os.PathLike | None = None, force: bool = False,
                  progress=False, provenance: dict | None = None, keep_work: str | os.PathLike | None = None,
                  timeout: float = 600.0) -> Bundle:
    """Converts `model` (a MultiExitModel in eval mode) into a bundle at `out_dir`; see the module docstring."""
    t_start = time.perf_counter()
    say = _progress(progress)
    out_dir = check_writable(out_dir, force)
    _check_tools()
    model.eval()
    K = model.num_exits
    recipe = (recipe if isinstance(recipe, Recipe) else load_recipe(recipe) if recipe is not None
              else recipe_for(model_name))
    recipe.check_model(model_name, model.exit_names)
    exits, threshold_info = resolve_exits(K, thresholds, measure, calibration)
    if len(class_names) != model.num_classes:
        raise ConfigError(f"{len(class_names)} class names for a model with {model.num_classes} outputs",
                          "the checkpoint's class names must match its classifier")
    preprocess = preprocess or dataset.preprocess
    n_cal = recipe.calibration_samples if calibration_samples is None else int(calibration_samples)
    if n_cal < MIN_CALIBRATION_SAMPLES:
        raise ConfigError(f"{n_cal} calibration samples are too few for stable int8 ranges",
                          f"use at least {MIN_CALIBRATION_SAMPLES} (--calibration-samples)")
    available = len(dataset.raw(recipe.calibration_split)[1])
    if available < n_cal:
        raise DataError(f"{n_cal} calibration samples requested but the {recipe.calibration_split} split of "
                        f"{dataset.name} holds {available}",
                        f"use --calibration-samples {max(MIN_CALIBRATION_SAMPLES, available)} or fewer")
    raw_cal, _ = _draw(dataset, recipe.calibration_split, n_cal, "calibration")
    x_cal = torch.from_numpy(preprocess.apply(raw_cal))
    if tuple(x_cal.shape[1:]) != model.input_shape:
        raise DataError(f"{dataset.name} samples have shape {tuple(x_cal.shape[1:])} but {model_name} takes "
                        f"{model.input_shape}", "convert with the dataset the model was trained on")
    say(f"{model_name}: {K} stage(s), recipe {recipe.name}, {n_cal} calibration samples from "
        f"{dataset.name}/{recipe.calibration_split}")

    work_ctx = tempfile.TemporaryDirectory(prefix="edge_ee-convert-")
    work = Path(work_ctx.name)
    try:
        # 1-2: float calibration data per stage, ONNX export, one worker run for every file.
        jobs, modules, feature_shapes = [], {}, []
        x = x_cal
        for k in range(K):
            wrapper = NHWCStage(model, k).eval()
            name = f"stage_{k}"
            cal = x.permute(0, 2, 3, 1) if k == 0 else x  # onnx2tf wants calibration data in its NHWC layout
            np.save(work / f"{name}_calibration.npy", cal.numpy().astype(np.float32))
            outputs = ["logits"] + ([] if k == K - 1 else ["features"])
            say(f"{name}: exporting to ONNX")
            export_onnx(wrapper, x[:1], work / f"{name}.onnx", outputs, f"stage {k}")
            with torch.no_grad():
                out = wrapper(x)
            if k < K - 1:
                x = out[1].contiguous()
                feature_shapes.append((1,) + tuple(x.shape[1:]))
            jobs.append({"name": name, "onnx": str(work / f"{name}.onnx"), "workdir": str(work / name),
                         "input_name": "input", "calibration": str(work / f"{name}_calibration.npy"),
                         "quant_type": recipe.quant_type, "keep_input_shape": k > 0})
            modules[name] = wrapper
        full = FullModel(model).eval()
        np.save(work / "full_calibration.npy", x_cal.permute(0, 2, 3, 1).numpy().astype(np.float32))
        say("full: exporting the always-full baseline to ONNX")
        export_onnx(full, x_cal[:1], work / "full.onnx", ["logits"], "the full model")
        jobs.append({"name": "full", "onnx": str(work / "full.onnx"), "workdir": str(work / "full"),
                     "input_name": "input", "calibration": str(work / "full_calibration.npy"),
                     "quant_type": recipe.quant_type, "keep_input_shape": False})
        modules["full"] = full
        say(f"converting {len(jobs)} file(s) to int8 TFLite (onnx2tf + TensorFlow, {recipe.quant_type} weights)")
        t_conv = time.perf_counter()
        results = _run_worker(jobs, work, say, modules, timeout)
        conv_seconds = time.perf_counter() - t_conv

        with atomic_dir(out_dir, force) as tmp:
            # 3: full int8 check, tensors by shape.
            files = {}
            for job in jobs:
                dst = tmp / f"{job['name']}.tflite"
                shutil.copyfile(results[job["name"]]["tflite"], dst)
                try:
                    check_full_int8(read_tflite(dst), dst.name, per_channel=recipe.quant_type == "per-channel")
                except UnsupportedOp as e:
                    raise _locate(e.op, job, modules[job["name"]], e.fix) from None
                files[job["name"]] = dst
            # 4: bit-equal boundaries.
            boundaries = []
            for k in range(1, K):
                _, prev_out = read_io(files[f"stage_{k - 1}"])
                _, produced = _pick_outputs(prev_out, model.num_classes, feature_shapes[k - 1], f"stage {k - 1}")
                boundaries.append({"from": k - 1, "to": k, **bind_boundary(produced, files[f"stage_{k}"], k)})
            # Read back what the interpreter sees.
            stages: list[StageInfo] = []
            macs = stage_macs(model)
            for k in range(K):
                path = files[f"stage_{k}"]
                (inp,), outs = read_io(path)
                logits, feats = _pick_outputs(outs, model.num_classes, feature_shapes[k] if k < K - 1 else None,
                                              f"stage {k}")
                g = read_tflite(path)
                check_full_int8(g, path.name, per_channel=recipe.quant_type == "per-channel")
                stages.append(StageInfo(k, path.name, inp, logits, feats, macs[k].backbone_macs, macs[k].head_macs,
                                        g.op_names))
            for k in range(1, K):
                a, b = stages[k - 1].features, stages[k].input
                if (a.shape, a.scale, a.zero_point) != (b.shape, b.scale, b.zero_point):
                    raise QuantizationMismatch(f"boundary stage {k - 1} -> {k} is not bit-equal after patching "
                                               f"({a} vs {b})", "report this model")
            (full_in,), full_outs = read_io(files["full"])
            full_logits, _ = _pick_outputs(full_outs, model.num_classes, None, "the full model")

            # 5: verification on held-out samples.
            say(f"verifying the int8 chain on {recipe.verification_split} samples")
            verification = _verify(model, dataset, preprocess, recipe, tmp, stages, full_in, full_logits, say)

            manifest = {
                "model": {"name": model_name, "source": "checkpoint", "num_classes": model.num_classes,
                          "class_names": list(class_names), "exit_names": list(model.exit_names),
                          "input_shape_nchw": list(model.input_shape)},
                "input": {"preprocess": preprocess.to_dict(),
                          "quantize": "q = clamp(round(x / scale) + zero_point, -128, 127) with stage 0's input "
                                      "scale and zero point, x = (raw - mean) / std"},
                "stages": [s.to_dict() for s in stages],
                "exits": [e.to_dict() for e in exits],
                "thresholds": threshold_info,
                "baseline": {"file": "full.tflite", "input": full_in.to_dict(), "logits": full_logits.to_dict(),
                             "macs": sum(m.backbone_macs for m in macs) + macs[-1].head_macs},
                "conversion": {"recipe": recipe.to_dict(), "boundaries": boundaries,
                               "calibration": {"dataset": dataset.name, "split": recipe.calibration_split,
                                               "samples": n_cal, "seed": SEED},
                               "onnx2tf_seconds": round(conv_seconds, 2)},
                "provenance": {**(provenance or {}), "toolchain": toolchain_versions(),
                               "created": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                "verification": verification,
            }
            manifest["conversion"]["seconds"] = round(time.perf_counter() - t_start, 2)
            write_manifest(tmp, manifest)
            Bundle.load(tmp)  # the contract check, before the bundle becomes visible
    finally:
        if keep_work:  # also after a failure: the ONNX files and the converter's logs explain it
            shutil.copytree(work, keep_work, dirs_exist_ok=True)
        work_ctx.cleanup()
    bundle = Bundle.load(out_dir)
    say(f"bundle written to {out_dir} in {time.perf_counter() - t_start:.1f} s")
    return bundle


def _verify(model, dataset, preprocess, recipe, bundle_dir, stages, full_in, full_logits, say) -> dict:
    raw, labels = _draw(dataset, recipe.verification_split, recipe.verification_samples, "verification")
    x = preprocess.apply(raw)
    with torch.no_grad():
        float_logits = [o.numpy() for o in model(torch.from_numpy(x))]
    x_nhwc = x.transpose(0, 2, 3, 1)
    chain = run_chain(bundle_dir, stages, quantize(x_nhwc, stages[0].input))
    exits, warnings = [], []
    for k, s in enumerate(stages):
        r = exit_report(model.exit_names[k], float_logits[k], chain[k][0], s.logits, labels)
        exits.append({"index": k, **r})
        if r["drop_points"] > recipe.max_drop_points:
            warnings.append(f"exit {k} ({r['exit']}) loses {r['drop_points']:.1f} points of accuracy to int8 "
                            f"(float {100 * r['float_accuracy']:.1f} %, int8 {100 * r['int8_accuracy']:.1f} %)")
        say(f"exit {k} ({r['exit']}): int8 agrees with float on {100 * r['agreement']:.1f} %, accuracy "
            f"{100 * r['int8_accuracy']:.1f} % (float {100 * r['float_accuracy']:.1f} %)")
    full_q = run_single(bundle_dir / "full.tflite", full_in, full_logits, quantize(x_nhwc, full_in))
    base = exit_report("full", float_logits[-1], full_q, full_logits, labels)
    base["agreement_with_last_stage"] = float((full_q.argmax(1) == chain[-1][0].argmax(1)).mean())
    say(f"baseline full.tflite: agrees with float on {100 * base['agreement']:.1f} %, with the last stage on "
        f"{100 * base['agreement_with_last_stage']:.1f} %")
    for w in warnings:
        say(f"WARNING: {w}")
        _warnings.warn(w, QuantizationLossWarning, stacklevel=3)
    return {"split": recipe.verification_split, "samples": int(len(labels)),
            "runtime": "ai-edge-litert (default kernels)",
            "exits": exits, "baseline": base, "warnings": warnings}


def convert_checkpoint(checkpoint_path, out_dir, *, calibration_samples: int | None = None,
                       recipe: Recipe | str | os.PathLike | None = None, thresholds: Sequence[float] | None = None,
                       measure: str | None = None, calibration: str | os.PathLike | None = None,
                       force: bool = False, progress=False, data_dir: str | os.PathLike | None = None,
                       keep_work: str | os.PathLike | None = None) -> Bundle:
    """`edge-ee convert`: a checkpoint written by `edge-ee train` -> a bundle at `out_dir`; returns the loaded Bundle.

    calibration_samples: real samples for int8 ranges (default: the recipe's; at least 32).
    recipe: a Recipe or a TOML path (default: the recipe in convert/ that names the model).
    thresholds + measure, or calibration (a `edge-ee calibrate --json` file): the early exits' thresholds; neither
    gives the documented conservative default (DEFAULT_THRESHOLD_NOTE). force: replace an existing `out_dir`.
    progress: True prints progress lines to stderr, a callable receives them, False is silent.
    data_dir: where the checkpoint's dataset is now. keep_work: a directory to keep the ONNX files and logs in.
    Raises the typed errors of edge_ee.errors (ConversionError/UnsupportedOp, QuantizationMismatch, DataError,
    ConfigError, CheckpointError, OutputExists)."""
    check_writable(out_dir, force)
    ck = load_checkpoint(checkpoint_path)
    ds_name = ck.dataset.get("name")
    try:
        dataset = load_dataset(ds_name, data_dir if data_dir is not None else ck.dataset.get("data_dir"))
    except EdgeEEError as e:
        raise DataError(f"calibration needs real samples of {ds_name!r}, the dataset {ck.model_name} was trained "
                        f"on: {e.problem}", "pass --data-dir pointing at that dataset") from None
    pp = ck.dataset.get("preprocess")
    preprocess = Preprocess(tuple(pp["mean"]), tuple(pp["std"])) if pp else None
    return convert_model(ck.model, ck.model_name, ck.class_names, dataset, out_dir, preprocess=preprocess,
                         calibration_samples=calibration_samples, recipe=recipe, thresholds=thresholds,
                         measure=measure, calibration=calibration, force=force, progress=progress,
                         provenance={"checkpoint": str(checkpoint_path),
                                     "checkpoint_sha256": sha256_file(checkpoint_path), "dataset": ds_name},
                         keep_work=keep_work)


__all__ = ["convert_checkpoint", "convert_model", "resolve_exits", "bind_boundary"]
