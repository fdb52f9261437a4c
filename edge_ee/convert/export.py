"""PyTorch -> ONNX for each stage, with NHWC boundaries.

Stage 0 takes the model's NCHW input (onnx2tf turns it into NHWC). Every feature map that crosses a stage
boundary leaves its stage as NHWC (`permute(0, 2, 3, 1)`) and the next stage permutes it back first, so the
int8 tensor handed from stage k to stage k+1 is the NHWC tensor both TFLite files agree on. Export failures are
turned into UnsupportedOp naming the stage, the PyTorch module and the operator."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import warnings
from pathlib import Path

import torch
from torch import nn

from edge_ee.errors import ConversionError, UnsupportedOp
from edge_ee.models import MultiExitModel

OPSET = 17


class NHWCStage(nn.Module):
    """Stage k of a multi-exit model with NHWC feature boundaries; outputs (logits, features) or logits."""

    def __init__(self, model: MultiExitModel, k: int):
        super().__init__()
        self.k, self.last = k, k == model.num_exits - 1
        self.stage = model.stage(k)

    def model_path(self, name: str) -> str:
        """This wrapper's module name -> the name in the MultiExitModel (`segments.k.*`, `heads.k.*`)."""
        for mine, theirs in (("stage.segment", f"segments.{self.k}"), ("stage.head", f"heads.{self.k}")):
            if name == mine or name.startswith(mine + "."):
                return theirs + name[len(mine):]
        return name

    def forward(self, x):
        if self.k > 0:
            x = x.permute(0, 3, 1, 2)
        if self.last:
            return self.stage(x)
        logits, f = self.stage(x)
        return logits, f.permute(0, 2, 3, 1)


class FullModel(nn.Module):
    """The whole network through its final exit only: the always-full baseline."""

    def __init__(self, model: MultiExitModel):
        super().__init__()
        self.segments, self.head = model.segments, model.heads[-1]
        self.last = model.num_exits - 1

    def model_path(self, name: str) -> str:
        return f"heads.{self.last}{name[4:]}" if name == "head" or name.startswith("head.") else name

    def forward(self, x):
        for s in self.segments:
            x = s(x)
        return self.head(x)


@contextlib.contextmanager
def _quiet():
    """Silences the exporter: on failure it prints the whole TorchScript graph to the process's stderr."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice and tracer warnings
            yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def _export(module: nn.Module, example: torch.Tensor, target, output_names: list[str]) -> None:
    with _quiet():
        torch.onnx.export(module, (example,), target, input_names=["input"], output_names=output_names,
                          opset_version=OPSET, dynamo=False, do_constant_folding=True)


_ATEN = re.compile(r"operator '?([\w:.]+)'?")


def _failing_module(module: nn.Module, example: torch.Tensor) -> tuple[str, nn.Module] | None:
    """The smallest submodule that fails to export on the input it actually sees (only on the error path)."""
    seen: dict[str, tuple] = {}

    def recorder(name):
        def hook(m, inp, out):  # returns None: a forward hook's return value would replace the output
            seen.setdefault(name, inp)
        return hook

    handles = [m.register_forward_hook(recorder(name)) for name, m in module.named_modules() if name]
    try:
        with torch.no_grad():
            module(example)
    except Exception:
        pass
    finally:
        for h in handles:
            h.remove()
    modules = dict(module.named_modules())
    for name in sorted(seen, key=lambda n: -n.count(".")):
        inp = seen[name]
        if len(inp) != 1 or not isinstance(inp[0], torch.Tensor):
            continue
        try:
            with _quiet():
                torch.onnx.export(modules[name], inp, io.BytesIO(), opset_version=OPSET, dynamo=False)
        except Exception:
            return name, modules[name]
    return None


def export_onnx(module: nn.Module, example: torch.Tensor, path: Path, output_names: list[str], where: str) -> None:
    """Exports `module` at batch 1 to `path`; raises UnsupportedOp/ConversionError naming `where` on failure."""
    module.eval()
    try:
        _export(module, example, str(path), output_names)
    except Exception as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        m = _ATEN.search(msg)
        culprit = _failing_module(module, example)
        place = where + (f", module {module_label(module, culprit[0])}" if culprit else "")
        if m:
            raise UnsupportedOp(m.group(1), place,
                                f"PyTorch cannot export it to ONNX opset {OPSET} ({msg}); replace that layer "
                                "with one made of standard ops (conv, linear, pooling, add, relu)") from None
        raise ConversionError(f"exporting {place} to ONNX failed: {msg}",
                              "the model must trace with static shapes and standard ops") from None
    check_static_onnx(path, where)


def check_static_onnx(path: Path, where: str) -> None:
    import onnx

    g = onnx.load(str(path), load_external_data=False).graph
    for v in list(g.input) + list(g.output):
        dims = v.type.tensor_type.shape.dim
        if any(not d.HasField("dim_value") for d in dims):
            shape = [d.dim_param or "?" if not d.HasField("dim_value") else d.dim_value for d in dims]
            raise ConversionError(f"{where}: tensor {v.name!r} has a dynamic shape {shape} after export",
                                  "make the layer's output shape depend only on the input shape, not on its values")


def module_label(wrapper: nn.Module, name: str) -> str:
    """`segments.0.1 (Fn)`: the module's name in the user's model and its class."""
    path = wrapper.model_path(name) if hasattr(wrapper, "model_path") else name
    return f"{path} ({type(dict(wrapper.named_modules())[name]).__name__})"


def onnx_modules_of_type(onnx_path: Path, op: str, wrapper: nn.Module) -> list[str]:
    """Labels of the PyTorch modules whose exported ONNX nodes have type `op` (compared loosely: SIN ~ Sin)."""
    import onnx

    def norm(s):
        return s.replace("_", "").lower()

    found = []
    for node in onnx.load(str(onnx_path), load_external_data=False).graph.node:
        if norm(node.op_type) == norm(op):
            name = onnx_node_module(node.name, wrapper)
            label = module_label(wrapper, name) if name else f"ONNX node {node.name}"
            if label not in found:
                found.append(label)
    return found


def onnx_node_module(node_name: str, module: nn.Module) -> str | None:
    """Maps a TorchScript-exported ONNX node name to the deepest PyTorch module it came from. Each scope part
    ends with the child's own name ("/stage/segment/segment.0/body/body.0/body.0.0/Conv" ->
    "stage.segment.0.body.0.0")."""
    parts = [p.split(".")[-1] for p in node_name.split("/") if p][:-1]
    names = dict(module.named_modules())
    for n in range(len(parts), 0, -1):
        cand = ".".join(parts[:n])
        if cand in names:
            return cand
    return None
