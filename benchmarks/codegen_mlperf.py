"""Generated C on the MLPerf Tiny int8 reference models (IC, KWS, VWW): memory and instructions per MAC.

    python benchmarks/codegen_mlperf.py [--data ../shared/data] [--out out/codegen_mlperf]

For each model: the static arena of the generated code next to TFLite Micro's arena for the same .tflite,
flash (code + weights) for Cortex-M4/M7/M55 from arm-none-eabi-gcc -O2, a static stack estimate, and the
instructions per MAC of ee_infer on one perf sample:
  - reference path, host x86-64 (valgrind --tool=callgrind, gcc -O2),
  - reference path and DSP path, Cortex-M4 under QEMU (mps2-an386, -icount shift=0, SysTick x 40),
  - reference path and MVE (Helium) path, Cortex-M55 under QEMU (mps3-an547).
These are retired instructions, measured; they are not cycles. Writes codegen_mlperf.json and .md."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_ee.codegen import generate_bundle  # noqa: E402
from edge_ee.codegen.bench import callgrind_instructions, qemu_run  # noqa: E402
from edge_ee.codegen.memory import memory_report  # noqa: E402
from edge_ee.convert.importer import import_tflite  # noqa: E402
from edge_ee.io import atomic_write_json, atomic_write_text  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "codegen"))
from codegen_support import MLPERF, load_samples  # noqa: E402


def measure(name: str, data: Path, work: Path) -> dict:
    bundle = import_tflite(data / "mlperf_tiny" / MLPERF[name][0], work / f"{name}_bundle", name=name)
    gen = generate_bundle(bundle, work / f"{name}_c")
    mem = memory_report(gen, [bundle.stage_path(0)], ("cortex-m4", "cortex-m7", "cortex-m55"))
    macs = gen.memory["stages"][0]["macs"]
    x = load_samples(data, name, 1)
    host = callgrind_instructions(gen.out_dir, x, work / f"{name}_host")
    ref = qemu_run(gen.out_dir, x, reference=True).instructions[0]
    dsp_run = qemu_run(gen.out_dir, x)
    dsp = dsp_run.instructions[0]
    m55_ref = qemu_run(gen.out_dir, x, target="cortex-m55", reference=True).instructions[0]
    mve = qemu_run(gen.out_dir, x, target="cortex-m55").instructions[0]
    return {"model": MLPERF[name][0], "macs": macs, "arena_bytes": gen.arena_size,
            "tflm_arena_bytes": mem["tflm"]["stages"][0]["total"], "tflm_arena_head_bytes": mem["tflm"]["stages"][0]["head"],
            "weights_bytes": gen.weights_bytes, "targets": mem["targets"],
            "stack_bytes_measured_m4": dsp_run.stack_bytes[0],
            "instructions": {"host_reference_callgrind": host, "m4_reference_qemu": ref, "m4_dsp_qemu": dsp,
                             "m55_reference_qemu": m55_ref, "m55_mve_qemu": mve},
            "instructions_per_mac": {"host_reference_callgrind": host / macs, "m4_reference_qemu": ref / macs,
                                     "m4_dsp_qemu": dsp / macs, "m55_reference_qemu": m55_ref / macs,
                                     "m55_mve_qemu": mve / macs}}


def markdown(results: dict) -> str:
    rows = ["| model | MACs | arena (B) | TFLM arena (B) | flash M4 (B) | stack M4 (B, measured) | instr/MAC host ref | "
            "instr/MAC M4 ref | instr/MAC M4 DSP | instr/MAC M55 ref | instr/MAC M55 MVE |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        m4 = r["targets"]["cortex-m4"]
        ipm = r["instructions_per_mac"]
        rows.append(f"| {name} | {r['macs']:,} | {r['arena_bytes']:,} | {r['tflm_arena_bytes']:,} "
                    f"| {m4['flash_bytes']:,} | {r['stack_bytes_measured_m4']} | {ipm['host_reference_callgrind']:.2f} "
                    f"| {ipm['m4_reference_qemu']:.2f} | {ipm['m4_dsp_qemu']:.2f} | {ipm['m55_reference_qemu']:.2f} "
                    f"| {ipm['m55_mve_qemu']:.2f} |")
    return ("# Generated C on MLPerf Tiny int8 models\n\nMeasured, not modeled: arena from the static plan, TFLM arena "
            "from its RecordingMicroAllocator (tensors + persistent data), flash from arm-none-eabi-gcc 12 -O2, stack "
            "as the painted high-water mark under QEMU (includes the harness's own frames, ~100 B), "
            "instructions retired by ee_infer on one perf sample (host: callgrind; Cortex-M4/M55: QEMU -icount, "
            "resolution 40/31 instructions). Instructions are not cycles (an MVE instruction takes several beats).\n\n" + "\n".join(rows) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "out" / "codegen_mlperf")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="edge_ee_bench_") as tmp:
        results = {name: measure(name, args.data, Path(tmp)) for name in MLPERF}
    atomic_write_json(args.out / "codegen_mlperf.json", results)
    atomic_write_text(args.out / "codegen_mlperf.md", markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
