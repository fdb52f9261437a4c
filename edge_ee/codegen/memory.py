"""Memory report of generated code: flash (weights + code, measured from a Cortex-M build), RAM (the planned
arena, other static data, and a static stack estimate), next to the arena TFLite Micro needs for the same
stage files (its RecordingMicroAllocator's numbers)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from edge_ee.codegen.build import cross_compile


def tflm_arena(model_path, arena_size: int = 4 << 20) -> dict:
    """TFLite Micro's arena use for one model: total, head (the planned tensors) and tail (persistent data),
    read from `print_allocations()` (which writes to the C stderr, captured here)."""
    from tflite_micro import runtime

    it = runtime.Interpreter.from_file(str(model_path), arena_size=arena_size)
    with tempfile.TemporaryFile(mode="w+b") as cap:
        saved = os.dup(2)
        try:
            os.dup2(cap.fileno(), 2)
            it.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        cap.seek(0)
        text = cap.read().decode(errors="replace")
    out = {}
    for key in ("total", "head", "tail"):
        m = re.search(rf"Arena allocation {key} (\d+) bytes", text)
        if m:
            out[key] = int(m.group(1))
    if "total" not in out:
        raise RuntimeError(f"TFLite Micro printed no allocation summary:\n{text[:500]}")
    return out


def memory_report(generated, stage_paths: list[Path], targets=("cortex-m4",), tflm: bool = True) -> dict:
    """Byte counts for one generated library. Flash and stack come from arm-none-eabi-gcc builds (skipped,
    with a note, when the toolchain is missing); TFLM's arena from its recording allocator."""
    rep = {"arena_bytes": generated.arena_size, "weights_bytes": generated.weights_bytes, "targets": {}}
    if shutil.which("arm-none-eabi-gcc"):
        for t in targets:
            with tempfile.TemporaryDirectory(prefix="edge_ee_size_") as tmp:
                s = cross_compile(generated.out_dir, t, Path(tmp))
            d = asdict(s)
            d["flash_bytes"] = s.text + s.data
            d["ram_bytes"] = s.bss + s.data + (s.stack_bytes or 0)
            rep["targets"][t] = d
    else:
        rep["note"] = "arm-none-eabi-gcc not installed: flash, stack and RAM totals not measured"
    if tflm:
        stages = [tflm_arena(p) for p in stage_paths]
        rep["tflm"] = {"stages": stages,
                       "max_stage_arena_bytes": max(s["total"] for s in stages),
                       "note": "TFLite Micro arena per stage interpreter (tensors + persistent data), "
                               "from RecordingMicroAllocator; excludes the interpreter's own code and stack"}
    return rep
