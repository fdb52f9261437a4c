"""Fixtures of the measure tests: a real two-stage early-exit bundle (codegen's digits bundle: TFLite-converted
int8 stages), its host twin, and the host-native firmware built from it (the real command loop and generated
model, on stdin/stdout), served on a TCP port."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "codegen"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

N_INPUTS = 12


@pytest.fixture(scope="session")
def staged_bundle(tmp_path_factory):
    """Codegen's two-stage digits bundle with exit 0's threshold set at the median integer uncertainty of the
    test inputs, so that both exits occur (a copy with a rewritten manifest: one bundle for every build)."""
    import json
    import shutil

    from codegen_support import digits_inputs, make_staged_digits_bundle

    from edge_ee.bundle import Bundle, write_manifest
    from edge_ee.codegen.twin import TwinEngine
    from edge_ee.exits import int_uncertainty

    root = tmp_path_factory.mktemp("measure")
    raw = Bundle.load(make_staged_digits_bundle(root / "raw"))
    probe = TwinEngine(raw, root / "probe")
    test0 = raw.exit_tests()[0]
    u = sorted(int_uncertainty(test0, probe.run_stage(0, x)["logits"]) for x in digits_inputs(raw, N_INPUTS))
    manifest = json.loads((root / "raw" / "manifest.json").read_text())
    manifest["exits"][0]["threshold"] = (u[N_INPUTS // 2 - 1] + u[N_INPUTS // 2]) / 2
    shutil.copytree(root / "raw", root / "bundle")
    (root / "bundle" / "manifest.json").unlink()
    write_manifest(root / "bundle", manifest)
    return Bundle.load(root / "bundle")


@pytest.fixture(scope="session")
def digits_x(staged_bundle) -> np.ndarray:
    from codegen_support import digits_inputs

    return digits_inputs(staged_bundle, N_INPUTS)


@pytest.fixture(scope="session")
def digits_inputs_obj(staged_bundle, digits_x):
    from sklearn.datasets import load_digits

    from edge_ee.measure import Inputs

    labels = load_digits().target[-N_INPUTS:].astype(np.int64)
    return Inputs(digits_x, labels, [f"digits/{i}" for i in range(N_INPUTS)], "scikit-learn digits (last 12)")


@pytest.fixture(scope="session")
def host_firmware(staged_bundle, tmp_path_factory) -> Path:
    from edge_ee.codegen import generate_bundle

    root = tmp_path_factory.mktemp("hostfw")
    generate_bundle(staged_bundle, root / "model")
    subprocess.run(["make", "-s", "-f", str(ROOT / "firmware" / "Makefile"), "FAMILY=host", f"BUILD={root / 'build'}",
                    f"MODEL_DIR={root / 'model'}"], check=True, capture_output=True)
    return root / "build" / "firmware"


@pytest.fixture(scope="session")
def twin(staged_bundle, tmp_path_factory):
    from edge_ee.codegen.twin import TwinEngine

    return TwinEngine(staged_bundle, tmp_path_factory.mktemp("twin"))


@pytest.fixture
def device(host_firmware):
    from faults import DeviceServer

    server = DeviceServer(str(host_firmware))
    yield server
    server.close()


@pytest.fixture(scope="session")
def host_firmware_sanitized(staged_bundle, tmp_path_factory) -> Path:
    """The same host-native firmware built with AddressSanitizer and UndefinedBehaviorSanitizer."""
    from edge_ee.codegen import generate_bundle

    root = tmp_path_factory.mktemp("hostfw-asan")
    generate_bundle(staged_bundle, root / "model")
    subprocess.run(["make", "-s", "-f", str(ROOT / "firmware" / "Makefile"), "FAMILY=host", f"BUILD={root / 'build'}",
                    f"MODEL_DIR={root / 'model'}",
                    "OPT=-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"],
                   check=True, capture_output=True)
    return root / "build" / "firmware"
