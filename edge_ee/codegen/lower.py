"""Lowering: each TFLite operator of a stage becomes one kernel call with all of Prepare done here
(multipliers, shifts, offsets, clamps, padding, output sizes, scratch sizes). An operator or option the
kernels do not implement raises UnsupportedOp naming it, the stage and the operator index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from edge_ee.codegen import quant, scratch
from edge_ee.errors import UnsupportedOp
from edge_ee.tflite_model import OperatorInfo, TFLiteModel

SUPPORTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN",
             "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "PAD", "PADV2", "SOFTMAX", "QUANTIZE", "TRANSPOSE")
ALIAS_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")  # same bytes, new shape: the output shares the input's buffer

_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


@dataclass
class ConstArray:
    name: str
    ctype: str  # "int8_t", "int32_t"
    values: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.values.size) * (1 if self.ctype == "int8_t" else 4)


@dataclass
class Step:
    """One kernel call. `render(ptr, scratch)` returns the C statement(s); `ptr(tensor_index)` gives the C
    expression of a tensor's arena address, `scratch` that of this step's scratch region."""

    op: OperatorInfo
    kernel: str  # C function, or "alias"
    inputs: tuple[int, ...]  # activation tensor indices read
    outputs: tuple[int, ...]
    scratch_bytes: int
    consts: list[ConstArray] = field(default_factory=list)
    render: Callable[[Callable[[int], str], str], str] | None = None
    macs: int = 0
    comment: str = ""


def _dims4(shape) -> tuple[int, int, int, int]:
    shape = tuple(shape)
    if len(shape) > 4:
        raise ValueError(shape)
    return (1,) * (4 - len(shape)) + shape


def _c_dims(shape) -> str:
    n, h, w, c = _dims4(shape)
    return f"{{{n}, {h}, {w}, {c}}}"


class Lowerer:
    def __init__(self, model: TFLiteModel, stage: int, prefix: str):
        self.m = model
        self.stage = stage
        self.prefix = prefix  # C identifier prefix for this stage's constants

    def where(self, op: OperatorInfo) -> str:
        return f"stage {self.stage}, operator {op.index} ({op.name})"

    def fail(self, op: OperatorInfo, what: str, fix: str | None = None):
        raise UnsupportedOp(what, self.where(op), fix or f"the C generator supports: {', '.join(SUPPORTED)} on "
                            "int8 tensors; re-convert the model without it, or run it with the litert/tflm engines")

    def act(self, op: OperatorInfo) -> str:
        a = _ACTIVATIONS.get(getattr(op.options, "fusedActivationFunction", 0), "?")
        if a in ("TANH", "SIGN_BIT", "?"):
            self.fail(op, f"{op.name} with fused activation {a}")
        return a

    def check_int8(self, op: OperatorInfo, *tensors: int):
        for i in tensors:
            t = self.m.tensors[i]
            if t.dtype != "int8":  # messages spell types as TFLite does (INT8), like the operator names
                self.fail(op, f"{op.name} on {t.dtype.upper()} tensor {t.name!r}")
            if t.quant is None:
                self.fail(op, f"{op.name} on unquantized tensor {t.name!r}")

    def const(self, name: str, ctype: str, values) -> ConstArray:
        return ConstArray(f"{self.prefix}_op{self._op.index}_{name}", ctype, np.asarray(values))

    def lower(self) -> list[Step]:
        steps = []
        for op in self.m.operators:
            self._op = op
            fn = getattr(self, "op_" + op.name.lower(), None)
            if fn is None or op.name not in SUPPORTED:
                self.fail(op, op.name)
            steps.append(fn(op))
        return steps

    # ------------------------------------------------------------------ convolutions

    def _conv_common(self, op: OperatorInfo, depthwise: bool):
        m = self.m
        x, w = m.tensors[op.inputs[0]], m.tensors[op.inputs[1]]
        b = m.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        y = m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        if w.dtype != "int8" or w.data is None:
            kind = "constant" if w.data is not None else "non-constant"
            self.fail(op, f"{op.name} with {w.dtype.upper()} {kind} weights")
        if b is not None and (b.dtype != "int32" or b.data is None):
            self.fail(op, f"{op.name} with {b.dtype.upper()} bias")
        if w.quant is None or np.any(w.quant.zero_point != 0):
            self.fail(op, f"{op.name} with asymmetric (non-zero zero point) weights")
        o = op.options
        act = self.act(op)
        n, ih, iw, ic = _dims4(x.shape)
        _, oh, ow, oc = _dims4(y.shape)
        kh, kw = w.shape[1], w.shape[2]
        sh, sw, dh, dw = o.strideH, o.strideW, o.dilationHFactor, o.dilationWFactor
        pad = "SAME" if o.padding == 0 else "VALID"
        if (quant.out_size(pad, ih, kh, sh, dh), quant.out_size(pad, iw, kw, sw, dw)) != (oh, ow):
            self.fail(op, f"{op.name} whose output shape {y.shape} does not follow from its options")
        pad_h = quant.padding_offset(sh, dh, ih, kh, oh)
        pad_w = quant.padding_offset(sw, dw, iw, kw, ow)
        mults, shifts = quant.conv_multipliers(x.scale, w.quant.scale, y.scale, oc)
        act_min, act_max = quant.activation_range(act, y.scale, y.zero_point)
        dm = 1
        if depthwise:
            dm = o.depthMultiplier if o.depthMultiplier else oc // ic
            if oc != ic * dm:
                self.fail(op, f"DEPTHWISE_CONV_2D with depth_multiplier {o.depthMultiplier} and {ic} -> {oc} channels")
        elif w.shape[3] != ic:
            self.fail(op, f"CONV_2D with groups ({ic} input channels, filter depth {w.shape[3]})")
        consts = [self.const("w", "int8_t", w.data.ravel()),
                  self.const("mult", "int32_t", mults), self.const("shift", "int32_t", shifts)]
        if b is not None:
            consts.append(self.const("b", "int32_t", b.data.ravel()))
        params = (f"{{{-x.zero_point}, {y.zero_point}, {sh}, {sw}, {pad_h}, {pad_w}, {dh}, {dw}, {dm}, "
                  f"{act_min}, {act_max}}}")
        names = {c.name.rsplit("_", 1)[-1]: c.name for c in consts}
        bias_ptr = names.get("b", "NULL")
        macs = n * oh * ow * oc * kh * kw * (1 if depthwise else ic)
        comment = (f"{op.name} {x.shape} -> {y.shape}, kernel {kh}x{kw}, stride {sh}x{sw}, {pad}, {act}, "
                   f"{'per-channel' if w.quant.per_channel else 'per-tensor'}")
        return x, w, y, params, consts, names, bias_ptr, macs, comment

    def op_conv_2d(self, op):
        x, w, y, params, consts, names, bias_ptr, macs, comment = self._conv_common(op, False)
        kh, kw, ic = w.shape[1], w.shape[2], w.shape[3]
        scratch_bytes = scratch.conv_s8(kh, kw, ic)

        def render(ptr, scr):
            return (f"static const ee_conv_params p = {params};\n"
                    f"static const ee_per_channel_quant q = {{{names['mult']}, {names['shift']}}};\n"
                    f"static const ee_dims in_d = {_c_dims(x.shape)}, f_d = {_c_dims(w.shape)}, "
                    f"out_d = {_c_dims(y.shape)};\n"
                    f"const ee_context ctx = {{{scr}, {scratch_bytes}}};\n"
                    f"s = ee_conv_s8(&ctx, &p, &q, &in_d, {ptr(x.index)}, &f_d, {names['w']}, {bias_ptr}, "
                    f"&out_d, {ptr(y.index)});")
        return Step(op, "ee_conv_s8", (x.index,), (y.index,), scratch_bytes, consts, render, macs, comment)

    def op_depthwise_conv_2d(self, op):
        x, w, y, params, consts, names, bias_ptr, macs, comment = self._conv_common(op, True)

        def render(ptr, scr):
            return (f"static const ee_conv_params p = {params};\n"
                    f"static const ee_per_channel_quant q = {{{names['mult']}, {names['shift']}}};\n"
                    f"static const ee_dims in_d = {_c_dims(x.shape)}, f_d = {_c_dims(w.shape)}, "
                    f"out_d = {_c_dims(y.shape)};\n"
                    f"s = ee_depthwise_conv_s8(&p, &q, &in_d, {ptr(x.index)}, &f_d, {names['w']}, {bias_ptr}, "
                    f"&out_d, {ptr(y.index)});")
        return Step(op, "ee_depthwise_conv_s8", (x.index,), (y.index,), 0, consts, render, macs, comment)

    def op_fully_connected(self, op):
        m = self.m
        x, w = m.tensors[op.inputs[0]], m.tensors[op.inputs[1]]
        b = m.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        y = m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        o = op.options
        if w.dtype != "int8" or w.data is None:
            kind = "constant" if w.data is not None else "non-constant"
            self.fail(op, f"FULLY_CONNECTED with {w.dtype.upper()} {kind} weights")
        if o is not None and (o.weightsFormat != 0 or o.asymmetricQuantizeInputs):
            self.fail(op, "FULLY_CONNECTED with shuffled weights or hybrid (asymmetric input) quantization")
        if b is not None and (b.dtype != "int32" or b.data is None):
            self.fail(op, f"FULLY_CONNECTED with {b.dtype.upper()} bias")
        act = self.act(op)
        out_depth, accum = w.shape[0], w.shape[-1]
        if x.size % accum:
            self.fail(op, f"FULLY_CONNECTED whose input {x.shape} is not a multiple of {accum}")
        batches = x.size // accum
        per_channel = w.quant.per_channel
        if per_channel:
            mults, shifts = quant.conv_multipliers(x.scale, w.quant.scale, y.scale, out_depth)
        else:
            mm, ss = quant.fc_multiplier(x.scale, float(w.quant.scale[0]), y.scale)
            mults, shifts = [mm], [ss]
        act_min, act_max = quant.activation_range(act, y.scale, y.zero_point)
        consts = [self.const("w", "int8_t", w.data.ravel()), self.const("mult", "int32_t", mults),
                  self.const("shift", "int32_t", shifts)]
        if b is not None:
            consts.append(self.const("b", "int32_t", b.data.ravel()))
        names = {c.name.rsplit("_", 1)[-1]: c.name for c in consts}
        scratch_bytes = scratch.fully_connected_s8(accum)
        params = f"{{{-x.zero_point}, {-int(w.quant.zero_point[0])}, {y.zero_point}, {act_min}, {act_max}, " \
                 f"{int(per_channel)}}}"

        def render(ptr, scr):
            return (f"static const ee_fc_params p = {params};\n"
                    f"static const ee_per_channel_quant q = {{{names['mult']}, {names['shift']}}};\n"
                    f"const ee_context ctx = {{{scr}, {scratch_bytes}}};\n"
                    f"s = ee_fully_connected_s8(&ctx, &p, &q, {batches}, {accum}, {out_depth}, {ptr(x.index)}, "
                    f"{names['w']}, {names.get('b', 'NULL')}, {ptr(y.index)});")
        return Step(op, "ee_fully_connected_s8", (x.index,), (y.index,), scratch_bytes, consts, render,
                    batches * accum * out_depth, f"FULLY_CONNECTED {x.shape} -> {y.shape}, {act}")

    # ------------------------------------------------------------------ elementwise and pooling

    def op_add(self, op):
        a, b, y = (self.m.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        self.check_int8(op, a.index, b.index, y.index)
        if a.is_const or b.is_const:
            self.fail(op, "ADD with a constant operand")
        if not (a.shape == b.shape == y.shape):
            self.fail(op, f"ADD with broadcasting ({a.shape} + {b.shape})")
        act = self.act(op)
        p = quant.add_params(a.scale, b.scale, y.scale)
        act_min, act_max = quant.activation_range(act, y.scale, y.zero_point)
        params = (f"{{{-a.zero_point}, {-b.zero_point}, {y.zero_point}, {p['left_shift']}, "
                  f"{p['input1_multiplier']}, {p['input1_shift']}, {p['input2_multiplier']}, {p['input2_shift']}, "
                  f"{p['output_multiplier']}, {p['output_shift']}, {act_min}, {act_max}}}")

        def render(ptr, scr):
            return (f"static const ee_add_params p = {params};\n"
                    f"s = ee_add_s8(&p, {y.size}, {ptr(a.index)}, {ptr(b.index)}, {ptr(y.index)});")
        return Step(op, "ee_add_s8", (a.index, b.index), (y.index,), 0, [], render, 0, f"ADD {y.shape}, {act}")

    def _pool(self, op, kernel):
        x, y = self.m.tensors[op.inputs[0]], self.m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        o = op.options
        act = self.act(op)
        _, ih, iw, _ = _dims4(x.shape)
        _, oh, ow, _ = _dims4(y.shape)
        pad = "SAME" if o.padding == 0 else "VALID"
        if (quant.out_size(pad, ih, o.filterHeight, o.strideH), quant.out_size(pad, iw, o.filterWidth, o.strideW)) \
                != (oh, ow):
            self.fail(op, f"{op.name} whose output shape {y.shape} does not follow from its options")
        pad_h = quant.padding_offset(o.strideH, 1, ih, o.filterHeight, oh)
        pad_w = quant.padding_offset(o.strideW, 1, iw, o.filterWidth, ow)
        act_min, act_max = quant.activation_range(act, y.scale, y.zero_point)
        params = (f"{{{o.strideH}, {o.strideW}, {pad_h}, {pad_w}, {o.filterHeight}, {o.filterWidth}, "
                  f"{act_min}, {act_max}}}")

        def render(ptr, scr):
            return (f"static const ee_pool_params p = {params};\n"
                    f"static const ee_dims in_d = {_c_dims(x.shape)}, out_d = {_c_dims(y.shape)};\n"
                    f"s = {kernel}(&p, &in_d, {ptr(x.index)}, &out_d, {ptr(y.index)});")
        return Step(op, kernel, (x.index,), (y.index,), 0, [], render, 0,
                    f"{op.name} {x.shape} -> {y.shape}, {o.filterHeight}x{o.filterWidth}/{o.strideH}, {pad}")

    def op_average_pool_2d(self, op):
        return self._pool(op, "ee_avgpool_s8")

    def op_max_pool_2d(self, op):
        return self._pool(op, "ee_maxpool_s8")

    def op_mean(self, op):
        x, axis_t, y = self.m.tensors[op.inputs[0]], self.m.tensors[op.inputs[1]], self.m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        if axis_t.data is None:
            self.fail(op, "MEAN with a non-constant axis")
        axes = sorted({int(a) % len(x.shape) for a in np.asarray(axis_t.data).ravel()})
        keep = bool(getattr(op.options, "keepDims", False))
        if len(x.shape) != 4 or axes != [1, 2]:
            self.fail(op, f"MEAN over axes {axes} of a {len(x.shape)}-D tensor",
                      "only MEAN over H and W of NHWC (global average pooling) is generated")
        mult, shift = quant.mean_multiplier(x.scale, y.scale, x.shape[1] * x.shape[2])
        params = f"{{{mult}, {shift}, {x.zero_point}, {y.zero_point}}}"

        def render(ptr, scr):
            return (f"static const ee_mean_params p = {params};\n"
                    f"static const ee_dims in_d = {_c_dims(x.shape)};\n"
                    f"s = ee_mean_hw_s8(&p, &in_d, {ptr(x.index)}, {ptr(y.index)});")
        return Step(op, "ee_mean_hw_s8", (x.index,), (y.index,), 0, [], render, 0,
                    f"MEAN(H, W) {x.shape} -> {y.shape}, keep_dims={keep}")

    def _pad(self, op, value: int):
        x, p_t, y = self.m.tensors[op.inputs[0]], self.m.tensors[op.inputs[1]], self.m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        if p_t.data is None or len(x.shape) > 4:
            self.fail(op, f"{op.name} with non-constant paddings or more than 4 dimensions")
        pads = np.asarray(p_t.data, dtype=np.int64).reshape(-1, 2)
        pads = np.concatenate([np.zeros((4 - len(pads), 2), np.int64), pads])
        if np.any(pads < 0):
            self.fail(op, f"{op.name} with negative padding")
        before = ", ".join(str(int(v)) for v in pads[:, 0])
        after = ", ".join(str(int(v)) for v in pads[:, 1])

        def render(ptr, scr):
            return (f"static const ee_pad_params p = {{{{{before}}}, {{{after}}}, {value}}};\n"
                    f"static const ee_dims in_d = {_c_dims(x.shape)}, out_d = {_c_dims(y.shape)};\n"
                    f"s = ee_pad_s8(&p, &in_d, {ptr(x.index)}, &out_d, {ptr(y.index)});")
        return Step(op, "ee_pad_s8", (x.index,), (y.index,), 0, [], render, 0, f"{op.name} {x.shape} -> {y.shape}")

    def op_pad(self, op):
        return self._pad(op, self.m.tensors[op.outputs[0]].zero_point)

    def op_padv2(self, op):
        v = self.m.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        if v is not None and v.data is None:
            self.fail(op, "PADV2 with a non-constant pad value")
        return self._pad(op, int(np.asarray(v.data).ravel()[0]) if v is not None
                         else self.m.tensors[op.outputs[0]].zero_point)

    def op_softmax(self, op):
        x, y = self.m.tensors[op.inputs[0]], self.m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        if y.zero_point != -128 or np.float32(y.scale) != np.float32(1 / 256):
            self.fail(op, f"SOFTMAX with output scale {y.scale} / zero point {y.zero_point} (needs 1/256, -128)")
        mult, left, diff_min = quant.softmax_params(op.options.beta, x.scale)
        depth = x.shape[-1]
        rows = x.size // depth

        def render(ptr, scr):
            return (f"static const ee_softmax_params p = {{{mult}, {left}, {diff_min}}};\n"
                    f"s = ee_softmax_s8(&p, {rows}, {depth}, {ptr(x.index)}, {ptr(y.index)});")
        return Step(op, "ee_softmax_s8", (x.index,), (y.index,), 0, [], render, 0, f"SOFTMAX {x.shape}")

    def op_quantize(self, op):
        x, y = self.m.tensors[op.inputs[0]], self.m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        mult, shift = quant.quantize_multiplier(quant.f32(x.scale) / quant.f32(y.scale))

        def render(ptr, scr):
            return (f"static const ee_requantize_params p = {{{x.zero_point}, {y.zero_point}, {mult}, {shift}}};\n"
                    f"s = ee_requantize_s8(&p, {y.size}, {ptr(x.index)}, {ptr(y.index)});")
        return Step(op, "ee_requantize_s8", (x.index,), (y.index,), 0, [], render, 0, f"QUANTIZE int8 {x.shape}")

    def op_transpose(self, op):
        x, p_t, y = self.m.tensors[op.inputs[0]], self.m.tensors[op.inputs[1]], self.m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        if p_t.data is None or len(x.shape) > 4:
            self.fail(op, "TRANSPOSE with a non-constant permutation or more than 4 dimensions")
        perm = [int(v) for v in np.asarray(p_t.data).ravel()]
        lead = 4 - len(perm)
        perm4 = list(range(lead)) + [p + lead for p in perm]
        if sorted(perm) != list(range(len(perm))) or tuple(x.shape[p] for p in perm) != tuple(y.shape):
            self.fail(op, f"TRANSPOSE with permutation {perm} of {x.shape} -> {y.shape}")

        def render(ptr, scr):
            return (f"static const ee_transpose_params p = {{{{{', '.join(map(str, perm4))}}}}};\n"
                    f"static const ee_dims in_d = {_c_dims(x.shape)};\n"
                    f"s = ee_transpose_s8(&p, &in_d, {ptr(x.index)}, {ptr(y.index)});")
        return Step(op, "ee_transpose_s8", (x.index,), (y.index,), 0, [], render, 0,
                    f"TRANSPOSE {x.shape} -> {y.shape}, perm {perm}")

    def _alias(self, op):
        x, y = self.m.tensors[op.inputs[0]], self.m.tensors[op.outputs[0]]
        self.check_int8(op, x.index, y.index)
        if x.size != y.size or (x.scale, x.zero_point) != (y.scale, y.zero_point):
            self.fail(op, f"{op.name} that changes size or quantization")
        return Step(op, "alias", (x.index,), (y.index,), 0, [], None, 0, f"{op.name} {x.shape} -> {y.shape} (in place)")

    op_reshape = _alias
    op_squeeze = _alias
    op_expand_dims = _alias


def lower_stage(model: TFLiteModel, stage: int) -> list[Step]:
    if model.num_subgraphs != 1:
        raise UnsupportedOp(f"a model with {model.num_subgraphs} subgraphs", f"stage {stage}",
                            "control flow (WHILE/IF) cannot be generated; convert the stage to a single subgraph")
    return Lowerer(model, stage, f"s{stage}").lower()
