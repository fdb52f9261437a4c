"""Edge TPU twins: `stage_k_edgetpu.tflite` beside each stage, compiled by Coral's `edgetpu_compiler`.
The LiteRT engine runs a stage through libedgetpu's delegate when its twin exists and the library loads."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from edge_ee.bundle import MANIFEST, Bundle, write_manifest
from edge_ee.errors import ConversionError, OutputExists, ToolMissing
from edge_ee.io import atomic_dir

COMPILER = "edgetpu_compiler"
INSTALL = ("install Coral's compiler (x86-64 Debian/Ubuntu only): add the repository "
           "'deb https://packages.cloud.google.com/apt coral-edgetpu-stable main' with its key "
           "(https://coral.ai/docs/edgetpu/compiler/), then `sudo apt-get install edgetpu-compiler`; "
           "on other hosts compile with Coral's Colab notebook, put the *_edgetpu.tflite files in a folder "
           "and run `edge-ee edgetpu BUNDLE --compiled DIR`")


def compiler_version(compiler: str) -> str:
    r = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=60)
    return (r.stdout or r.stderr).strip()


def compile_edgetpu(bundle_dir, force: bool = False, compiler: str = COMPILER, compiled: Path | None = None) -> Bundle:
    """Adds an Edge TPU twin of every stage to the bundle (and of full.tflite), and their hashes to the
    manifest. `compiled`: a folder already holding `<stage>_edgetpu.tflite` files (compiled elsewhere)."""
    bundle = Bundle.load(bundle_dir)
    names = [s.file for s in bundle.stages] + ([bundle.baseline["file"]] if bundle.baseline else [])
    twins = {n: n.replace(".tflite", "_edgetpu.tflite") for n in names}
    if not force and any((bundle.path / t).exists() for t in twins.values()):
        raise OutputExists(bundle.path / next(t for t in twins.values() if (bundle.path / t).exists()))
    logs, version = {}, None
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if compiled is None:
            exe = shutil.which(compiler)
            if exe is None:
                raise ToolMissing(f"{compiler} is not installed", INSTALL)
            version = compiler_version(exe)
            for n in names:
                r = subprocess.run([exe, "-s", "-o", str(work), str(bundle.path / n)], capture_output=True,
                                   text=True, timeout=600)
                if r.returncode != 0 or not (work / twins[n]).is_file():
                    raise ConversionError(f"{compiler} failed on {n}: {(r.stderr or r.stdout).strip()[-800:]}",
                                          "the Edge TPU needs fully int8 models with static shapes; see the log")
                logs[n] = r.stdout.strip()
            compiled = work
        for n in names:
            if not (Path(compiled) / twins[n]).is_file():
                raise ToolMissing(f"{Path(compiled) / twins[n]} is missing", INSTALL)
        manifest = json.loads((bundle.path / MANIFEST).read_text())
        with atomic_dir(bundle.path, force=True) as tmp:
            for p in bundle.path.iterdir():
                if p.is_file() and p.name != MANIFEST:
                    shutil.copy2(p, tmp / p.name)
            for n in names:
                shutil.copy2(Path(compiled) / twins[n], tmp / twins[n])
            manifest["edgetpu"] = {"compiler": version or "compiled elsewhere", "twins": twins,
                                   "compiler_summary": logs}
            write_manifest(tmp, manifest)
    return Bundle.load(bundle.path)
