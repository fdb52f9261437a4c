"""Staged int8 TFLite conversion and bundles: `convert_checkpoint` (a trained multi-exit model -> one int8 TFLite
file per stage with bit-equal boundaries, the always-full baseline and the manifest), `import_tflite` (a
third-party fully-int8 model -> a one-stage bundle), `inspect_bundle`, and `check_full_int8`.

TensorFlow and onnx2tf are only imported by the conversion worker process (edge_ee.convert.worker)."""

from edge_ee.convert.importer import import_tflite
from edge_ee.convert.inspection import format_inspection, inspect_bundle
from edge_ee.convert.recipe import Recipe, load_recipe, recipe_for
from edge_ee.convert.staged import convert_checkpoint, convert_model, resolve_exits
from edge_ee.convert.tflite import check_full_int8, read_graph

__all__ = ["convert_checkpoint", "convert_model", "import_tflite", "inspect_bundle", "format_inspection",
           "check_full_int8", "read_graph", "Recipe", "load_recipe", "recipe_for", "resolve_exits"]
