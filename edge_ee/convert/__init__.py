"""Staged int8 TFLite conversion and bundles: `convert_checkpoint` (a trained multi-exit model -> one int8 TFLite
file per stage with bit-equal boundaries, the always-full baseline and the manifest), `import_tflite` (a
third-party fully-int8 model -> a one-stage bundle), `inspect_bundle`, and `check_full_int8`.

Names are loaded on first use, so `import` and `inspect` never pay for PyTorch; TensorFlow and onnx2tf are only
imported by the conversion worker process (edge_ee.convert.worker)."""

from __future__ import annotations

import importlib

_EXPORTS = {
    "convert_checkpoint": "staged", "convert_model": "staged", "resolve_exits": "staged", "bind_boundary": "staged",
    "import_tflite": "importer", "inspect_bundle": "inspection", "format_inspection": "inspection",
    "check_full_int8": "tflite",
    "Recipe": "recipe", "load_recipe": "recipe", "recipe_for": "recipe",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'edge_ee.convert' has no attribute {name!r}")
    return getattr(importlib.import_module(f"edge_ee.convert.{_EXPORTS[name]}"), name)
