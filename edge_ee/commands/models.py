"""edge-ee models: the model zoo with per-stage MACs and parameter counts."""

from edge_ee.commands._common import print_json


def register(sub):
    p = sub.add_parser("models", help="list the model zoo with per-stage MACs and parameters")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def zoo_table() -> list[dict]:
    from edge_ee.macs import param_count, stage_macs
    from edge_ee.models import ZOO, build_model

    rows = []
    for name, entry in ZOO.items():
        model = build_model(name)
        stages = stage_macs(model)
        rows.append({
            "name": name, "description": entry.description, "dataset": entry.dataset,
            "input_shape": list(entry.input_shape), "num_classes": entry.num_classes,
            "exits": model.exit_names, "params": param_count(model),
            "backbone_params": sum(p.numel() for p in model.backbone_parameters()) + param_count(model.heads[-1]),
            "stages": [{"backbone_macs": s.backbone_macs, "head_macs": s.head_macs} for s in stages],
            "full_macs": sum(s.backbone_macs for s in stages) + stages[-1].head_macs,
        })
    return rows


def run(args):
    rows = zoo_table()
    if args.json:
        print_json(rows)
        return 0
    print(f"{'model':<14} {'input':<11} {'exits':<26} {'MACs (full)':>13} {'params':>10}  per-stage MACs backbone+head")
    for r in rows:
        per = "  ".join(f"{s['backbone_macs']:,}+{s['head_macs']:,}" for s in r["stages"])
        shape = "x".join(str(d) for d in r["input_shape"])
        print(f"{r['name']:<14} {shape:<11} {','.join(r['exits']):<26} {r['full_macs']:>13,} {r['params']:>10,}  {per}")
    return 0
