"""Training multi-exit networks.

Loss: a weighted sum of the exits' cross-entropy losses with Distiller's semantics: `exit_loss_weights` gives
w_1 .. w_{K-1} for the early exits and the final exit gets 1 - sum(w); a sum >= 1 is an error.
`exits_only` freezes a pretrained backbone (and its own classifier) and trains only the early-exit heads."""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from edge_ee.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from edge_ee.data import Dataset, load_dataset
from edge_ee.errors import ConfigError
from edge_ee.models import MultiExitModel, build_model, zoo_entry


@dataclass
class TrainConfig:
    model: str
    dataset: str
    data_dir: str | None = None
    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "sgd"  # sgd | adam
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"  # cosine | step | none
    exit_loss_weights: Sequence[float] | None = None  # None: equal weights 1/K for every exit
    exits_only: bool = False
    init_from: str | None = None  # checkpoint whose backbone to start from (required with exits_only)
    augment: bool | None = None  # None: CIFAR-style crop+flip for 32x32 RGB data
    seed: int = 0
    max_train_samples: int | None = None  # a prefix of the train split (quick runs, tests)
    threads: int | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["exit_loss_weights"] = list(self.exit_loss_weights) if self.exit_loss_weights is not None else None
        return d


def loss_weights(num_exits: int, early: Sequence[float] | None) -> list[float]:
    """Per-exit weights, Distiller's way: the early exits' weights as given, the final exit gets the rest."""
    if early is None:
        return [1.0 / num_exits] * num_exits
    early = [float(w) for w in early]
    if len(early) != num_exits - 1:
        raise ConfigError(f"{len(early)} exit loss weights given; the model has {num_exits - 1} early exits",
                          f"give {num_exits - 1} weight(s) with --exit-loss-weights, one per early exit")
    if any(w < 0 for w in early):
        raise ConfigError("exit loss weights must be non-negative", "use weights in [0, 1)")
    if sum(early) >= 1.0:
        raise ConfigError(f"exit loss weights sum to {sum(early):g} >= 1, leaving nothing for the final exit",
                          "the final exit gets 1 - sum(weights); make the early weights sum to less than 1")
    return early + [1.0 - sum(early)]


def multi_exit_loss(outputs: list[torch.Tensor], target: torch.Tensor, weights: Sequence[float]) -> torch.Tensor:
    ce = nn.functional.cross_entropy
    return sum(w * ce(o, target) for w, o in zip(weights, outputs) if w > 0)


