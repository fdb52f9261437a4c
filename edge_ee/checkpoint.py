"""Checkpoints carry their own config: the model's zoo name and shape, the dataset and its preprocessing, the
training options, its exit heads' specs, and (for resuming) optimizer and schedule state. Everything downstream
rebuilds the model from the checkpoint alone, with the heads it was trained with even when the zoo's differ."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from edge_ee.errors import CheckpointError, EdgeEEError
from edge_ee.io import atomic_write_bytes
from edge_ee.models import HeadSpec, MultiExitModel, build_model

FORMAT = "edge_ee.checkpoint/2"
LEGACY = "edge_ee.checkpoint/1"  # no head specs recorded; every pooled head then average-pooled


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
                                            "exit_names": self.model.exit_names,
                                            "head_specs": [h.to_dict() for h in self.model.head_specs]},
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
    if not isinstance(payload, dict) or payload.get("format") not in (FORMAT, LEGACY):
        raise CheckpointError(f"{path} is not an edge_ee checkpoint (format {payload.get('format') if isinstance(payload, dict) else '?'})",
                              "pass a file written by `edge-ee train`")
    m = payload["model"]
    try:
        model = build_model(m["name"], m["input_shape"], m["num_classes"])
    except EdgeEEError as e:
        raise CheckpointError(f"checkpoint {path} names a model this version does not know: {e.problem}",
                              e.fix) from None
    try:
        model.set_head_specs(_head_specs(payload, model))
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, EdgeEEError) as e:
        msg = e.problem if isinstance(e, EdgeEEError) else str(e).splitlines()[0]
        raise CheckpointError(f"the weights in {path} do not fit model {m['name']}: {msg}",
                              "the checkpoint was made by another version of the model; retrain it") from None
    model.eval()
    return Checkpoint(model, m["name"], list(m["class_names"]), payload["dataset"], payload.get("train_config", {}),
                      payload.get("epoch", 0), payload.get("history", []), payload.get("optimizer"),
                      payload.get("scheduler"), path)


def _head_specs(payload: dict, zoo_model: MultiExitModel) -> list[HeadSpec]:
    if payload["format"] == LEGACY:  # the zoo's heads of that time: the same but for pools, all averages then
        return [dataclasses.replace(h, pool_type="avg") for h in zoo_model.head_specs]
    return [HeadSpec.from_dict(h) for h in payload["model"]["head_specs"]]
