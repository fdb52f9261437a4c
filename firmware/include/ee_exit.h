/* The integer early-exit test (edge_ee/exits.py, DESIGN.md section 1), shared by the generated code and its
 * host twin. An input leaves at exit k when the uncertainty of its int8 logits is below the exit's threshold;
 * the decision uses only integers: Q16 tables of exp(-scale * d) for the 256 possible distances d to the row
 * maximum, emitted by the generator for each exit's logit scale. */
#ifndef EE_EXIT_H
#define EE_EXIT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EE_INT32_MIN_VALUE (-2147483647 - 1)

typedef enum {
    EE_MEASURE_ENTROPY = 0,    /* H(p) < T */
    EE_MEASURE_NEGLOGPMAX = 1, /* -ln max p < T */
    EE_MEASURE_MARGIN = 2      /* 1 - (p1 - p2) < T */
} ee_measure;

typedef struct {
    int32_t measure;          /* ee_measure */
    int32_t threshold_q;      /* edge_ee.exits.threshold_q(measure, T) */
    const uint32_t *exp_table;  /* 256 entries: round(2^16 exp(-s d)) */
    const uint32_t *xexp_table; /* 256 entries: round(2^16 s d exp(-s d)) (entropy; else may be all zero) */
} ee_exit_test;

/* ln(s / 2^16) in Q16 for s >= 1 (rounded toward zero), identical to edge_ee.exits.ln_q16. */
int32_t ee_ln_q16(uint32_t s);

/* 1 when the input should leave at this exit, 0 otherwise. logits: n int8 values (n >= 1). */
int ee_should_exit(const ee_exit_test *test, const int8_t *logits, int32_t n);

#ifdef __cplusplus
}
#endif

#endif /* EE_EXIT_H */
