"""`edge-ee measure`: early exit vs always-full on a device, over serial telemetry (and a power monitor)."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("measure", help="measure exits, latency and energy on a device: early exit vs always-full",
                       description="Starts the firmware (emulated boards) or attaches to a running device (--port), "
                                   "uploads every input, runs it with early exit and again at forced full depth, and "
                                   "reports per inference the exit, class and per-stage counts, and per run the "
                                   "accuracy, latency, energy and savings. Energy is measured with --power, otherwise "
                                   "modeled from the device's own counts through the board's calibration (labeled).")
    p.add_argument("bundle", type=Path, nargs="?", help="bundle directory (default: the one --build was made from)")
    p.add_argument("--board", required=True, help="board name (see `edge-ee boards`)")
    p.add_argument("--build", type=Path, metavar="DIR", help="firmware build folder from `edge-ee build`")
    p.add_argument("--port", metavar="URL", help="serial link of a running device: /dev/ttyACM0, socket://HOST:PORT, "
                                                 "rfc2217://HOST:PORT (default: start the emulated board)")
    p.add_argument("--flash", action="store_true", help="real boards: flash --build with the board's tool first")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--samples", type=Path, metavar="DIR", help="EnergyRunner folder: .bin inputs and y_labels.csv")
    src.add_argument("--dataset", help="the held-out test split of this dataset (as `edge-ee simulate`)")
    p.add_argument("--data-dir", type=Path, help="dataset files (mnist, cifar10)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N inputs")
    p.add_argument("--power", metavar="MONITOR:URL",
                   help="power monitor: lpm01a:PORT, ppk2:PORT, joulescope:[SERIAL], ina219:BUS@ADDR, "
                        "ina226:BUS@ADDR[,shunt=OHMS], csv:FILE (replay)")
    p.add_argument("--power-voltage", type=float, metavar="V", help="supply voltage the monitor sets (or assumes)")
    p.add_argument("--power-rate", type=float, metavar="HZ", help="sampling rate of the monitor")
    p.add_argument("--retries", type=int, default=2, help="redo a step up to N times after a link fault (default 2)")
    p.add_argument("--max-resets", type=int, default=3, help="stop when the device resets more often (default 3)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds of silence allowed within a reply (default 5)")
    p.add_argument("--out", type=Path, metavar="DIR", help="write measure.json, measure.md and PNG plots here")
    p.add_argument("--force", action="store_true", help="replace an existing --out directory")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.io import check_writable
    from edge_ee.measure import MeasureConfig, format_report, run_measure, write_reports

    if args.out is not None:
        check_writable(args.out, args.force)
    cfg = MeasureConfig(board=args.board, build=args.build, bundle=args.bundle, port=args.port, flash=args.flash,
                        samples=args.samples,
                        dataset=args.dataset, data_dir=args.data_dir, limit=args.limit, power=args.power,
                        power_voltage=args.power_voltage, power_rate=args.power_rate, retries=args.retries,
                        max_resets=args.max_resets, line_timeout=args.timeout,
                        progress=not args.no_progress and sys.stderr.isatty())
    run_ = run_measure(cfg)
    rep = run_.report()
    if args.out:
        write_reports(run_, args.out, args.force)
    if args.json:
        from edge_ee.commands._common import print_json

        print_json(rep)
    else:
        print(format_report(rep))
        if args.out:
            print(f"report: {args.out}")
    return 1 if rep["stopped"] else 0
