"""The C generator: a list of int8 stage models plus exit information -> a self-contained C99 library.

Output directory:
  ee_model.h      the API (see its comments): ee_init, ee_infer, ee_run_stage, ee_scores_permille, stage hook
  ee_model.c      the memory plan (one static arena), one function per stage, the exit tables, the scheduler
  ee_weights.c/h  weights, biases and per-channel multipliers/shifts as const arrays (flash)
  nn/             the kernels and headers the model uses, copied from firmware/
  Makefile        host shared library (`make`) and a static library for a cross compiler (`make CC=... lib`)
  memory.json     the arena plan and byte counts

`generate_bundle(bundle, out_dir)` works on a bundle; `generate(stages, exits, ...)` on plain .tflite files,
so it is usable (and testable) without one."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge_ee import __version__
from edge_ee.codegen.lower import ConstArray, Step, _c_dims, lower_stage
from edge_ee.codegen.plan import Buffer, plan
from edge_ee.errors import BundleError, UnsupportedOp
from edge_ee.exits import ONE, exp_tables
from edge_ee.io import atomic_dir
from edge_ee.tflite_model import TFLiteModel, read_tflite

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
MEASURE_ENUM = {"entropy": "EE_MEASURE_ENTROPY", "neglogpmax": "EE_MEASURE_NEGLOGPMAX", "margin": "EE_MEASURE_MARGIN"}
# Kernel function -> source file under firmware/kernels.
KERNEL_FILES = {
    "ee_conv_s8": "ee_conv_s8.c", "ee_depthwise_conv_s8": "ee_depthwise_conv_s8.c",
    "ee_fully_connected_s8": "ee_fully_connected_s8.c", "ee_add_s8": "ee_add_s8.c",
    "ee_avgpool_s8": "ee_avgpool_s8.c", "ee_maxpool_s8": "ee_maxpool_s8.c", "ee_mean_hw_s8": "ee_mean_hw_s8.c",
    "ee_pad_s8": "ee_pad_s8.c", "ee_softmax_s8": "ee_softmax_s8.c", "ee_requantize_s8": "ee_requantize_s8.c",
    "ee_transpose_s8": "ee_transpose_s8.c",
}
HEADERS = ("ee_nn.h", "ee_math.h", "ee_features.h", "ee_exit.h")


@dataclass
class StageSpec:
    """One stage: its model file and the tensor indices (inside that file) of input, logits and features."""

    path: Path
    input: int
    logits: int
    features: int | None


@dataclass
class ExitSpec:
    """The exit of one stage: measure and integer threshold (None for the last, which always exits)."""

    measure: str
    threshold_q: int | None
    logit_scale: float


@dataclass
class Generated:
    out_dir: Path
    arena_size: int
    weights_bytes: int
    buffers: list[Buffer]
    stage_steps: list[list[Step]]
    memory: dict = field(default_factory=dict)


def _c_array(ctype: str, name: str, values: np.ndarray, static: bool = False, per_line: int = 24) -> str:
    vals = [str(int(v)) for v in np.asarray(values).ravel()]
    if not vals:
        vals = ["0"]
    lines = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    body = ",\n    ".join(lines)
    return f"{'static ' if static else ''}const {ctype} {name}[{len(vals)}] = {{\n    {body}\n}};\n"


class _Program:
    def __init__(self, stages: list[StageSpec], keep_all: bool = False):
        self.specs = stages
        self.keep_all = keep_all
        self.models: list[TFLiteModel] = [read_tflite(s.path) for s in stages]
        self.steps: list[list[Step]] = [lower_stage(m, k) for k, m in enumerate(self.models)]
        self._parent: dict = {}
        self._check_boundaries()
        self.buffers = self._lifetimes()
        self.arena_size = plan(list(self.buffers.values()))

    def _check_boundaries(self):
        for k, (spec, m) in enumerate(zip(self.specs, self.models)):
            for what, idx in (("input", spec.input), ("logits", spec.logits), ("features", spec.features)):
                if idx is None:
                    continue
                if not 0 <= idx < len(m.tensors) or m.tensors[idx].dtype != "int8":
                    raise BundleError(f"stage {k} {what} tensor index {idx} is not an int8 tensor of {spec.path.name}",
                                      "re-create the bundle; its manifest does not match the model")
            if k > 0:
                prev = self.models[k - 1].tensors[self.specs[k - 1].features]
                cur = m.tensors[spec.input]
                if prev.size != cur.size or (prev.scale, prev.zero_point) != (cur.scale, cur.zero_point):
                    raise BundleError(f"stage {k - 1} -> {k} boundary differs in size or quantization",
                                      "re-convert the model so that stage boundaries are bit-equal")

    def _find(self, key):
        while key in self._parent:
            key = self._parent[key]
        return key

    def _lifetimes(self):
        """Time runs over all stages: each operator one step, plus one per stage for its exit (logits read)."""
        for k in range(1, len(self.specs)):
            self._parent[("t", k, self.specs[k].input)] = ("t", k - 1, self.specs[k - 1].features)
        for k, steps in enumerate(self.steps):
            for st in steps:
                if st.kernel == "alias":
                    self._parent[("t", k, st.outputs[0])] = self._find(("t", k, st.inputs[0]))
        spans: dict = {}
        sizes: dict = {}

        def touch(key, t, size):
            root = self._find(key)
            first, last = spans.get(root, (t, t))
            spans[root] = (min(first, t), max(last, t))
            sizes[root] = max(sizes.get(root, 0), size)

        t = 0
        for k, (m, steps) in enumerate(zip(self.models, self.steps)):
            spec = self.specs[k]
            touch(("t", k, spec.input), t, m.tensors[spec.input].nbytes)
            for st in steps:
                for i in st.inputs + st.outputs:
                    touch(("t", k, i), t, m.tensors[i].nbytes)
                if st.scratch_bytes:
                    spans[("scratch", k, st.op.index)] = (t, t)
                    sizes[("scratch", k, st.op.index)] = st.scratch_bytes
                t += 1
            touch(("t", k, spec.logits), t, m.tensors[spec.logits].nbytes)  # exit test reads the logits
            if spec.features is not None:
                touch(("t", k, spec.features), t, m.tensors[spec.features].nbytes)
            t += 1
        if self.keep_all:  # debugging plan: nothing is reused, every tensor can be read after the run
            spans = {key: (0, t) for key in spans}
        return {key: Buffer(key, sizes[key], *spans[key]) for key in spans}

    def offset(self, k: int, tensor: int) -> int:
        return self.buffers[self._find(("t", k, tensor))].offset

    def scratch_offset(self, k: int, op_index: int) -> int:
        return self.buffers[("scratch", k, op_index)].offset


def _header(num_stages, input_size, num_classes, arena, model_name, source_hash) -> str:
    return f"""/* ee_model.h: generated by edge_ee {__version__} (edge-ee codegen) from {model_name}
 * (source sha256 {source_hash}). Do not edit; re-run `edge-ee codegen`.
 *
 * An early-exit int8 network as plain C99: weights in flash (const), one static arena in RAM laid out at
 * generation time, no dynamic allocation, no floating point on the inference path. Not reentrant: one
 * inference at a time.
 *
 * Usage:
 *     ee_result_t r;
 *     if (ee_init() != 0) {{ ... }}
 *     memcpy(ee_input_buffer(), sample, EE_INPUT_SIZE);        (or pass any buffer to ee_infer)
 *     int exit_stage = ee_infer(ee_input_buffer(), 0, &r);      (< 0: an ee_status error)
 */
