"""edge-ee calibrate: thresholds that save the most MACs within an accuracy budget."""

from edge_ee.commands._common import add_data_dir, print_json


def register(sub):
    p = sub.add_parser("calibrate", help="choose exit thresholds within an accuracy budget",
                       description="Chooses thresholds on the validation split that maximize MAC savings while "
                                   "overall accuracy stays within the budget of the final exit's accuracy.")
    p.add_argument("checkpoint")
    p.add_argument("--max-accuracy-drop", type=float, default=1.0, metavar="POINTS",
                   help="accuracy budget in percentage points (default 1.0)")
    p.add_argument("--measure", default="entropy", choices=["entropy", "neglogpmax", "margin"])
    add_data_dir(p)
    p.add_argument("--out", metavar="DIR", help="write calibration.json, the sweep table and plots here")
    p.add_argument("--force", action="store_true", help="replace an existing --out")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args):
    from edge_ee.calibrate import calibrate_checkpoint
    from edge_ee.evaluate import cost_table_markdown

    result = calibrate_checkpoint(args.checkpoint, args.max_accuracy_drop, args.measure, args.data_dir,
                                  args.out, args.force)
    if args.json:
        print_json({k: v for k, v in result.items() if k != "sweep"})
        return 0
    thr = ", ".join(f"{e['threshold']:.4f}" for e in result["exits"][:-1])
    print(f"thresholds ({args.measure}): {thr}   budget {args.max_accuracy_drop} points\n")
    print("validation split (used to choose):")
    print(cost_table_markdown(result))
    print("held-out test split:")
    print(cost_table_markdown(result["held_out"]))
    if args.out:
        print(f"wrote {args.out}/calibration.json, sweep.md and sweep plots")
    return 0
