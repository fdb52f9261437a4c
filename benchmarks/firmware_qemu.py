"""Firmware on an emulated board: how many inferences per second the device sustains, how long a run over
N samples takes end to end (upload over the serial link + inference + telemetry), the exit distribution and the
per-stage instruction counts, with every device decision checked against the host twin.

    python benchmarks/firmware_qemu.py --bundle out/bundle [--board qemu-mps2-an386] [-n 200] [--json out.json]

Inputs: the CIFAR-10 test split for cifar10 bundles (digits' for digits bundles), as stage 0's int8 tensor.
Reported:
  host seconds per inference     wall time of `infer 1 0` alone (QEMU executing the model), and its inverse
  run seconds                    the whole run: upload of each input (`db` commands) + infer + reply
  instructions per inference     exact (SysTick under -icount shift=0), mean over the run, early exit vs full
  modeled latency                instructions / board clock (one instruction a cycle): a projection, not a
                                 measurement of any real chip"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_ee.boards import load_board  # noqa: E402
from edge_ee.bundle import Bundle  # noqa: E402
from edge_ee.codegen.twin import TwinEngine  # noqa: E402
from edge_ee.device import qemu  # noqa: E402
from edge_ee.device.build import build_firmware  # noqa: E402
from edge_ee.device.protocol import DeviceClient  # noqa: E402
from edge_ee.runtime.inputs import dataset_samples  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True)
    ap.add_argument("--board", default="qemu-mps2-an386")
    ap.add_argument("-n", type=int, default=200, help="number of test inputs")
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data" / "cifar10"))
    ap.add_argument("--full", action="store_true", help="also run every input at forced full depth")
    ap.add_argument("--thresholds", type=float, nargs="+", help="override the manifest's exit thresholds")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()

    bundle = Bundle.load(args.bundle)
    board = load_board(args.board)
    dataset = (bundle.manifest.get("provenance") or {}).get("dataset") or "cifar10"
    samples = dataset_samples(bundle, dataset, args.data_dir if dataset == "cifar10" else None, limit=args.n)
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        fw = build_firmware(bundle, board, Path(work) / "fw", thresholds=args.thresholds)
        build_s = time.perf_counter() - t0
        twin = TwinEngine(bundle, Path(work) / "twin", thresholds=args.thresholds)
        modes = [False, True] if args.full else [False]
        runs = {}
        with qemu.start(board.qemu_machine, fw.elf) as dev, DeviceClient(dev.url, infer_timeout=120) as client:
            for full in modes:
                client.set_mode(full)
                infer_s, records, mismatches = [], [], 0
                start = time.perf_counter()
                for x in samples.x:
                    client.load_input(x.tobytes())
                    t = time.perf_counter()
                    res = client.infer(1, 0, num_stages=bundle.num_stages)
                    infer_s.append(time.perf_counter() - t)
                    rec = res.records[0]
                    records.append(rec)
                    mismatches += (rec.exit, rec.pred) != tuple(twin.infer(x, force_full=full)[:2])
                run_s = time.perf_counter() - start
                insn = np.array([r.total for r in records], dtype=np.float64)
                exits = np.bincount([r.exit for r in records], minlength=bundle.num_stages)
                correct = float(np.mean([r.pred == y for r, y in zip(records, samples.labels)]))
                runs["full" if full else "early"] = {
                    "inputs": len(records), "run_s": run_s, "infer_s_mean": float(np.mean(infer_s)),
                    "inferences_per_s": float(1 / np.mean(infer_s)),
                    "instructions_mean": float(insn.mean()),
                    "modeled_latency_ms_at_board_clock": float(insn.mean() / board.core.clock_hz * 1e3),
                    "exit_counts": exits.tolist(), "accuracy": correct, "mismatches_vs_twin": mismatches,
                    "stage_instructions_mean": [float(np.mean([r.counts[k] for r in records if r.counts[k]]))
                                                if any(r.counts[k] for r in records) else 0.0
                                                for k in range(bundle.num_stages)]}
    out = {"board": board.name, "bundle": bundle.name, "stages": bundle.num_stages, "build_s": build_s,
           "thresholds": args.thresholds or [e.threshold for e in bundle.exits[:-1]],
           "flash_bytes": fw.sizes.flash_bytes, "ram_bytes": fw.sizes.ram_bytes, "runs": runs,
           "note": "instruction counts are exact QEMU counts; latency is modeled at the board clock (1 IPC)"}
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0 if all(r["mismatches_vs_twin"] == 0 for r in runs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