#ifndef EE_MODEL_H
#define EE_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

#define EE_NUM_STAGES {num_stages}
#define EE_INPUT_SIZE {input_size}   /* bytes of the int8 input tensor (NHWC) */
#define EE_NUM_CLASSES {num_classes}
#define EE_ARENA_SIZE {arena}   /* bytes of RAM for all activations and scratch */

typedef struct {{
    int32_t exit_stage;   /* the exit whose logits decided (EE_NUM_STAGES - 1 when forced to full depth) */
    int32_t predicted;    /* argmax of `logits` (the lowest class index wins ties) */
    int32_t stages_run;   /* stages executed: exit_stage + 1 */
    int8_t logits[EE_NUM_CLASSES];  /* int8 logits of exit_stage */
    int32_t logit_scale_q;          /* their scale in Q16 (real = logit_scale_q / 65536 * (q - zero point)) */
    int32_t logit_zero_point;
    int8_t exit_logits[EE_NUM_STAGES][EE_NUM_CLASSES]; /* per-exit scores: logits of every exit that ran */
}} ee_result_t;

/* Prepares the model: checks the arena plan against the kernels' scratch needs. 0 on success, < 0 (ee_status)
 * otherwise. Call once before ee_infer. */
int ee_init(void);

/* The int8 input tensor inside the arena: write EE_INPUT_SIZE bytes here to avoid a copy. */
int8_t *ee_input_buffer(void);

