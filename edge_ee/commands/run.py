"""`edge-ee run`: staged early-exit inference on single input files (.npy, .png, .bin)."""

from __future__ import annotations

import sys
from pathlib import Path


def add_engine_options(p) -> None:
    from edge_ee.runtime.engines import ENGINES, KERNELS

    p.add_argument("--engine", default="litert", choices=sorted(ENGINES),
                   help="litert: LiteRT/tflite-runtime optimized kernels (default); tflm: TFLite Micro reference "
                        "kernels (bit-exact with the MCU reference); twin: the host build of the generated C")
    p.add_argument("--threads", type=int, default=1, help="interpreter threads (litert; default 1)")
    p.add_argument("--litert-kernels", choices=KERNELS, default="xnnpack",
                   help="litert kernels: xnnpack (default), builtin (no XNNPACK), reference")
    p.add_argument("--no-edgetpu", action="store_true", help="ignore *_edgetpu.tflite twins (litert)")


def add_exit_options(p) -> None:
    p.add_argument("--thresholds", metavar="T1,T2,...",
                   help="override the manifest's exit thresholds: one per early exit, comma-separated")
    p.add_argument("--measure", choices=("entropy", "neglogpmax", "margin"),
                   help="override the manifest's confidence measure")
    p.add_argument("--bin-dtype", choices=("auto", "uint8", "int8"), default="auto",
                   help=".bin contents: raw uint8 samples, or the int8 input tensor itself; auto: uint8 when the "
                        "bundle records a preprocess, else int8")


def engine_options(args):
    from edge_ee.runtime.engines import EngineOptions

    return EngineOptions(threads=args.threads, kernels=args.litert_kernels, edgetpu=not args.no_edgetpu)


def parse_thresholds(text: str | None):
    if text is None:
        return None
    from edge_ee.errors import ConfigError

    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--thresholds {text!r} is not a comma-separated list of numbers",
                          "e.g. --thresholds 0.5,0.8 (one per early exit)") from None


def register(sub) -> None:
    p = sub.add_parser("run", help="early-exit inference on input files (.npy, .png, .bin)",
                       description="Runs each input through the bundle's stages on this host and stops at the first "
                                   "confident exit. .npy: int8 = quantized input, uint8 = raw samples, float = "
                                   "preprocessed input; .png: raw pixels; .bin: see --bin-dtype. NHWC, never resized.")
    p.add_argument("bundle", type=Path, help="bundle directory")
    p.add_argument("inputs", type=Path, nargs="+", metavar="INPUT", help=".npy, .png or .bin files")
    add_engine_options(p)
    add_exit_options(p)
    p.add_argument("--force-full", action="store_true", help="run every stage (the final exit decides)")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.bundle import Bundle
    from edge_ee.io import to_json
    from edge_ee.runtime.engines import describe_engine, make_engine
    from edge_ee.runtime.inputs import read_input_file
    from edge_ee.runtime.staged import StagedRunner, confidence

    bundle = Bundle.load(args.bundle)
    batches = [(path, read_input_file(bundle, path, args.bin_dtype)) for path in args.inputs]  # all checked first
    engine = make_engine(args.engine, bundle, engine_options(args))
    runner = StagedRunner(bundle, engine, parse_thresholds(args.thresholds), args.measure)
    names = bundle.class_names
    results = []
    for path, x in batches:
        for i, xi in enumerate(x):
            inf = runner.run(xi, force_full=args.force_full)
            c = inf.prediction
            results.append({"input": str(path) + (f"[{i}]" if len(x) > 1 else ""), "exit": inf.exit,
                            "stages_run": inf.exit + 1, "class": c,
                            "class_name": names[c] if c < len(names) else str(c),
                            "confidence": confidence(bundle, inf.exit, inf.logits),
                            "latency_ms": inf.total_ns / 1e6, "logits": inf.logits.tolist()})
    if args.json:
        sys.stdout.write(to_json({"bundle": str(bundle.path), "engine": describe_engine(engine),
                                  "num_exits": bundle.num_stages, "results": results,
                                  "stage_invocations": runner.invocations}))
        return 0
    last = bundle.num_stages - 1
    d = describe_engine(engine)
    print(f"{bundle.name}: {bundle.num_stages} stage(s), engine {d['engine']} ({d.get('runtime', '')}, "
          f"{d.get('kernels', '')})")
    for r in results:
        cls = r["class_name"] if r["class_name"] == str(r["class"]) else f"{r['class_name']} ({r['class']})"
        print(f"{r['input']}: exit {r['exit']}/{last}, class {cls}, "
              f"confidence {r['confidence']:.3f}, {r['latency_ms']:.3f} ms on this host")
    return 0
