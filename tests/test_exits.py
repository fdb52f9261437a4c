"""The exit test: label-free, float and integer forms agreeing."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_ee.errors import ConfigError, UnknownName
from edge_ee.exits import (MEASURES, decide_exits, int_should_exit, int_should_exit_batch, int_uncertainty, ln_q16,
                           ln_q16_array, make_int_exit_test, uncertainty)


def test_uncertainty_measures_on_known_distributions():
    uniform = np.zeros((1, 4))
    certain = np.array([[50.0, 0.0, 0.0, 0.0]])
    assert uncertainty(uniform, "entropy")[0] == pytest.approx(math.log(4))
    assert uncertainty(uniform, "neglogpmax")[0] == pytest.approx(math.log(4))
    assert uncertainty(uniform, "margin")[0] == pytest.approx(1.0)
    for m in MEASURES:
        assert uncertainty(certain, m)[0] == pytest.approx(0.0, abs=1e-9)


def test_decisions_take_the_first_confident_exit_and_never_the_label():
    u = [np.array([0.1, 0.9, 0.9, 0.05]), np.array([0.9, 0.1, 0.9, 0.0]), np.array([0.0, 0.0, 0.0, 0.0])]
    assert decide_exits(u, [0.5, 0.5]).tolist() == [0, 1, 2, 0]
    with pytest.raises(ConfigError, match="give exactly 2"):
        decide_exits(u, [0.5])


def test_unknown_measure_is_named():
    with pytest.raises(UnknownName, match="entropy"):
        uncertainty(np.zeros((1, 3)), "confidence")


@settings(max_examples=300, deadline=None)
@given(q=st.lists(st.integers(-128, 127), min_size=2, max_size=12),
       scale=st.floats(0.01, 0.5), t=st.floats(0.01, 2.0), measure=st.sampled_from(MEASURES))
def test_integer_test_matches_the_float_test_except_within_rounding_of_the_threshold(q, scale, t, measure):
    q = np.array(q)
    test = make_int_exit_test(measure, t, scale)
    u_float = uncertainty((q * scale)[None].astype(np.float64), measure)[0]
    u_int = int_uncertainty(test, q)
    assert abs(u_int - u_float) < 5e-3  # Q16 tables and an 8-bit log mantissa
    if abs(u_float - t) > 5e-3:
        assert int_should_exit(test, q) == (u_float < t)


def test_integer_log_is_monotone_and_close():
    prev = -10**9
    for s in [1, 2, 3, 100, 65535, 65536, 65537, 100000, 655360, 10**7]:
        v = ln_q16(s)
        assert v >= prev
        prev = v
        assert abs(v / 65536 - math.log(s / 65536)) < 6e-3


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(st.integers(-128, 127), min_size=10, max_size=10), min_size=1, max_size=40),
       scale=st.floats(0.005, 0.8), t=st.floats(0.0, 2.5), measure=st.sampled_from(MEASURES))
def test_the_batched_integer_test_decides_every_row_as_the_single_one(rows, scale, t, measure):
    q = np.array(rows, dtype=np.int8)
    test = make_int_exit_test(measure, t, scale)
    assert int_should_exit_batch(test, q).tolist() == [int_should_exit(test, row) for row in q]


def test_the_array_integer_log_equals_the_scalar_one_below_and_above_one():
    s = np.concatenate([np.arange(1, 5000), np.arange(60000, 70000), [655360, 10**7, 2**40]]).astype(np.int64)
    assert ln_q16_array(s).tolist() == [ln_q16(int(v)) for v in s]


def test_the_log_table_of_the_batched_test_is_exact_over_every_sum_it_can_see():
    test = make_int_exit_test("entropy", 0.5, 0.1)
    s = np.arange(1 << 16, (12 << 16) + 1, dtype=np.int64)  # 12 classes: sums from E[0] = 2^16 to 12 * 2^16
    np.testing.assert_array_equal(test.ln_table(12)[s >> 8], ln_q16_array(s))