/* Runs stage 0, 1, ... and stops at the first early exit whose integer exit test passes (the last exit always
 * takes the input). force_full != 0 runs every stage and skips the exit tests (the always-full baseline).
 * input: EE_INPUT_SIZE int8 bytes (may be ee_input_buffer()). Returns the exit stage (>= 0) or an ee_status
 * (< 0). `out` is written on success. */
int ee_infer(const int8_t *input, int force_full, ee_result_t *out);

/* Scores of a result as non-negative integers summing to about 1000: softmax of the exit's logits from the
 * exit's integer exp table (no floating point), or, for an exit that ends in SOFTMAX (an imported classifier),
 * its probabilities rescaled. permille: EE_NUM_CLASSES entries. */
void ee_scores_permille(const ee_result_t *result, uint16_t *permille);

/* Stage hook for timing: called with begin = 1 before stage k runs and begin = 0 after it and its exit test.
 * NULL (the default) disables it. */
typedef void (*ee_stage_hook_fn)(int stage, int begin);
void ee_set_stage_hook(ee_stage_hook_fn hook);

/* Runs one stage in isolation (for tests and host twins): copies `input` (the stage's input tensor) into the
 * arena, runs stage k, copies its logits and (unless k is last or features is NULL) its features out.
 * Returns 0 or an ee_status (< 0). */
int ee_run_stage(int stage, const int8_t *input, int8_t *logits, int8_t *features);

/* Per-stage sizes in bytes (input, logits, features; features 0 for the last stage). */
int32_t ee_stage_size(int stage, int which);

/* The arena itself, read-only, for debugging: memory.json gives each tensor's offset and lifetime. */
const int8_t *ee_debug_arena(void);

/* Whether the integer exit test of early exit k passes on n int8 logits (host checks; k < EE_NUM_STAGES - 1). */
int ee_exit_decision(int stage, const int8_t *logits);

#ifdef __cplusplus
}}
#endif

