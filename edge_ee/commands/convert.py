"""`edge-ee convert CHECKPOINT --out BUNDLE_DIR`: a trained multi-exit model -> a bundle of int8 TFLite stages."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from edge_ee.exits import MEASURES


@dataclass(frozen=True)
class ConvertConfig:
    checkpoint: str
    out: str
    calibration_samples: int | None = None
    recipe: str | None = None
    thresholds: tuple[float, ...] | None = None
    measure: str | None = None
    calibration: str | None = None
    data_dir: str | None = None
    force: bool = False
    keep_work: str | None = None


def register(sub) -> None:
    p = sub.add_parser("convert", help="convert a trained multi-exit checkpoint into a bundle of int8 TFLite stages",
                       description="Partition the model at its exits, convert every stage (and the always-full "
                                   "baseline) to fully-int8 TFLite with bit-equal boundaries, verify the int8 chain "
                                   "against the float model, and write the bundle (manifest.json + stage_k.tflite "
                                   "+ full.tflite).")
    p.add_argument("checkpoint", help="checkpoint written by `edge-ee train`")
    p.add_argument("--out", required=True, metavar="BUNDLE_DIR", help="bundle directory to create")
    p.add_argument("--calibration-samples", type=int, metavar="N",
                   help="real input samples used to calibrate int8 ranges (default: the recipe's)")
    p.add_argument("--recipe", metavar="FILE", help="conversion recipe (default: the one in convert/ naming the model)")
    p.add_argument("--thresholds", type=float, nargs="+", metavar="T", help="one exit threshold per early exit")
    p.add_argument("--measure", choices=MEASURES, help="confidence measure of the thresholds (default neglogpmax)")
    p.add_argument("--calibration", metavar="FILE", help="thresholds from `edge-ee calibrate --json` output")
    p.add_argument("--data-dir", metavar="DIR", help="dataset location, if not where the checkpoint was trained")
    p.add_argument("--force", action="store_true", help="replace an existing bundle directory")
    p.add_argument("--keep-work", metavar="DIR", help="keep the ONNX files, calibration data and onnx2tf logs here")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.convert import convert_checkpoint, format_inspection, inspect_bundle

    cfg = ConvertConfig(args.checkpoint, args.out, args.calibration_samples, args.recipe,
                        tuple(args.thresholds) if args.thresholds else None, args.measure, args.calibration,
                        args.data_dir, args.force, args.keep_work)
    t0 = time.perf_counter()
    bundle = convert_checkpoint(cfg.checkpoint, cfg.out, calibration_samples=cfg.calibration_samples,
                                recipe=cfg.recipe, thresholds=cfg.thresholds, measure=cfg.measure,
                                calibration=cfg.calibration, force=cfg.force, progress=not args.quiet,
                                data_dir=cfg.data_dir, keep_work=cfg.keep_work)
    summary = inspect_bundle(bundle.path)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_inspection(summary))
        print(f"converted in {summary['seconds']:.1f} s")
    return 0
