"""Small helpers shared by subcommand modules (not a subcommand: modules starting with '_' are skipped)."""

from __future__ import annotations

import sys

from edge_ee.io import to_json


def print_json(obj) -> None:
    sys.stdout.write(to_json(obj))


def add_data_dir(p) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="dataset folder (MNIST: torchvision IDX layout; CIFAR-10: cifar-10-batches-py or npz files)")
