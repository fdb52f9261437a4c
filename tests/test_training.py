"""Multi-exit training: exits learn, Distiller's loss-weight semantics, frozen-backbone fine-tuning, resume."""

import numpy as np
import pytest
import torch

from edge_ee.checkpoint import load_checkpoint
from edge_ee.data import load_digits
from edge_ee.errors import CheckpointError, ConfigError
from edge_ee.train import TrainConfig, exit_logits, loss_weights, multi_exit_loss, train


def test_every_exit_of_the_digits_cnn_learns_well_above_chance(digits_checkpoint):
    ck = load_checkpoint(digits_checkpoint)
    x, y = load_digits().float("test")
    accs = [float((l.argmax(1) == y).mean()) for l in exit_logits(ck.model, x)]
    assert len(accs) == 2 and min(accs) > 0.85  # chance is 0.10


def test_loss_weights_follow_distiller():
    assert loss_weights(3, [0.3, 0.3]) == pytest.approx([0.3, 0.3, 0.4])
    assert loss_weights(2, None) == [0.5, 0.5]
    with pytest.raises(ConfigError, match="sum to 1 >= 1"):
        loss_weights(3, [0.5, 0.5])
    with pytest.raises(ConfigError, match="give 2 weight"):
        loss_weights(3, [0.5])


def test_the_loss_is_the_weighted_sum_of_exit_cross_entropies():
    torch.manual_seed(0)
    outs = [torch.randn(8, 10) for _ in range(3)]
    y = torch.randint(0, 10, (8,))
    ce = [torch.nn.functional.cross_entropy(o, y) for o in outs]
    got = multi_exit_loss(outs, y, [0.2, 0.3, 0.5])
    assert float(got) == pytest.approx(float(0.2 * ce[0] + 0.3 * ce[1] + 0.5 * ce[2]))


def test_exits_only_training_leaves_the_backbone_bit_identical(digits_checkpoint, tmp_path):
    base = load_checkpoint(digits_checkpoint).model.state_dict()
    ck = train(TrainConfig("digits-cnn", "digits", epochs=1, exits_only=True, init_from=str(digits_checkpoint),
                           seed=1), out=tmp_path / "ft.pt", progress=False)
    after = ck.model.state_dict()
    head0 = [k for k in after if k.startswith("heads.0.")]
    frozen = [k for k in after if not k.startswith("heads.0.")]
    assert frozen and all(torch.equal(base[k], after[k]) for k in frozen)  # incl. BN running statistics
    assert any(not torch.equal(base[k], after[k]) for k in head0)


def test_exits_only_needs_a_pretrained_backbone():
    with pytest.raises(ConfigError, match="--init-from"):
        train(TrainConfig("digits-cnn", "digits", epochs=1, exits_only=True), progress=False)


def test_resume_continues_from_the_saved_epoch(tmp_path):
    out = tmp_path / "r.pt"
    train(TrainConfig("digits-cnn", "digits", epochs=1, seed=3), out=out, progress=False)
    ck = train(TrainConfig("digits-cnn", "digits", epochs=2, seed=3), out=out, resume=out, progress=False)
    assert ck.epoch == 2 and [h["epoch"] for h in ck.history] == [1, 2]
    assert load_checkpoint(out).epoch == 2


def test_training_is_reproducible_for_a_seed(tmp_path):
    a = train(TrainConfig("digits-cnn", "digits", epochs=1, seed=7), progress=False).model.state_dict()
    b = train(TrainConfig("digits-cnn", "digits", epochs=1, seed=7), progress=False).model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_corrupt_and_foreign_checkpoints_are_refused(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not an edge_ee checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_checkpoint_with_wrong_weights_is_refused(digits_checkpoint, tmp_path):
    payload = torch.load(digits_checkpoint, weights_only=False)
    payload["model"]["name"] = "resnet8"
    payload["model"]["input_shape"] = [3, 32, 32]
    p = tmp_path / "mismatch.pt"
    torch.save(payload, p)
    with pytest.raises(CheckpointError, match="do not fit model resnet8"):
        load_checkpoint(p)


def test_a_checkpoint_rebuilds_the_heads_it_was_trained_with(tmp_path):
    from edge_ee.checkpoint import Checkpoint, save_checkpoint
    from edge_ee.models import build_model

    model = build_model("resnet8").eval()
    path = save_checkpoint(Checkpoint(model, "resnet8", [str(i) for i in range(10)], {"name": "cifar10"}),
                           tmp_path / "r8.pt")
    loaded = load_checkpoint(path).model
    assert loaded.head_specs == model.head_specs and isinstance(loaded.heads[0][0], torch.nn.MaxPool2d)
    x = torch.randn(2, 3, 32, 32)
    assert all(torch.equal(a, b) for a, b in zip(model(x), loaded(x)))
    # Checkpoints from before head specs were recorded (format 1) pooled by averaging: they load that way.
    payload = torch.load(path, weights_only=False)
    payload["format"] = "edge_ee.checkpoint/1"
    del payload["model"]["head_specs"]
    torch.save(payload, tmp_path / "legacy.pt")
    legacy = load_checkpoint(tmp_path / "legacy.pt").model
    assert isinstance(legacy.heads[0][0], torch.nn.AvgPool2d) and legacy.head_specs[0].pool_type == "avg"
