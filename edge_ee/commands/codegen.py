"""`edge-ee codegen BUNDLE --out DIR`: the bundle as a self-contained C99 library (weights in flash, one static
arena, one function per stage, the integer exit test), with its memory report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CodegenConfig:
    bundle: Path
    out: Path
    force: bool = False
    thresholds: tuple[float, ...] | None = None
    measure: str | None = None
    targets: tuple[str, ...] = ("cortex-m4",)
    tflm: bool = True


def register(sub) -> None:
    p = sub.add_parser("codegen", help="generate C for microcontrollers from a bundle",
                       description="Generate a self-contained C99 library from a bundle: bit-exact int8 kernels "
                                   "(TFLite Micro's reference arithmetic), a static memory plan, the integer exit "
                                   "test, and the API in ee_model.h. Prints and writes (memory_report.json) the "
                                   "flash and RAM it needs next to TFLite Micro's arena.")
    p.add_argument("bundle", type=Path, help="bundle directory (from `edge-ee convert` or `edge-ee import`)")
    p.add_argument("--out", type=Path, required=True, help="output directory (must not exist unless --force)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--thresholds", type=float, nargs="+", default=None,
                   help="override the manifest's exit thresholds (one per early exit)")
    p.add_argument("--measure", default=None, help="override the exits' confidence measure")
    p.add_argument("--target", dest="targets", action="append", default=None,
                   choices=["cortex-m4", "cortex-m7", "cortex-m55"],
                   help="Cortex-M target(s) to size the code for (default cortex-m4; repeatable)")
    p.add_argument("--no-tflm", dest="tflm", action="store_false", help="skip the TFLite Micro arena comparison")
    p.set_defaults(func=run)


def run(args) -> int:
    cfg = CodegenConfig(args.bundle, args.out, args.force, tuple(args.thresholds) if args.thresholds else None,
                        args.measure, tuple(args.targets or ("cortex-m4",)), args.tflm)
    rep = codegen(cfg)
    print(f"wrote {cfg.out} (ee_model.h, ee_model.c, ee_weights.c, nn/, Makefile)")
    print(f"  arena (RAM, static plan): {rep['arena_bytes']:>9,} bytes")
    print(f"  weights (flash):          {rep['weights_bytes']:>9,} bytes")
    for t, d in rep.get("targets", {}).items():
        stack = f", stack ~{d['stack_bytes']:,}" if d.get("stack_bytes") is not None else ""
        print(f"  {t}: flash {d['flash_bytes']:,} bytes (code {d['code']:,} + weights {d['weights']:,}); "
              f"RAM {d['ram_bytes']:,} bytes (static {d['bss'] + d['data']:,}{stack})")
    if "tflm" in rep:
        arenas = ", ".join(f"{s['total']:,}" for s in rep["tflm"]["stages"])
        print(f"  TFLite Micro arena per stage: {arenas} bytes")
    if "note" in rep:
        print(f"  note: {rep['note']}")
    return 0


def codegen(cfg: CodegenConfig) -> dict:
    from edge_ee.bundle import Bundle
    from edge_ee.codegen import generate_bundle
    from edge_ee.codegen.memory import memory_report
    from edge_ee.io import atomic_write_json

    bundle = Bundle.load(cfg.bundle)
    gen = generate_bundle(bundle, cfg.out, force=cfg.force, thresholds=cfg.thresholds, measure=cfg.measure)
    rep = memory_report(gen, [bundle.stage_path(k) for k in range(bundle.num_stages)], cfg.targets, cfg.tflm)
    atomic_write_json(cfg.out / "memory_report.json", rep)
    return rep