#endif /* EE_MODEL_H */
"""


def generate(stages: list[StageSpec], exits: list[ExitSpec], out_dir, *, model_name: str = "model",
             source_hash: str = "", force: bool = False, keep_all: bool = False) -> Generated:
    """Writes the C library for `stages` into `out_dir` (atomically). Raises UnsupportedOp for an operator or
    option the kernels do not implement. `keep_all` gives every tensor its own arena region (no reuse), so that
    all intermediate tensors can be read back through ee_debug_arena() (for kernel-by-kernel comparisons)."""
    if len(exits) != len(stages) or not stages:
        raise BundleError(f"{len(stages)} stages but {len(exits)} exits", "give one exit per stage")
    prog = _Program(stages, keep_all)
    k_last = len(stages) - 1
    in_t = prog.models[0].tensors[stages[0].input]
    logit_ts = [m.tensors[s.logits] for m, s in zip(prog.models, stages)]
    num_classes = logit_ts[0].size
    if any(t.size != num_classes for t in logit_ts):
        raise UnsupportedOp("exits with different numbers of classes", "the bundle's exits",
                            "every exit must predict the same classes")

    consts: list[ConstArray] = [c for steps in prog.steps for st in steps for c in st.consts]
    weights_bytes = sum(c.nbytes for c in consts)
    kernels = sorted({st.kernel for steps in prog.steps for st in steps if st.kernel != "alias"})

    def ptr(k):
        return lambda idx: f"(ee_arena.bytes + {prog.offset(k, idx)})"

    # ---------------------------------------------------------------- ee_model.c
    c = [f"/* ee_model.c: generated by edge_ee {__version__} from {model_name} (source sha256 {source_hash}).\n"
         " * Do not edit. Memory plan, one function per stage, exit tables and the scheduler. */\n",
         "#include <string.h>\n", '#include "ee_model.h"', '#include "ee_weights.h"', '#include "nn/ee_nn.h"',
         '#include "nn/ee_exit.h"\n',
         "#ifndef EE_ARENA_ATTRIBUTE\n#define EE_ARENA_ATTRIBUTE /* e.g. a section attribute, set by the build */\n"
         "#endif\n",
         "/* The arena: every activation and scratch region at a fixed offset (memory.json lists them). */",
         f"static union {{\n    int32_t align;\n    int8_t bytes[EE_ARENA_SIZE];\n}} ee_arena EE_ARENA_ATTRIBUTE;\n",
         "static ee_stage_hook_fn ee_hook = NULL;\nstatic int ee_ready = 0;\n"]
    # Exit tables: every exit gets its exp table (scores); early exits their test.
    for k, e in enumerate(exits):
        et, gt = exp_tables(e.logit_scale)
        c.append(_c_array("uint32_t", f"ee_exp_table_{k}", et, static=True, per_line=12))
        if k < k_last and e.measure == "entropy":
            c.append(_c_array("uint32_t", f"ee_xexp_table_{k}", gt, static=True, per_line=12))
    c.append("static const uint32_t *const ee_exp_tables[EE_NUM_STAGES] = {"
             + ", ".join(f"ee_exp_table_{k}" for k in range(len(exits))) + "};")
    if k_last > 0:
        tests = []
        for k, e in enumerate(exits[:-1]):
            if e.threshold_q is None:
                raise BundleError(f"early exit {k} has no threshold", "calibrate the bundle's thresholds")
            xt = f"ee_xexp_table_{k}" if e.measure == "entropy" else f"ee_exp_table_{k}"
            tests.append(f"    {{{MEASURE_ENUM[e.measure]}, {int(e.threshold_q)}, ee_exp_table_{k}, {xt}}}")
        c.append("static const ee_exit_test ee_exit_tests[EE_NUM_STAGES - 1] = {\n" + ",\n".join(tests) + "\n};")
    # An exit whose "logits" come out of SOFTMAX (imported classifiers) already holds probabilities q/256 + 1/2.
    probs = []
    for m, spec in zip(prog.models, stages):
        producer = m.producer(spec.logits)
        t = m.tensors[spec.logits]
        probs.append(int(producer is not None and producer.name == "SOFTMAX" and t.zero_point == -128
                         and np.float32(t.scale) == np.float32(1 / 256)))
    c.append("static const uint8_t ee_logits_are_probabilities[EE_NUM_STAGES] = {" + ", ".join(map(str, probs)) + "};")
    scales_q = [int(round(t.scale * ONE)) for t in logit_ts]
    c.append("static const int32_t ee_logit_scale_q[EE_NUM_STAGES] = {" + ", ".join(map(str, scales_q)) + "};")
    c.append("static const int32_t ee_logit_zero_point[EE_NUM_STAGES] = {"
             + ", ".join(str(t.zero_point) for t in logit_ts) + "};")
    sizes = []
    for k, (m, s) in enumerate(zip(prog.models, stages)):
        f = m.tensors[s.features].nbytes if s.features is not None else 0
        sizes.append(f"{{{m.tensors[s.input].nbytes}, {m.tensors[s.logits].nbytes}, {f}}}")
    c.append("static const int32_t ee_sizes[EE_NUM_STAGES][3] = {" + ", ".join(sizes) + "};")
    offs = []
    for k, s in enumerate(stages):
        f = prog.offset(k, s.features) if s.features is not None else 0
        offs.append(f"{{{prog.offset(k, s.input)}, {prog.offset(k, s.logits)}, {f}}}")
    c.append("static const int32_t ee_offsets[EE_NUM_STAGES][3] = {" + ", ".join(offs) + "};\n")

    for k, steps in enumerate(prog.steps):
        m = prog.models[k]
        c.append(f"/* Stage {k}: {stages[k].path.name}, {len(steps)} operators. */")
        c.append(f"static ee_status ee_stage_{k}(void)\n{{\n    ee_status s = EE_OK;")
        for st in steps:
            if st.kernel == "alias":
                c.append(f"    /* op {st.op.index}: {st.comment} */")
                continue
            scr = f"(ee_arena.bytes + {prog.scratch_offset(k, st.op.index)})" if st.scratch_bytes else "NULL"
            body = st.render(ptr(k), scr).replace("\n", "\n        ")
            c.append(f"    /* op {st.op.index}: {st.comment} */\n    {{\n        {body}\n    }}\n"
                     "    if (s != EE_OK) {\n        return s;\n    }")
        c.append("    return s;\n}\n")
    c.append("static ee_status (*const ee_stages[EE_NUM_STAGES])(void) = {"
             + ", ".join(f"ee_stage_{k}" for k in range(len(stages))) + "};\n")
    # Scratch checks in ee_init: the plan must give each kernel what its _get_buffer_size asks.
    checks = []
    for k, steps in enumerate(prog.steps):
        for st in steps:
            if st.kernel == "ee_conv_s8":
                w = prog.models[k].tensors[st.op.inputs[1]]
                x = prog.models[k].tensors[st.op.inputs[0]]
                checks.append(f"    {{\n        static const ee_dims in_d = {_c_dims(x.shape)}, f_d = {_c_dims(w.shape)};\n"
                              f"        if (ee_conv_s8_get_buffer_size(&in_d, &f_d) > {st.scratch_bytes}) {{\n"
                              "            return EE_NO_SCRATCH;\n        }\n    }")
            elif st.kernel == "ee_fully_connected_s8":
                w = prog.models[k].tensors[st.op.inputs[1]]
                checks.append(f"    if (ee_fully_connected_s8_get_buffer_size({w.shape[-1]}) > {st.scratch_bytes}) {{\n"
                              "        return EE_NO_SCRATCH;\n    }")
    c.append("int ee_init(void)\n{\n" + "\n".join(checks) + ("\n" if checks else "")
             + "    memset(ee_arena.bytes, 0, sizeof ee_arena.bytes);\n    ee_ready = 1;\n    return EE_OK;\n}\n")
    c.append(_RUNTIME.replace("@LAST@", str(k_last)))
    model_c = "\n".join(c)

    # ---------------------------------------------------------------- ee_weights.c/h
    wh = [f"/* ee_weights.h: generated by edge_ee {__version__} from {model_name} (source sha256 {source_hash}):\n"
          " * weights, biases and requantization constants (flash). Do not edit. */",
          "#ifndef EE_WEIGHTS_H\n#define EE_WEIGHTS_H\n", "#include <stdint.h>\n"]
    wc = [f"/* ee_weights.c: generated by edge_ee {__version__} from {model_name} (source sha256 {source_hash}). */",
          '#include "ee_weights.h"\n']
    for ca in consts:
        wh.append(f"extern const {ca.ctype} {ca.name}[{max(ca.values.size, 1)}];")
        wc.append(_c_array(ca.ctype, ca.name, ca.values))
    wh.append("\n#endif /* EE_WEIGHTS_H */\n")

    buffers = sorted(prog.buffers.values(), key=lambda b: b.offset)
    memory = {
        "arena_bytes": prog.arena_size,
        "weights_bytes": weights_bytes,
        "kernels": kernels,
        "stages": [{"index": k, "operators": [s.op.name for s in steps], "macs": sum(s.macs for s in steps),
                    "input_offset": prog.offset(k, stages[k].input), "logits_offset": prog.offset(k, stages[k].logits)}
                   for k, steps in enumerate(prog.steps)],
        "buffers": [{"what": (f"stage {b.key[1]} tensor {b.key[2]} ({prog.models[b.key[1]].tensors[b.key[2]].name})"
                              if b.key[0] == "t" else f"stage {b.key[1]} operator {b.key[2]} scratch"),
                     "stage": b.key[1], "tensor": b.key[2] if b.key[0] == "t" else None,
                     "offset": b.offset, "bytes": b.size, "alive": [b.first, b.last]} for b in buffers],
    }

    with atomic_dir(out_dir, force=force) as tmp:
        (tmp / "nn").mkdir()
        (tmp / "ee_model.h").write_text(_header(len(stages), in_t.nbytes, num_classes, prog.arena_size,
                                                model_name, source_hash))
        (tmp / "ee_model.c").write_text(model_c)
        (tmp / "ee_weights.h").write_text("\n".join(wh))
        (tmp / "ee_weights.c").write_text("\n".join(wc))
        for h in HEADERS:
            shutil.copy(FIRMWARE / "include" / h, tmp / "nn" / h)
        shutil.copy(FIRMWARE / "kernels" / "ee_dsp_support.h", tmp / "nn" / "ee_dsp_support.h")
        for kname in kernels:
            shutil.copy(FIRMWARE / "kernels" / KERNEL_FILES[kname], tmp / "nn" / KERNEL_FILES[kname])
        shutil.copy(FIRMWARE / "runtime" / "ee_exit.c", tmp / "nn" / "ee_exit.c")
        (tmp / "Makefile").write_text(_MAKEFILE)
        (tmp / "memory.json").write_text(json.dumps(memory, indent=2) + "\n")
    return Generated(Path(out_dir), prog.arena_size, weights_bytes, buffers, prog.steps, memory)


def generate_bundle(bundle, out_dir, *, force: bool = False, thresholds=None, measure: str | None = None) -> Generated:
    """Generates the C library of a loaded `edge_ee.bundle.Bundle`; thresholds/measure override the manifest's."""
    tests = bundle.exit_tests(thresholds, measure)
    exits = []
    for k, s in enumerate(bundle.stages):
        t = tests[k]
        m = t.measure if t is not None else (measure or bundle.exits[k].measure)
        exits.append(ExitSpec(m, t.threshold_q if t is not None else None, s.logits.scale))
    if any(e.threshold_q is None for e in exits[:-1]):
        raise BundleError("the bundle's early exits have no thresholds",
                          "calibrate the bundle first, or pass --thresholds")
    specs = [StageSpec(bundle.stage_path(k), s.input.index, s.logits.index,
                       s.features.index if s.features else None) for k, s in enumerate(bundle.stages)]
    manifest_hash = hashlib.sha256((Path(bundle.path) / "manifest.json").read_bytes()).hexdigest()
    return generate(specs, exits, out_dir, model_name=f"bundle {bundle.name}", source_hash=manifest_hash, force=force)


