"""`edge-ee boards`: the boards edge_ee knows (boards/*.toml), with their key facts and power-model sources."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("boards", help="list boards with their key facts",
                       description="Every board of boards/*.toml: core, clock, memory, how it is flashed, and the "
                                   "power model (with its source) that modeled energy uses.")
    p.add_argument("name", nargs="?", help="show one board in full")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.boards import list_boards, load_board
    from edge_ee.energy import describe_model
    from edge_ee.io import to_json

    if args.name:
        b = load_board(args.name)
        if args.json:
            sys.stdout.write(to_json(dict(b.raw, path=str(b.path))))
            return 0
        s = b.summary()
        for key, value in s.items():
            print(f"{key}: {value}")
        print(f"energy model: {describe_model(b)}")
        for label, items in (("derived", b.power.derived), ("estimates", b.power.estimates)):
            for item in items:
                print(f"  {label}: {item}")
        return 0
    boards = list_boards()
    if args.json:
        sys.stdout.write(to_json([b.summary() for b in boards]))
        return 0
    print(f"{'board':18} {'kind':9} {'core':14} {'clock':>9} {'RAM':>10} {'flash':>10}  {'flash tool':10} power model")
    for b in boards:
        s = b.summary()
        ram = f"{s['ram_kib']:,} KiB" if s["ram_kib"] < 1 << 20 else f"{s['ram_kib'] >> 20} GiB"
        flash = f"{s['flash_kib']:,} KiB" if s["flash_kib"] else "-"
        model = f"{s['power_model']}, {s['active_power_mw']:g} mW" + (" (modeling a real part)" if s["represents"] else "")
        print(f"{b.name:18} {b.kind:9} {b.core.arch:14} {s['clock_mhz']:>5g} MHz {ram:>10} {flash:>10}  "
              f"{s['flash_tool'] or '-':10} {model}")
    return 0
