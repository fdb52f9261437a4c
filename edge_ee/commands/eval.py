"""edge-ee eval: per-exit accuracy and exit fractions at given thresholds, and the MAC cost table."""

from edge_ee.commands._common import add_data_dir, print_json


def register(sub):
    p = sub.add_parser("eval", help="evaluate a checkpoint's exits at given thresholds")
    p.add_argument("checkpoint")
    p.add_argument("--thresholds", type=float, nargs="+", required=True, metavar="T",
                   help="one threshold per early exit; an input leaves at the first exit whose uncertainty < T")
    p.add_argument("--measure", default="entropy", choices=["entropy", "neglogpmax", "margin"],
                   help="label-free uncertainty measure (default entropy)")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    add_data_dir(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args):
    from edge_ee.evaluate import cost_table_markdown, evaluate_checkpoint

    result = evaluate_checkpoint(args.checkpoint, args.thresholds, args.measure, args.split, args.data_dir)
    if args.json:
        print_json(result)
    else:
        print(f"{result['model']} on {result['dataset']} ({result['split']}, {result['n']} inputs), "
              f"measure {result['measure']}\n")
        print(cost_table_markdown(result))
    return 0
