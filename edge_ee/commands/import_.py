"""`edge-ee import MODEL.tflite --out BUNDLE_DIR`: a third-party fully-int8 model as a one-stage bundle."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportConfig:
    model: str
    out: str
    classes: tuple[str, ...] | None = None
    preprocess: str | None = None
    name: str | None = None
    force: bool = False


def register(sub) -> None:
    p = sub.add_parser("import", help="wrap a fully-int8 .tflite model as a one-stage bundle (no early exit)",
                       description="Wrap an existing fully-int8 TFLite classifier (e.g. the MLPerf Tiny IC, KWS "
                                   "and VWW reference models) as a one-stage bundle, so the runner, codegen, "
                                   "firmware and measurement tools work on it. Float and dynamic-range models "
                                   "are refused.")
    p.add_argument("model", help="a fully-int8 .tflite file")
    p.add_argument("--out", required=True, metavar="BUNDLE_DIR", help="bundle directory to create")
    p.add_argument("--classes", nargs="+", metavar="NAME", help="class names, one per output (default 0..N-1)")
    p.add_argument("--preprocess", metavar="SPEC",
                   help="how raw uint8 input maps to the model's float input: MEAN/STD (x = (raw - MEAN) / STD, "
                        "per-channel values comma-separated) or pixel-128 (int8 input = pixel - 128, the MLPerf "
                        "Tiny IC/VWW convention). Default: unknown, recorded as null")
    p.add_argument("--name", help="model name for the manifest (default: the file name)")
    p.add_argument("--force", action="store_true", help="replace an existing bundle directory")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.convert import format_inspection, import_tflite, inspect_bundle

    cfg = ImportConfig(args.model, args.out, tuple(args.classes) if args.classes else None, args.preprocess,
                       args.name, args.force)
    bundle = import_tflite(cfg.model, cfg.out, class_names=cfg.classes, force=cfg.force, preprocess=cfg.preprocess,
                           name=cfg.name)
    summary = inspect_bundle(bundle.path)
    print(json.dumps(summary, indent=2) if args.json else format_inspection(summary))
    return 0
