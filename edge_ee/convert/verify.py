"""Running int8 stage files with the LiteRT interpreter, and the verification `convert` builds in: the int8 chain
against the float model on held-out samples, per exit."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge_ee.bundle import Tensor


def dequantize(q: np.ndarray, t: Tensor) -> np.ndarray:
    return (q.astype(np.float32) - t.zero_point) * np.float32(t.scale)


class TfliteRunner:
    """One .tflite file in a LiteRT interpreter (single thread, default kernels), run one sample at a time."""

    def __init__(self, path: Path, input: Tensor, outputs: list[Tensor]):
        from ai_edge_litert.interpreter import Interpreter

        self.interp = Interpreter(model_path=str(path), num_threads=1)
        self.interp.allocate_tensors()
        self.input, self.outputs = input, outputs

    def __call__(self, q: np.ndarray) -> list[np.ndarray]:
        self.interp.set_tensor(self.input.index, q.reshape(self.input.shape))
        self.interp.invoke()
        return [self.interp.get_tensor(t.index).copy() for t in self.outputs]


def run_chain(bundle_dir: Path, stages, x_q: np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Runs every stage on a batch of int8 model inputs (N, H, W, C), stage k+1 fed stage k's int8 features.
    Returns per stage (int8 logits (N, classes), int8 features (N, ...) or None)."""
    runners = [TfliteRunner(Path(bundle_dir) / s.file, s.input, [s.logits] + ([s.features] if s.features else []))
               for s in stages]
    result: list[tuple[list, list]] = [([], []) for _ in stages]
    for x in x_q:
        f = x
        for k, run in enumerate(runners):
            outs = run(f)
            result[k][0].append(outs[0].reshape(-1))
            if len(outs) > 1:
                f = outs[1]
                result[k][1].append(f[0])
    return [(np.stack(lg), np.stack(ft) if ft else None) for lg, ft in result]


def run_single(path: Path, input: Tensor, logits: Tensor, x_q: np.ndarray) -> np.ndarray:
    run = TfliteRunner(path, input, [logits])
    return np.stack([run(x)[0].reshape(-1) for x in x_q])


def exit_report(name: str, float_logits: np.ndarray, q_logits: np.ndarray, logit_t: Tensor, labels: np.ndarray) -> dict:
    fp, qp = float_logits.argmax(1), q_logits.argmax(1)
    return {"exit": name, "agreement": float((fp == qp).mean()), "float_accuracy": float((fp == labels).mean()),
            "int8_accuracy": float((qp == labels).mean()),
            "drop_points": round(100.0 * float((fp == labels).mean() - (qp == labels).mean()), 3),
            "logit_rmse": float(np.sqrt(np.mean((dequantize(q_logits, logit_t) - float_logits) ** 2)))}
