"""The conversion worker: `python -m edge_ee.convert.worker JOBS.json` converts ONNX files to full-integer int8
TFLite, one job after another, in one process (TensorFlow is imported once per conversion, not per stage).

Each job: onnx2tf 1.29 turns the ONNX graph into a Keras model (NCHW -> NHWC), then TensorFlow's TFLite converter
quantizes it once to full int8 with the job's calibration data. This is DESIGN.md's `onnx2tf -oiqt` recipe
with the quantization done here rather than by onnx2tf: -oiqt converts every model six times (float32, float16,
dynamic range, integer, full integer, int16 activations; ~6 s a stage) and allows SELECT_TF_OPS, so an op
without an int8 kernel silently stays float; one int8-builtins-only conversion takes ~1 s and fails loudly.

It runs apart from the caller because TensorFlow and onnx2tf print to the process's file descriptors from C++,
call sys.exit on errors and keep global state; here their output goes to one log file per job and only one JSON
line per job reaches stdout: {"job", "ok", "tflite" | "error", "seconds"}.

JOBS.json: {"jobs": [{"name", "onnx", "workdir", "input_name", "calibration" (.npy, the TF-side layout),
"quant_type": "per-channel" | "per-tensor", "keep_input_shape": bool}]}"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# onnx2tf 1.29 downloads this sample file for [N,H,W,3] inputs (even without -oiqt) unless it is in the working
# directory; offline that fails. Its content is never used here.
ONNX2TF_SAMPLE = "calibration_image_sample_data_20x128x128x3_float32.npy"


def _redirect(log: Path) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def run_job(job: dict) -> str:
    """onnx2tf builds the Keras model; TensorFlow's converter quantizes it once, to full int8."""
    import numpy as np
    import onnx2tf
    import tensorflow as tf

    work = Path(job["workdir"])
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    if not (work / ONNX2TF_SAMPLE).exists():
        np.save(work / ONNX2TF_SAMPLE, np.zeros((1, 1, 1, 3), np.float32))
    model = onnx2tf.convert(
        input_onnx_file_path=job["onnx"],
        output_folder_path=str(work / "tf"),
        keep_shape_absolutely_input_names=[job["input_name"]] if job.get("keep_input_shape") else None,
        disable_model_save=True,
        non_verbose=True,
    )
    if model is None:
        raise RuntimeError("onnx2tf returned no model")
    data = np.load(job["calibration"]).astype(np.float32)

    def representative():
        for i in range(len(data)):
            yield [data[i:i + 1]]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    # Int8 builtins only: an op without an int8 kernel fails here, by name, instead of becoming a float Flex op.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter._experimental_disable_per_channel = job["quant_type"] == "per-tensor"
    converter.representative_dataset = representative
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    out = work / "model_int8.tflite"
    out.write_bytes(converter.convert())
    return str(out)


def main(argv: list[str]) -> int:
    jobs = json.loads(Path(argv[0]).read_text())["jobs"]
    report = os.fdopen(os.dup(1), "w", buffering=1)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    for job in jobs:
        log = Path(job["workdir"]) / "onnx2tf.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        _redirect(log)
        t0 = time.perf_counter()
        result = {"job": job["name"], "log": str(log)}
        try:
            result.update(ok=True, tflite=run_job(job))
        except BaseException as e:  # onnx2tf reports failures through sys.exit as well as exceptions
            if isinstance(e, KeyboardInterrupt):
                raise
            result.update(ok=False, error=f"{type(e).__name__}: {e}")
        result["seconds"] = round(time.perf_counter() - t0, 3)
        sys.stdout.flush()
        sys.stderr.flush()
        report.write(json.dumps(result) + "\n")
        if not result["ok"]:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
