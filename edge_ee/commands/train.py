"""edge-ee train: multi-exit training (joint, or exit heads only on a frozen backbone)."""

from edge_ee.commands._common import add_data_dir


def register(sub):
    p = sub.add_parser("train", help="train a multi-exit model",
                       description="Weighted sum of per-exit cross-entropy losses (Distiller's semantics).")
    p.add_argument("--model", required=True, help="zoo name (see `edge-ee models`)")
    p.add_argument("--dataset", required=True, help="digits | mnist | cifar10")
    add_data_dir(p)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default 0.05 for sgd, 0.001 for adam)")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--schedule", choices=["cosine", "step", "none"], default="cosine")
    p.add_argument("--exit-loss-weights", type=float, nargs="+", metavar="W",
                   help="weights of the early exits' losses; the final exit gets 1 - sum (default: equal weights)")
    p.add_argument("--exits-only", action="store_true",
                   help="freeze the backbone (from --init-from) and train only the early-exit heads")
    p.add_argument("--init-from", metavar="CHECKPOINT", help="start from this checkpoint's weights")
    p.add_argument("--no-augment", action="store_true", help="disable crop/flip augmentation on 32x32 RGB data")
    p.add_argument("--max-train-samples", type=int, help="train on this many samples only (quick runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--out", required=True, metavar="CHECKPOINT", help="checkpoint file to write (after each epoch)")
    p.add_argument("--resume", action="store_true", help="continue training the checkpoint at --out")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def run(args):
    from edge_ee.train import TrainConfig, train

    lr = args.lr if args.lr is not None else (0.05 if args.optimizer == "sgd" else 1e-3)
    cfg = TrainConfig(model=args.model, dataset=args.dataset, data_dir=args.data_dir, epochs=args.epochs,
                      batch_size=args.batch_size, optimizer=args.optimizer, lr=lr, weight_decay=args.weight_decay,
                      schedule=args.schedule, exit_loss_weights=args.exit_loss_weights, exits_only=args.exits_only,
                      init_from=args.init_from, augment=False if args.no_augment else None, seed=args.seed,
                      max_train_samples=args.max_train_samples, threads=args.threads)
    ckpt = train(cfg, out=args.out, resume=args.out if args.resume else None, progress=not args.quiet,
                 force=args.force)
    last = ckpt.history[-1] if ckpt.history else {}
    accs = ", ".join(f"{a:.4f}" for a in last.get("val_accuracy", []))
    print(f"wrote {args.out} (epoch {ckpt.epoch}; validation accuracy per exit: {accs})")
    return 0
