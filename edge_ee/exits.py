"""The exit test: one definition, used by training-time evaluation (float logits), the host runner and the
generated C (int8 logits), and the reports.

Every measure is an *uncertainty* u; an input leaves at exit k when u < T_k (the final exit always takes it):
  - `entropy`:    H(p) = -sum p_j ln p_j                    (0 .. ln N)
  - `neglogpmax`: -ln max_j p_j                               (0 .. ln N)
  - `margin`:     1 - (p_(1) - p_(2)), top-1 minus top-2      (0 .. 1)
None of them looks at the label.

Integer form (DESIGN.md section 1). For int8 logits q with scale s, p_j = e_j / S with e_j = exp(-s d_j),
d_j = q_max - q_j in 0..255 and S = sum_j e_j. With E[d] = round(2^16 exp(-s d)):
  neglogpmax < T  <=>  S < exp(T)          <=>  sum_j E[d_j] < round(2^16 exp(T))
  margin     < T  <=>  1 - e_(2) > (1 - T) S  <=>  2^16 (2^16 - E[d_(2)]) > round(2^16 (1 - T)) * sum_j E[d_j]
  entropy    < T  <=>  A / S + ln S < T,  A = sum_j G[d_j], G[d] = round(2^16 s d exp(-s d)),
                       ln S from the integer log below, all in Q16 fixed point.
The tables depend only on the exit's logit scale; the generator emits them as constants, the host computes them
with the same function, so host and device decide identically, bit for bit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edge_ee.errors import ConfigError, UnknownName

MEASURES = ("entropy", "neglogpmax", "margin")
Q = 16
ONE = 1 << Q
INT32_MAX = (1 << 31) - 1
# log2(1 + i/256) in Q16, for the integer natural log.
LOG2_FRAC = np.array([round(ONE * math.log2(1 + i / 256)) for i in range(256)], dtype=np.int64)
LN2_Q16 = round(ONE * math.log(2))


def check_measure(measure: str) -> str:
    if measure not in MEASURES:
        raise UnknownName("confidence measure", measure, MEASURES)
    return measure


# ---------------------------------------------------------------- float (training, evaluation, calibration)

def uncertainty(logits: np.ndarray, measure: str) -> np.ndarray:
    """Uncertainty per row of float logits (N, C)."""
    check_measure(measure)
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1)
    if measure == "neglogpmax":
        return np.log(s)
    p = e / s[:, None]
    if measure == "entropy":
        return -(p * np.log(np.clip(p, 1e-30, None))).sum(axis=1)
    top2 = np.sort(p, axis=1)[:, -2:] if p.shape[1] > 1 else np.concatenate([np.zeros_like(p), p], 1)
    return 1.0 - (top2[:, 1] - top2[:, 0])


def max_uncertainty(measure: str, num_classes: int) -> float:
    return 1.0 if check_measure(measure) == "margin" else math.log(num_classes)


def decide_exits(uncertainties: list[np.ndarray], thresholds) -> np.ndarray:
    """Exit index per input: the first k < K-1 with u_k < T_k, else K-1. `thresholds` has K-1 entries."""
    num_exits = len(uncertainties)
    thresholds = list(thresholds)
    if len(thresholds) != num_exits - 1:
        raise ConfigError(f"{len(thresholds)} thresholds given for a model with {num_exits - 1} early exits",
                          f"give exactly {num_exits - 1} (one per early exit; the final exit takes the rest)")
    n = len(uncertainties[0])
    exit_at = np.full(n, num_exits - 1, dtype=np.int64)
    undecided = np.ones(n, dtype=bool)
    for k, t in enumerate(thresholds):
        take = undecided & (uncertainties[k] < t)
        exit_at[take] = k
        undecided &= ~take
    return exit_at


# ---------------------------------------------------------------- integer (host runner and device)

@dataclass(frozen=True)
class IntExitTest:
    """The integer exit test of one exit: measure, Q16 threshold and the tables for its logit scale."""

    measure: str
    threshold: float
    threshold_q: int  # the integer the device compares against (meaning depends on measure, see module doc)
    exp_table: np.ndarray  # E[d], d = 0..255, uint32
    xexp_table: np.ndarray  # G[d] (entropy only; zeros otherwise)

    def __post_init__(self):
        # Plain-int copies: the per-input decision runs ~10x faster on Python ints than through numpy.
        object.__setattr__(self, "_e", tuple(int(v) for v in self.exp_table))
        object.__setattr__(self, "_g", tuple(int(v) for v in self.xexp_table))
        object.__setattr__(self, "_ln", np.zeros(0, np.int64))

    def ln_table(self, num_classes: int) -> np.ndarray:
        """ln_q16(s) = table[s >> 8] for every sum s this test can see: s = sum_j E[d_j] lies in
        [2^16, num_classes * 2^16] (E[0] = 2^16 is always in it), and from 2^16 up ln_q16 reads no bit below the
        eighth. One lookup instead of the log's dozen array operations."""
        top = num_classes << 8
        if len(self._ln) <= top:
            table = np.zeros(top + 1, np.int64)  # below 256 (s < 2^16) unused
            table[256:] = ln_q16_array(np.arange(256, top + 1, dtype=np.int64) << 8)
            object.__setattr__(self, "_ln", table)
        return self._ln

    def to_manifest(self) -> dict:
        return {"measure": self.measure, "threshold": self.threshold, "threshold_q": self.threshold_q, "q_bits": Q}


