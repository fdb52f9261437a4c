/* The integer exit test: the C twin of edge_ee/exits.py (int_should_exit, ln_q16), decision for decision.
 * Module docstring of exits.py has the derivation; DESIGN.md section 1 the idea. No floating point. */
#include "ee_exit.h"

#define EE_Q 16
#define EE_ONE ((int64_t)1 << EE_Q)
#define EE_LN2_Q16 45426

/* log2(1 + i/256) in Q16 (edge_ee.exits.LOG2_FRAC). */
static const int32_t ee_log2_frac[256] = {
        0,   369,   736,  1102,  1466,  1829,  2190,  2551,
     2909,  3267,  3623,  3978,  4331,  4683,  5034,  5384,
     5732,  6079,  6425,  6769,  7112,  7454,  7795,  8134,
     8473,  8810,  9146,  9480,  9814, 10146, 10477, 10807,
    11136, 11464, 11791, 12116, 12440, 12764, 13086, 13407,
    13727, 14046, 14363, 14680, 14996, 15310, 15624, 15937,
    16248, 16559, 16868, 17177, 17484, 17791, 18096, 18401,
    18704, 19007, 19308, 19609, 19909, 20207, 20505, 20802,
    21098, 21393, 21687, 21980, 22272, 22564, 22854, 23144,
    23433, 23720, 24007, 24293, 24579, 24863, 25146, 25429,
    25711, 25992, 26272, 26551, 26830, 27108, 27384, 27660,
    27936, 28210, 28484, 28757, 29029, 29300, 29571, 29840,
    30109, 30378, 30645, 30912, 31178, 31443, 31707, 31971,
    32234, 32496, 32758, 33019, 33279, 33538, 33797, 34055,
    34312, 34569, 34825, 35080, 35334, 35588, 35841, 36094,
    36346, 36597, 36847, 37097, 37346, 37595, 37842, 38090,
    38336, 38582, 38827, 39072, 39316, 39559, 39802, 40044,
    40286, 40527, 40767, 41006, 41246, 41484, 41722, 41959,
    42196, 42432, 42667, 42902, 43137, 43370, 43603, 43836,
    44068, 44300, 44530, 44761, 44990, 45220, 45448, 45676,
    45904, 46131, 46357, 46583, 46809, 47034, 47258, 47482,
    47705, 47928, 48150, 48372, 48593, 48813, 49034, 49253,
    49472, 49691, 49909, 50127, 50344, 50560, 50776, 50992,
    51207, 51422, 51636, 51850, 52063, 52276, 52488, 52700,
    52911, 53122, 53332, 53542, 53751, 53960, 54169, 54377,
    54584, 54791, 54998, 55204, 55410, 55615, 55820, 56025,
    56229, 56432, 56635, 56838, 57040, 57242, 57443, 57644,
    57845, 58045, 58245, 58444, 58643, 58841, 59039, 59237,
    59434, 59631, 59827, 60023, 60219, 60414, 60609, 60803,
    60997, 61190, 61384, 61576, 61769, 61961, 62152, 62343,
    62534, 62725, 62915, 63104, 63294, 63483, 63671, 63859,
    64047, 64234, 64421, 64608, 64794, 64980, 65166, 65351,
};

int32_t ee_ln_q16(uint32_t s)
{
    int msb = 31;
    uint32_t frac;
    int64_t log2_q16;
    if (s == 0) {
        return EE_INT32_MIN_VALUE;
    }
    while ((s & ((uint32_t)1 << msb)) == 0) {
        --msb;
    }
    frac = msb < 8 ? ((s << 8) >> msb) & 0xFFu : (s >> (msb - 8)) & 0xFFu;
    log2_q16 = (int64_t)(msb - EE_Q) * EE_ONE + ee_log2_frac[frac];
    /* Rounds toward zero on both sides, exactly as ln_q16 in Python. */
    return log2_q16 >= 0 ? (int32_t)((log2_q16 * EE_LN2_Q16) >> EE_Q)
                         : (int32_t) - ((-log2_q16 * EE_LN2_Q16) >> EE_Q);
}

int ee_should_exit(const ee_exit_test *test, const int8_t *logits, int32_t n)
{
    int32_t qmax = -128;
    int64_t s = 0;
    for (int32_t j = 0; j < n; ++j) {
        qmax = logits[j] > qmax ? logits[j] : qmax;
    }
    for (int32_t j = 0; j < n; ++j) {
        s += test->exp_table[qmax - logits[j]];
    }
    if (test->measure == EE_MEASURE_NEGLOGPMAX) {
        return s < (int64_t)test->threshold_q;
    }
    if (test->measure == EE_MEASURE_MARGIN) {
        /* Second-smallest distance to the maximum: 0 when the maximum is tied. */
        int64_t e2 = 0;
        if (n > 1) {
            int32_t d1 = 256, d2 = 256;
            for (int32_t j = 0; j < n; ++j) {
                const int32_t d = qmax - logits[j];
                if (d < d1) {
                    d2 = d1;
                    d1 = d;
                } else if (d < d2) {
                    d2 = d;
                }
            }
            e2 = test->exp_table[d2];
        }
        return EE_ONE * (EE_ONE - e2) > (int64_t)test->threshold_q * s;
    }
    {
        int64_t a = 0;
        for (int32_t j = 0; j < n; ++j) {
            a += test->xexp_table[qmax - logits[j]];
        }
        /* a, s >= 0: C division equals Python's floor division here. */
        const int64_t h_q16 = (a * EE_ONE) / s + ee_ln_q16((uint32_t)s);
        return h_q16 < (int64_t)test->threshold_q;
    }
}
