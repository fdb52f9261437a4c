"""`edge-ee simulate`: a dataset through the staged runner on this host; accuracy, exits, latency, modeled energy."""

from __future__ import annotations


import sys
from pathlib import Path

from edge_ee.commands.run import add_engine_options, add_exit_options, engine_options, parse_thresholds


def register(sub) -> None:
    p = sub.add_parser("simulate", help="predict accuracy, exits, latency and modeled energy over a dataset",
                       description="Runs every input through the staged early-exit runner (later stages are not run "
                                   "once an exit is taken) and through the always-full baseline, on this host. "
                                   "Energy on --board is modeled from MACs through the board's calibration.")
    p.add_argument("bundle", type=Path, help="bundle directory (edge-ee convert / import)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", help="evaluate this dataset's held-out test split (digits, mnist, cifar10)")
    src.add_argument("--samples", type=Path, metavar="DIR",
                     help="EnergyRunner folder: .bin inputs and y_labels.csv (rows name.bin,num_classes,label)")
    p.add_argument("--data-dir", help="dataset files (for mnist, cifar10)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N inputs")
    add_engine_options(p)
    add_exit_options(p)
    p.add_argument("--board", help="model energy on this board (see `edge-ee boards`)")
    p.add_argument("--board-kernels", choices=("reference", "optimized"), default="reference",
                   help="kernels the board's energy model assumes: TFLite Micro reference, or optimized "
                        "(CMSIS-NN class); default reference")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--per-input", action="store_true", help="print every input's exit and prediction")
    p.add_argument("--dump", type=Path, metavar="FILE.npz",
                   help="write every stage's int8 outputs for every input: stage{k}_out0 = logits (N, classes), "
                        "stage{k}_out1 = features fed to stage k+1 (N, H, W, C), plus input, labels, exit")
    p.add_argument("--out", type=Path, metavar="DIR", help="write report.json, report.md and PNG plots here")
    p.add_argument("--force", action="store_true", help="replace an existing --dump file or --out directory")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.io import check_writable
    from edge_ee.reports import per_input_lines, summary_lines, write_simulation_report
    from edge_ee.runtime.simulate import SimConfig, simulate, write_dump

    for path in (args.dump, args.out):
        if path is not None:
            check_writable(path, args.force)  # fail before the run, not after it
    cfg = SimConfig(bundle=args.bundle, dataset=args.dataset, data_dir=args.data_dir, samples=args.samples,
                    limit=args.limit, engine=args.engine, engine_options=engine_options(args), board=args.board,
                    board_kernels=args.board_kernels, thresholds=parse_thresholds(args.thresholds),
                    measure=args.measure, bin_dtype=args.bin_dtype, keep_features=args.dump is not None,
                    progress=not args.no_progress and sys.stderr.isatty())
    sim = simulate(cfg)
    s = sim.summary
    if args.dump:
        write_dump(sim, args.dump, args.force)
    if args.out:
        write_simulation_report(s, args.out, args.force)
    if args.json:
        from edge_ee.io import to_json

        sys.stdout.write(to_json(s))
        return 0
    if args.per_input:
        print("\n".join(per_input_lines(s, sim.bundle.class_names)))
    print("\n".join(summary_lines(s)))
    for what, path in (("dump", args.dump), ("report", args.out)):
        if path:
            print(f"{what}: {path}")
    return 0



