"""`edge-ee inspect BUNDLE_DIR`: stages, ops per stage, tensor quantization, MACs, sizes."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("inspect", help="show what a bundle holds: stages, ops, quantization, MACs, sizes",
                       description="Load a bundle (checking its manifest and file hashes) and describe it.")
    p.add_argument("bundle", metavar="BUNDLE_DIR")
    p.add_argument("--json", action="store_true", help="print a machine-readable object on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.convert import format_inspection, inspect_bundle

    d = inspect_bundle(args.bundle)
    print(json.dumps(d, indent=2) if args.json else format_inspection(d))
    return 0