_RUNTIME = r"""int8_t *ee_input_buffer(void)
{
    return ee_arena.bytes + ee_offsets[0][0];
}

const int8_t *ee_debug_arena(void)
{
    return ee_arena.bytes;
}

void ee_set_stage_hook(ee_stage_hook_fn hook)
{
    ee_hook = hook;
}

int32_t ee_stage_size(int stage, int which)
{
    if (stage < 0 || stage >= EE_NUM_STAGES || which < 0 || which > 2) {
        return -1;
    }
    return ee_sizes[stage][which];
}

int ee_exit_decision(int stage, const int8_t *logits)
{
#if EE_NUM_STAGES > 1
    if (stage >= 0 && stage < EE_NUM_STAGES - 1 && logits != NULL) {
        return ee_should_exit(&ee_exit_tests[stage], logits, EE_NUM_CLASSES);
    }
#else
    (void)stage;
    (void)logits;
#endif
    return 0;
}

static int32_t ee_argmax(const int8_t *v, int32_t n)
{
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i) {
        if (v[i] > v[best]) {
            best = i;
        }
    }
    return best;
}

int ee_infer(const int8_t *input, int force_full, ee_result_t *out)
{
    int k;
    if (!ee_ready || input == NULL || out == NULL) {
        return EE_ARG_ERROR;
    }
    if (input != ee_input_buffer()) {
        memmove(ee_input_buffer(), input, EE_INPUT_SIZE);
    }
    for (k = 0; k < EE_NUM_STAGES; ++k) {
        const int8_t *logits = ee_arena.bytes + ee_offsets[k][1];
        int leave = (k == @LAST@);
        ee_status s;
        if (ee_hook != NULL) {
            ee_hook(k, 1);
        }
        s = ee_stages[k]();
        if (s != EE_OK) {
            return s;
        }
        if (!leave && !force_full) {
            leave = ee_exit_decision(k, logits);
        }
        if (ee_hook != NULL) {
            ee_hook(k, 0);
        }
        memcpy(out->exit_logits[k], logits, EE_NUM_CLASSES);
        if (leave) {
            break;
        }
    }
    out->exit_stage = k;
    out->stages_run = k + 1;
    memcpy(out->logits, out->exit_logits[k], EE_NUM_CLASSES);
    out->predicted = ee_argmax(out->logits, EE_NUM_CLASSES);
    out->logit_scale_q = ee_logit_scale_q[k];
    out->logit_zero_point = ee_logit_zero_point[k];
    return k;
}

void ee_scores_permille(const ee_result_t *result, uint16_t *permille)
{
    const uint32_t *table = ee_exp_tables[result->exit_stage];
    if (ee_logits_are_probabilities[result->exit_stage]) {
        /* SOFTMAX output: p = (q + 128) / 256 already. */
        for (int32_t j = 0; j < EE_NUM_CLASSES; ++j) {
            permille[j] = (uint16_t)(((uint32_t)(result->logits[j] + 128) * 1000u + 128u) / 256u);
        }
        return;
    }
    int32_t qmax = result->logits[result->predicted];
    uint64_t sum = 0;
    for (int32_t j = 0; j < EE_NUM_CLASSES; ++j) {
        sum += table[qmax - result->logits[j]];
    }
    for (int32_t j = 0; j < EE_NUM_CLASSES; ++j) {
        permille[j] = (uint16_t)(((uint64_t)table[qmax - result->logits[j]] * 1000u + sum / 2u) / sum);
    }
}

int ee_run_stage(int stage, const int8_t *input, int8_t *logits, int8_t *features)
{
    ee_status s;
    if (!ee_ready || stage < 0 || stage >= EE_NUM_STAGES || input == NULL || logits == NULL) {
        return EE_ARG_ERROR;
    }
    memmove(ee_arena.bytes + ee_offsets[stage][0], input, (size_t)ee_sizes[stage][0]);
    s = ee_stages[stage]();
    if (s != EE_OK) {
        return s;
    }
    memcpy(logits, ee_arena.bytes + ee_offsets[stage][1], (size_t)ee_sizes[stage][1]);
    if (features != NULL && ee_sizes[stage][2] > 0) {
        memcpy(features, ee_arena.bytes + ee_offsets[stage][2], (size_t)ee_sizes[stage][2]);
    }
    return EE_OK;
}
"""

_MAKEFILE = r"""# Generated by edge_ee. `make` builds the host shared library (the twin); `make lib CC=arm-none-eabi-gcc
# CFLAGS="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2"` a static library for a device.
CC ?= cc
AR ?= ar
CFLAGS ?= -O2
WARN := -std=c99 -Wall -Wextra -Werror
SRCS := ee_model.c ee_weights.c $(wildcard nn/*.c)

libee_model.so: $(SRCS) ee_model.h ee_weights.h
	$(CC) $(WARN) $(CFLAGS) -fPIC -shared -o $@ $(SRCS)

lib: libee_model.a

libee_model.a: $(SRCS:.c=.o)
	$(AR) rcs $@ $^

%.o: %.c
	$(CC) $(WARN) $(CFLAGS) -c -o $@ $<

clean:
	rm -f libee_model.so libee_model.a $(SRCS:.c=.o)

.PHONY: lib clean
"""
