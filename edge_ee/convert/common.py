"""Helpers shared by convert, import and inspect that need neither PyTorch nor TensorFlow."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from edge_ee.bundle import Tensor

# The confidence measure an exit uses when neither thresholds nor a calibration say otherwise.
DEFAULT_MEASURE = "neglogpmax"


def toolchain_versions() -> dict:
    """Versions of what produced a bundle, for its provenance."""
    from importlib.metadata import PackageNotFoundError, version

    from edge_ee import __version__

    out = {"edge_ee": __version__, "python": sys.version.split()[0]}
    for pkg in ("torch", "onnx", "onnx2tf", "tensorflow", "ai-edge-litert", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def tensor_from_detail(detail: dict) -> Tensor:
    scale, zp = detail["quantization"]
    return Tensor(detail["name"], int(detail["index"]), tuple(int(d) for d in detail["shape"]),
                  np.dtype(detail["dtype"]).name, float(scale), int(zp))


def read_io(path: Path) -> tuple[list[Tensor], list[Tensor]]:
    """Input and output tensors as the LiteRT interpreter reports them (index, name, shape, quantization)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    return ([tensor_from_detail(d) for d in it.get_input_details()],
            [tensor_from_detail(d) for d in it.get_output_details()])
