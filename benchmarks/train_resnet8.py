"""Benchmark: resnet8 (MLPerf Tiny IC, exits after stacks 1 and 2) trained on CIFAR-10 (45k train / 5k val),
thresholds calibrated on the validation split at <= 1 point of accuracy drop, reported on the 1,185 test images
of ../shared/data (or the full test set when present), next to the reference figures.

    .venv/bin/python benchmarks/train_resnet8.py --epochs 30 --out out/bench_resnet8
    .venv/bin/python benchmarks/train_resnet8.py --checkpoint out/bench_resnet8/resnet8.pt   # report only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_ee.calibrate import calibrate_checkpoint  # noqa: E402
from edge_ee.evaluate import cost_table_markdown  # noqa: E402
from edge_ee.train import TrainConfig, train  # noqa: E402

REFERENCES = {
    "MLPerf Tiny ResNet-8 float accuracy": "87.2 %",
    "MLPerf Tiny ResNet-8 int8 accuracy": "87.0 %",
    "T-RECX (MLPerf Tiny models, simulated)": "31.58 % FLOPs cut at ~1 point",
    "Distiller (ResNet-50 ImageNet, 2 exits)": "30.77 % MAC savings, 46.44 % exit early",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data" / "cifar10"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--out", default="out/bench_resnet8")
    ap.add_argument("--checkpoint", help="skip training: report on this checkpoint")
    ap.add_argument("--max-accuracy-drop", type=float, default=1.0)
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = Path(args.checkpoint) if args.checkpoint else out / "resnet8.pt"
    t0 = time.time()
    if not args.checkpoint:
        cfg = TrainConfig("resnet8", "cifar10", args.data_dir, epochs=args.epochs, lr=args.lr,
                          batch_size=args.batch_size, threads=args.threads)
        train(cfg, out=ckpt, resume=ckpt if ckpt.exists() else None, progress=True, force=True)
    train_s = time.time() - t0
    cal = calibrate_checkpoint(ckpt, args.max_accuracy_drop, "entropy", args.data_dir,
                               out / "calibration", force=True)
    held = cal["held_out"]
    print(f"\nresnet8 on CIFAR-10, {held['n']} test images; thresholds from the validation split "
          f"(<= {args.max_accuracy_drop} point)\n")
    print(cost_table_markdown(held))
    print("| figure | edge_ee (measured here) | reference |\n|---|---:|---:|")
    print(f"| final-exit float accuracy | {100 * held['final_exit_accuracy']:.2f} % | 87.2 % (MLPerf Tiny, float) |")
    print(f"| early-exit accuracy | {100 * held['accuracy']:.2f} % | — |")
    print(f"| MAC savings at <= {args.max_accuracy_drop} point | {100 * held['mac_savings']:.2f} % | "
          f"31.58 % FLOPs (T-RECX, ~1 point) |")
    for e in held["exits"]:
        acc = "—" if e["accuracy"] is None else f"{100 * e['accuracy']:.2f} %"
        print(f"| exit {e['exit']}: exit % / accuracy / standalone | {100 * e['fraction']:.2f} % / {acc} / "
              f"{100 * e['standalone_accuracy']:.2f} % | — |")
    result = {"training_seconds": round(train_s, 1), "epochs": args.epochs, "validation": {k: v for k, v in cal.items()
              if k not in ("sweep", "held_out")}, "test": held, "references": REFERENCES}
    (out / "result.json").write_text(json.dumps(result, indent=2))
    print(f"\nwrote {out}/result.json (training took {train_s / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
