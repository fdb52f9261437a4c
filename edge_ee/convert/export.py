"""PyTorch -> ONNX for each stage, with NHWC boundaries.

Stage 0 takes the model's NCHW input (onnx2tf turns it into NHWC). Every feature map that crosses a stage
boundary leaves its stage as NHWC (`permute(0, 2, 3, 1)`) and the next stage permutes it back first, so the
int8 tensor handed from stage k to stage k+1 is the NHWC tensor both TFLite files agree on. Export failures are
turned into UnsupportedOp naming the stage, the PyTorch module and the operator."""

from __future__ import annotations

import io
import re
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

    def forward(self, x):
        for s in self.segments:
            x = s(x)
        return self.head(x)


def _export(module: nn.Module, example: torch.Tensor, target, output_names: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice and tracer warnings
        torch.onnx.export(module, (example,), target, input_names=["input"], output_names=output_names,
                          opset_version=OPSET, dynamo=False, do_constant_folding=True)


_ATEN = re.compile(r"operator '?([\w:.]+)'?")


def _failing_module(module: nn.Module, example: torch.Tensor) -> tuple[str, nn.Module] | None:
    """The smallest submodule that fails to export on the input it actually sees (only on the error path)."""
    seen: dict[str, tuple] = {}
    handles = [m.register_forward_hook(lambda m, inp, out, name=name: seen.setdefault(name, inp))
               for name, m in module.named_modules() if name]
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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
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
        place = where + (f", module {culprit[0]} ({type(culprit[1]).__name__})" if culprit else "")
        if m:
            raise UnsupportedOp(m.group(1), place,
                                f"PyTorch cannot export it to ONNX opset {OPSET} ({msg}); replace that layer "
                                "with one made of standard ops (conv, linear, pooling, add, relu)") from None
        raise ConversionError(f"exporting {place} to ONNX failed: {msg}",
                              "the model must trace with static shapes and standard ops") from None
    _check_static(path, where)


def _check_static(path: Path, where: str) -> None:
    import onnx

    g = onnx.load(str(path), load_external_data=False).graph
    for v in list(g.input) + list(g.output):
        dims = v.type.tensor_type.shape.dim
        if any(not d.HasField("dim_value") for d in dims):
            shape = [d.dim_param or "?" if not d.HasField("dim_value") else d.dim_value for d in dims]
            raise ConversionError(f"{where}: tensor {v.name!r} has a dynamic shape {shape} after export",
                                  "make the layer's output shape depend only on the input shape, not on its values")


def onnx_node_module(node_name: str, module: nn.Module) -> str | None:
    """Maps a TorchScript-exported ONNX node name ("/stage/segment/1/body/0/0/Conv") to the deepest
    PyTorch module name it came from ("stage.segment.1.body.0.0")."""
    parts = [p for p in node_name.split("/") if p]
    names = dict(module.named_modules())
    for n in range(len(parts), 0, -1):
        cand = ".".join(parts[:n])
        if cand in names:
            return cand
    return None