def exp_tables(scale: float) -> tuple[np.ndarray, np.ndarray]:
    d = np.arange(256, dtype=np.float64)
    e = np.exp(-scale * d)
    return np.round(ONE * e).astype(np.int64), np.round(ONE * scale * d * e).astype(np.int64)


def threshold_q(measure: str, threshold: float) -> int:
    """The integer-domain threshold as a signed 32-bit value (the device compares in 64 bits)."""
    check_measure(measure)
    if measure == "neglogpmax":
        return int(min(max(round(ONE * math.exp(min(threshold, 30.0))), 0), INT32_MAX))
    if measure == "margin":
        return int(min(max(round(ONE * (1.0 - threshold)), -ONE), ONE))
    return int(min(max(round(ONE * threshold), 0), INT32_MAX))


def make_int_exit_test(measure: str, threshold: float, logit_scale: float) -> IntExitTest:
    e, g = exp_tables(logit_scale)
    if measure != "entropy":
        g = np.zeros_like(g)
    return IntExitTest(check_measure(measure), float(threshold), threshold_q(measure, threshold), e, g)


def ln_q16(s: int) -> int:
    """ln(s / 2^16) in Q16 for s >= 1, from the MSB and a 256-entry log2 table of the next 8 bits.
    Mirrors ee_ln_q16() in the firmware exactly."""
    msb = s.bit_length() - 1
    frac = ((s << 8) >> msb) & 0xFF if msb < 8 else (s >> (msb - 8)) & 0xFF
    log2_q16 = ((msb - Q) << Q) + int(LOG2_FRAC[frac])
    return (log2_q16 * LN2_Q16) >> Q if log2_q16 >= 0 else -((-log2_q16 * LN2_Q16) >> Q)


def int_should_exit(test: IntExitTest, q_logits) -> bool:
    """The device's decision for one row of int8 logits."""
    q = np.asarray(q_logits).ravel().tolist()
    top = max(q)
    e = test._e
    s = sum(e[top - v] for v in q)
    if test.measure == "neglogpmax":
        return s < test.threshold_q
    if test.measure == "margin":
        e2 = e[sorted(top - v for v in q)[1]] if len(q) > 1 else 0  # second-largest (ONE when tied)
        return ONE * (ONE - e2) > test.threshold_q * s
    g = test._g
    a = sum(g[top - v] for v in q)
    h_q16 = (a << Q) // s + ln_q16(s)
    return h_q16 < test.threshold_q


def ln_q16_array(s: np.ndarray) -> np.ndarray:
    """ln_q16 elementwise on int64 s >= 1, equal to it for every s ((s << 8) >> msb is s >> (msb - 8) when
    msb >= 8)."""
    msb = np.frexp(s.astype(np.float64))[1].astype(np.int64) - 1  # exact: s < 2^53
    log2_q16 = ((msb - Q) << Q) + LOG2_FRAC[((s << 8) >> msb) & 0xFF]
    pos = (np.abs(log2_q16) * LN2_Q16) >> Q
    return np.where(log2_q16 >= 0, pos, -pos)


def int_should_exit_batch(test: IntExitTest, q_logits: np.ndarray) -> np.ndarray:
    """`int_should_exit` for every row of (N, C) int8 logits at once: the same integers, the same decisions."""
    q = np.asarray(q_logits).reshape(len(q_logits), -1).astype(np.int64)
    d = q.max(axis=1, keepdims=True) - q
    s = test.exp_table[d].sum(axis=1)
    if test.measure == "neglogpmax":
        return s < test.threshold_q
    if test.measure == "margin":
        e2 = test.exp_table[np.sort(d, axis=1)[:, 1]] if q.shape[1] > 1 else np.zeros(len(q), np.int64)
        return ONE * (ONE - e2) > test.threshold_q * s
    a = test.xexp_table[d].sum(axis=1)
    return (a << Q) // s + test.ln_table(q.shape[1])[s >> 8] < test.threshold_q


def int_uncertainty(test: IntExitTest, q_logits: np.ndarray) -> float:
    """The uncertainty the integer test sees, back in float (for reports only)."""
    q = q_logits.astype(np.int64).ravel()
    d = int(q.max()) - q
    s = int(test.exp_table[d].sum())
    if test.measure == "neglogpmax":
        return math.log(s / ONE)
    if test.measure == "margin":
        e2 = int(test.exp_table[int(np.sort(d)[1])]) if q.size > 1 else 0
        return 1.0 - (ONE - e2) / s
    a = int(test.xexp_table[d].sum())
    return ((a << Q) // s + ln_q16(s)) / ONE
