"""Which TFLite interpreter this host has: `ai_edge_litert` (LiteRT, the current package), else
`tflite_runtime` (what Raspberry Pi and Coral users install), else TensorFlow's `tf.lite`. All three expose
the same `Interpreter` / `load_delegate` API."""

from __future__ import annotations

import importlib
import os
import platform
from dataclasses import dataclass
from types import ModuleType

from edge_ee.errors import ToolMissing

CANDIDATES = (("ai_edge_litert", "ai_edge_litert.interpreter"),
              ("tflite_runtime", "tflite_runtime.interpreter"),
              ("tensorflow", "tensorflow.lite.python.interpreter"))  # what tf.lite.Interpreter is

# libedgetpu's shared library name per OS (Coral's documentation).
EDGETPU_LIBRARY = {"Linux": "libedgetpu.so.1", "Darwin": "libedgetpu.1.dylib", "Windows": "edgetpu.dll"}


@dataclass(frozen=True)
class InterpreterModule:
    name: str  # "ai_edge_litert" | "tflite_runtime" | "tensorflow"
    module: ModuleType

    @property
    def Interpreter(self):  # noqa: N802 - the class, named as in the packages
        return self.module.Interpreter

    @property
    def OpResolverType(self):  # noqa: N802
        return self.module.OpResolverType

    def load_delegate(self, library: str):
        return self.module.load_delegate(library)

    @property
    def version(self) -> str:
        try:
            from importlib.metadata import version

            return version({"ai_edge_litert": "ai-edge-litert", "tflite_runtime": "tflite-runtime"}.get(self.name,
                                                                                                      self.name))
        except Exception:  # noqa: BLE001 - a version string is informational only
            return "?"

    def describe(self) -> str:
        return f"{self.name} {self.version}"


_found: InterpreterModule | None = None


def interpreter_module(prefer: str | None = None) -> InterpreterModule:
    """The first interpreter package that imports (or `prefer`, or $EDGE_EE_INTERPRETER)."""
    global _found
    prefer = prefer or os.environ.get("EDGE_EE_INTERPRETER")
    if _found is not None and prefer in (None, _found.name):
        return _found
    tried = []
    for name, modname in CANDIDATES:
        if prefer and name != prefer:
            continue
        try:
            mod = importlib.import_module(modname)
        except ImportError as e:
            tried.append(f"{name} ({e})")
            continue
        found = InterpreterModule(name, mod)
        if prefer is None:
            _found = found
        return found
    raise ToolMissing("no TFLite interpreter is installed (tried " + ", ".join(tried or [str(prefer)]) + ")",
                      "pip install ai-edge-litert (PC), or tflite-runtime (Raspberry Pi, Coral): "
                      "pip install 'edge_ee[runtime]'")


def edgetpu_delegate(module: InterpreterModule):
    """The Edge TPU delegate, or None when libedgetpu is not installed (or no Edge TPU is attached)."""
    lib = EDGETPU_LIBRARY.get(platform.system())
    if lib is None:
        return None
    try:
        return module.load_delegate(lib)
    except (ValueError, OSError, RuntimeError):
        return None