def augment_batch(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random 4-pixel-padded crop and horizontal flip (the standard CIFAR augmentation)."""
    n, _, h, w = x.shape
    padded = nn.functional.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=gen)
    dx = torch.randint(0, 9, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None, :])  # (n, h)
    cols = (dx[:, None] + torch.arange(w)[None, :])  # (n, w)
    idx = torch.arange(n)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(3)
    return out.contiguous()


def seed_everything(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@torch.no_grad()
def exit_logits(model: MultiExitModel, x: np.ndarray, batch_size: int = 512) -> list[np.ndarray]:
    """All exits' float logits for a float NCHW array."""
    model.eval()
    outs: list[list[np.ndarray]] = [[] for _ in range(model.num_exits)]
    for i in range(0, len(x), batch_size):
        for k, o in enumerate(model(torch.from_numpy(x[i:i + batch_size]))):
            outs[k].append(o.numpy())
    return [np.concatenate(o) for o in outs]


def _make_optimizer(cfg: TrainConfig, params, steps: int):
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=True)
    elif cfg.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        raise ConfigError(f"unknown optimizer {cfg.optimizer!r}", "use sgd or adam")
    if cfg.schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    elif cfg.schedule == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(steps // 3, 1), gamma=0.1)
    elif cfg.schedule == "none":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    else:
        raise ConfigError(f"unknown schedule {cfg.schedule!r}", "use cosine, step or none")
    return opt, sched


ProgressFn = Callable[[dict], None]


def train(cfg: TrainConfig, out: str | Path | None = None, resume: str | Path | None = None,
          progress: bool = True, force: bool = False, on_epoch: ProgressFn | None = None) -> Checkpoint:
    """Trains (or resumes) a multi-exit model; writes a checkpoint after every epoch when `out` is given."""
    if cfg.epochs < 1:
        raise ConfigError(f"--epochs must be at least 1 (got {cfg.epochs})")
    if out is not None and resume is None:
        from edge_ee.io import check_writable
        check_writable(out, force)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    gen = seed_everything(cfg.seed)
    entry = zoo_entry(cfg.model)
    ds: Dataset = load_dataset(cfg.dataset, cfg.data_dir)
    start_epoch, history = 0, []
    if resume is not None:
        ck = load_checkpoint(resume)
        if ck.model_name != cfg.model:
            raise ConfigError(f"cannot resume: {resume} holds {ck.model_name}, not {cfg.model}")
        model, start_epoch, history = ck.model, ck.epoch, list(ck.history)
    else:
        model = build_model(entry.name, ds.input_shape, ds.num_classes)
        if cfg.init_from:
            src = load_checkpoint(cfg.init_from)
            if src.model_name != cfg.model:
                raise ConfigError(f"--init-from holds {src.model_name}, not {cfg.model}")
            model.load_state_dict(src.model.state_dict())
    if cfg.exits_only and not (cfg.init_from or resume):
        raise ConfigError("--exits-only trains the exit heads on a frozen, pretrained backbone",
                          "pass --init-from CHECKPOINT with the trained backbone")
    weights = loss_weights(model.num_exits, cfg.exit_loss_weights)
    if cfg.exits_only:
        for p in model.parameters():
            p.requires_grad_(False)
        for p in model.head_parameters():
            p.requires_grad_(True)
        weights = weights[:-1] + [0.0]  # the frozen final classifier contributes nothing to learn
    params = [p for p in model.parameters() if p.requires_grad]

    xtr, ytr = ds.float("train")
    if cfg.max_train_samples:
        xtr, ytr = xtr[: cfg.max_train_samples], ytr[: cfg.max_train_samples]
    xval, yval = ds.float("val")
    steps_per_epoch = math.ceil(len(ytr) / cfg.batch_size)
    opt, sched = _make_optimizer(cfg, params, steps_per_epoch * cfg.epochs)
    if resume is not None and ck.optimizer_state:
        opt.load_state_dict(ck.optimizer_state)
        sched.load_state_dict(ck.scheduler_state)
    augment = cfg.augment if cfg.augment is not None else ds.input_shape == (3, 32, 32)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)

    from tqdm import tqdm

    ckpt = Checkpoint(model, cfg.model, ds.class_names,
                      {"name": ds.name, "data_dir": cfg.data_dir, "preprocess": ds.preprocess.to_dict()},
                      cfg.to_dict(), start_epoch, history)
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        if cfg.exits_only:  # frozen BN statistics too: the backbone must stay exactly as trained
            for s in model.segments:
                s.eval()
            model.heads[-1].eval()
        perm = torch.randperm(len(yt), generator=gen)
        t0, total, n_seen = time.time(), 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                   leave=False, unit="batch")
        for i in bar:
            idx = perm[i * cfg.batch_size:(i + 1) * cfg.batch_size]
            xb, yb = xt[idx], yt[idx]
            if augment:
                xb = augment_batch(xb, gen)
            loss = multi_exit_loss(model(xb), yb, weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(yb)
            n_seen += len(yb)
            bar.set_postfix(loss=f"{total / n_seen:.3f}")
        logits = exit_logits(model, xval)
        val_acc = [float((l.argmax(1) == yval).mean()) for l in logits]
        record = {"epoch": epoch + 1, "loss": total / max(n_seen, 1), "val_accuracy": val_acc,
                  "seconds": round(time.time() - t0, 2), "lr": opt.param_groups[0]["lr"]}
        history.append(record)
        if progress:
            accs = " ".join(f"{a:.3f}" for a in val_acc)
            print(f"epoch {epoch + 1}/{cfg.epochs}: loss {record['loss']:.4f}, val accuracy per exit {accs} "
                  f"({record['seconds']} s)", flush=True)
        if on_epoch:
            on_epoch(record)
        ckpt.epoch, ckpt.history = epoch + 1, history
        ckpt.optimizer_state, ckpt.scheduler_state = opt.state_dict(), sched.state_dict()
        if out is not None:
            save_checkpoint(ckpt, out, force=True)
    model.eval()
    if out is not None:
        ckpt.path = Path(out)
    return ckpt
