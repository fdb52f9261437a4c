"""The C exit test (firmware/runtime/ee_exit.c) decides exactly as edge_ee.exits.int_should_exit, and
ee_ln_q16 equals ln_q16, on many random logit vectors, scales and thresholds."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_ee.codegen.build import WARN
from edge_ee.codegen.generator import FIRMWARE
from edge_ee.exits import MEASURES, int_should_exit, ln_q16, make_int_exit_test

MEASURE_ENUM = {"entropy": 0, "neglogpmax": 1, "margin": 2}


class ExitTest(ctypes.Structure):
    _fields_ = [("measure", ctypes.c_int32), ("threshold_q", ctypes.c_int32),
                ("exp_table", ctypes.POINTER(ctypes.c_uint32)), ("xexp_table", ctypes.POINTER(ctypes.c_uint32))]


@pytest.fixture(scope="module")
def exit_lib(tmp_path_factory):
    so = tmp_path_factory.mktemp("exit") / "libee_exit.so"
    subprocess.run(["gcc", *WARN, "-O2", "-fPIC", "-shared", f"-I{FIRMWARE / 'include'}", "-o", str(so),
                    str(FIRMWARE / "runtime" / "ee_exit.c")], check=True)
    lib = ctypes.CDLL(str(so))
    lib.ee_ln_q16.argtypes = [ctypes.c_uint32]
    lib.ee_ln_q16.restype = ctypes.c_int32
    lib.ee_should_exit.argtypes = [ctypes.POINTER(ExitTest), ctypes.POINTER(ctypes.c_int8), ctypes.c_int32]
    lib.ee_should_exit.restype = ctypes.c_int
    return lib


def c_decision(lib, test, logits: np.ndarray) -> bool:
    exp = np.ascontiguousarray(test.exp_table, dtype=np.uint32)
    xexp = np.ascontiguousarray(test.xexp_table, dtype=np.uint32)
    t = ExitTest(MEASURE_ENUM[test.measure], test.threshold_q, exp.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
                 xexp.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)))
    q = np.ascontiguousarray(logits, dtype=np.int8)
    return bool(lib.ee_should_exit(ctypes.byref(t), q.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)), q.size))


def test_ln_q16_matches_python(exit_lib):
    rng = np.random.default_rng(0)
    values = [1, 2, 3, 255, 256, 257, 65535, 65536, 65537, (1 << 24) - 1, 1 << 24, (1 << 31) - 1, (1 << 32) - 1]
    values += [int(v) for v in rng.integers(1, 1 << 32, 3000, dtype=np.uint64)]
    values += [int(v) for v in rng.integers(1, 1 << 20, 3000)]
    for s in values:
        assert exit_lib.ee_ln_q16(s) == ln_q16(s), s


@settings(max_examples=600, deadline=None)
@given(measure=st.sampled_from(MEASURES),
       scale=st.floats(0.005, 0.6),
       threshold_frac=st.floats(0.0, 1.0),
       logits=st.lists(st.integers(-128, 127), min_size=1, max_size=24))
def test_c_decision_equals_python(exit_lib, measure, scale, threshold_frac, logits):
    n = len(logits)
    top = 1.0 if measure == "margin" else max(np.log(max(n, 2)), 1e-3)
    test = make_int_exit_test(measure, threshold_frac * top, scale)
    q = np.array(logits, dtype=np.int8)
    assert c_decision(exit_lib, test, q) == int_should_exit(test, q)


def test_decisions_on_peaked_and_flat_logits(exit_lib):
    """Both outcomes occur, so the equality above is not vacuous: a peaked row exits, a flat one does not."""
    peaked = np.array([100, -100, -100, -100, -90, -110, -128, -128, -128, -128], np.int8)
    flat = np.zeros(10, np.int8)
    for measure, t in (("entropy", 0.5), ("neglogpmax", 0.3), ("margin", 0.5)):
        test = make_int_exit_test(measure, t, 0.1)
        assert c_decision(exit_lib, test, peaked) and int_should_exit(test, peaked)
        assert not c_decision(exit_lib, test, flat) and not int_should_exit(test, flat)
