"""edge-ee demo: the whole pipeline on the embedded default (scikit-learn digits, emulated Cortex-M4)."""

from pathlib import Path

from edge_ee.commands._common import add_data_dir


def register(sub):
    p = sub.add_parser("demo", help="run the whole pipeline on the embedded default and report")
    p.add_argument("--out", default="out/demo", metavar="DIR", help="output directory (default out/demo)")
    p.add_argument("--model", default="digits-cnn")
    p.add_argument("--dataset", default="digits")
    add_data_dir(p)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--max-train-samples", type=int)
    p.add_argument("--max-accuracy-drop", type=float, default=1.0, metavar="POINTS")
    p.add_argument("--measure", default="entropy", choices=["entropy", "neglogpmax", "margin"])
    p.add_argument("--board", default="qemu-mps2-an386", help="an emulated board (see `edge-ee boards`)")
    p.add_argument("--limit", type=int, help="simulate and measure only the first N test inputs")
    p.add_argument("--checkpoint", type=Path, help="use this trained checkpoint instead of training")
    p.add_argument("--force", action="store_true", help="replace an existing output directory")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args):
    from edge_ee.demo import DemoConfig, run_demo

    run_demo(DemoConfig(Path(args.out), args.model, args.dataset, args.data_dir, args.epochs, args.max_train_samples,
                        args.max_accuracy_drop, args.measure, args.board, args.limit, args.checkpoint,
                        args.force), quiet=args.quiet)
    return 0
