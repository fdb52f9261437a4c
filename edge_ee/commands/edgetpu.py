"""`edge-ee edgetpu`: compile every stage of a bundle for the Coral Edge TPU (edgetpu_compiler)."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("edgetpu", help="add Edge TPU twins (*_edgetpu.tflite) to a bundle",
                       description="Compiles each stage with Coral's edgetpu_compiler and records the twins in the "
                                   "manifest; `edge-ee run/simulate` then run those stages on an attached Edge TPU "
                                   "when libedgetpu is installed.")
    p.add_argument("bundle", type=Path, help="bundle directory")
    p.add_argument("--compiled", type=Path, metavar="DIR",
                   help="take *_edgetpu.tflite files compiled elsewhere (e.g. Coral's Colab) from DIR")
    p.add_argument("--force", action="store_true", help="replace existing twins")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.runtime.edgetpu import compile_edgetpu

    b = compile_edgetpu(args.bundle, force=args.force, compiled=args.compiled)
    for k in range(b.num_stages):
        print(f"stage {k}: {b.edgetpu_path(k)}")
    return 0
