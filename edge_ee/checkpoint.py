"""Checkpoints carry their own config: the model's zoo name and shape, the dataset and its preprocessing, the
training options, and (for resuming) optimizer and schedule state. Everything downstream rebuilds the model
from the checkpoint alone."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from edge_ee.errors import CheckpointError, EdgeEEError
from edge_ee.io import atomic_write_bytes
from edge_ee.models import MultiExitModel, build_model

FORMAT = "edge_ee.checkpoint/1"


@dataclass
class Checkpoint:
    model: MultiExitModel
    model_name: str
    class_names: list[str]
    dataset: dict  # {"name", "data_dir", "preprocess"}
    train_config: dict = field(default_factory=dict)
    epoch: int = 0
    history: list = field(default_factory=list)
    optimizer_state: dict | None = None
    scheduler_state: dict | None = None
    path: Path | None = None

    def meta(self) -> dict:
        return {"format": FORMAT, "model": {"name": self.model_name, "input_shape": list(self.model.input_shape),
                                            "num_classes": self.model.num_classes, "class_names": self.class_names,
                                            "exit_names": self.model.exit_names},
                "dataset": self.dataset, "train_config": self.train_config, "epoch": self.epoch,
                "history": self.history}


def save_checkpoint(ckpt: Checkpoint, path, force: bool = True) -> Path:
    payload = ckpt.meta()
    payload["state_dict"] = ckpt.model.state_dict()
    payload["optimizer"] = ckpt.optimizer_state
    payload["scheduler"] = ckpt.scheduler_state
    buf = io.BytesIO()
    torch.save(payload, buf)
    return atomic_write_bytes(path, buf.getvalue(), force=force)


def load_checkpoint(path) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist", "pass the file written by `edge-ee train --out`")
    try:
        payload: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # torch raises many types for a file that is not a checkpoint
        raise CheckpointError(f"{path} is not a readable checkpoint ({type(e).__name__}: {e})",
                              "pass a file written by `edge-ee train`") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an edge_ee checkpoint (format {payload.get('format') if isinstance(payload, dict) else '?'})",
                              "pass a file written by `edge-ee train`")
    m = payload["model"]
    try:
        model = build_model(m["name"], m["input_shape"], m["num_classes"])
    except EdgeEEError as e:
        raise CheckpointError(f"checkpoint {path} names a model this version does not know: {e.problem}",
                              e.fix) from None
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as e:
        raise CheckpointError(f"the weights in {path} do not fit model {m['name']}: {str(e).splitlines()[0]}",
                              "the checkpoint was made by another version of the model; retrain it") from None
    model.eval()
    return Checkpoint(model, m["name"], list(m["class_names"]), payload["dataset"], payload.get("train_config", {}),
                      payload.get("epoch", 0), payload.get("history", []), payload.get("optimizer"),
                      payload.get("scheduler"), path)
