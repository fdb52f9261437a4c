"""`edge-ee inspect`: what a bundle holds, per stage: ops, tensor quantization, MACs, file sizes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from edge_ee.bundle import Bundle
from edge_ee.convert.tflite import count_macs
from edge_ee.tflite_model import read_tflite


def inspect_bundle(path) -> dict:
    b = Bundle.load(path)
    stages = []
    for s in b.stages:
        g = read_tflite(b.stage_path(s.index))
        stages.append({
            "index": s.index, "file": s.file, "bytes": b.stage_path(s.index).stat().st_size,
            "exit": b.manifest["model"].get("exit_names", [None] * b.num_stages)[s.index],
            "input": s.input.to_dict(), "logits": s.logits.to_dict(),
            "features": s.features.to_dict() if s.features else None,
            "backbone_macs": s.backbone_macs, "head_macs": s.head_macs, "tflite_macs": count_macs(g),
            "ops": dict(Counter(g.op_names)), "num_ops": len(g.operators),
        })
    base = None
    if b.baseline:
        p = b.baseline_path()
        base = {"file": b.baseline["file"], "bytes": p.stat().st_size, "macs": b.baseline.get("macs"),
                "ops": dict(Counter(read_tflite(p).op_names))}
    stage_files = {s.file for s in b.stages} | ({b.baseline["file"]} if b.baseline else set())
    return {
        "bundle": str(Path(path)), "model": b.manifest["model"], "preprocess": b.preprocess,
        "stages": stages,
        "exits": [{"stage": e.stage, "measure": e.measure, "threshold": e.threshold, "threshold_q": e.threshold_q}
                  for e in b.exits],
        "thresholds": b.manifest.get("thresholds"),
        "baseline": base,
        "bytes": {"stages": sum(st["bytes"] for st in stages),
                  "total": sum((b.path / f).stat().st_size for f in b.manifest["files"]),
                  "files": {f: (b.path / f).stat().st_size for f in sorted(stage_files)}},
        "verification": b.manifest.get("verification"),
        "toolchain": b.manifest.get("provenance", {}).get("toolchain"),
    }


def _q(t: dict | None) -> str:
    if not t:
        return "-"
    return f"{t['dtype']}{list(t['shape'])} s={t['scale']:.6g} zp={t['zero_point']} (#{t['index']})"


def format_inspection(d: dict) -> str:
    m = d["model"]
    lines = [f"bundle {d['bundle']}: {m['name']} ({m.get('source')}), {m['num_classes']} classes, "
             f"{len(d['stages'])} stage(s)"]
    pp = d["preprocess"]
    lines.append("input: " + (f"x = (raw - {pp['mean']}) / {pp['std']}, raw {pp['raw_dtype']} {pp['layout']}"
                              if pp else "preprocessing unknown (imported without --preprocess)"))
    for s, e in zip(d["stages"], d["exits"]):
        thr = ("always exits" if e["threshold"] is None
               else f"exit if {e['measure']} < {e['threshold']:.4g} (q16 {e['threshold_q']})")
        lines.append(f"stage {s['index']}  {s['file']}  {s['bytes']:,} B  exit {s['exit']}: {thr}")
        lines.append(f"  MACs      backbone {s['backbone_macs']:,} + head {s['head_macs']:,}")
        lines.append(f"  input     {_q(s['input'])}")
        lines.append(f"  logits    {_q(s['logits'])}")
        if s["features"]:
            lines.append(f"  features  {_q(s['features'])}")
        lines.append("  ops       " + ", ".join(f"{k} x{v}" if v > 1 else k for k, v in s["ops"].items()))
    if d["baseline"]:
        b = d["baseline"]
        lines.append(f"baseline {b['file']}  {d['bytes']['files'][b['file']]:,} B  MACs {b['macs'] or 0:,}")
    lines.append(f"size: stages {d['bytes']['stages']:,} B, bundle {d['bytes']['total']:,} B (without manifest)")
    v = d.get("verification")
    if v:
        lines.append(f"verification on {v['samples']} {v['split']} samples ({v['runtime']}):")
        for e in v["exits"]:
            lines.append(f"  exit {e['index']} {e['exit']}: agreement {100 * e['agreement']:.1f} %, accuracy int8 "
                         f"{100 * e['int8_accuracy']:.1f} % / float {100 * e['float_accuracy']:.1f} %")
        bl = v.get("baseline")
        if bl:
            lines.append(f"  baseline: agreement {100 * bl['agreement']:.1f} %, with last stage "
                         f"{100 * bl['agreement_with_last_stage']:.1f} %, "
                         f"accuracy int8 {100 * bl['int8_accuracy']:.1f} %")
        for w in v.get("warnings", []):
            lines.append(f"  WARNING: {w}")
    return "\n".join(lines)

