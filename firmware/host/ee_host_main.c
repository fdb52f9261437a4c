/* Host driver of a generated model, for sanitizer runs and instruction counting (valgrind/callgrind).
 *
 *   ee_host infer [--full] < samples > records   each sample: EE_INPUT_SIZE int8 bytes; each record:
 *                                                 int32 exit_stage, int32 predicted,
 *                                                 EE_NUM_STAGES x EE_NUM_CLASSES int8 exit logits (0 if not run)
 *   ee_host stages < samples > records           runs ee_run_stage 0..K-1 as a chain; each record: for every
 *                                                 stage its logits then its features bytes
 *   ee_host repeat N < sample                    N inferences of one sample at full depth, no output
 *
 * Exit status 0 on success, 1 on bad usage or input, 2 when the library returns an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ee_model.h"

static int read_sample(int8_t *buf)
{
    return fread(buf, 1, EE_INPUT_SIZE, stdin) == EE_INPUT_SIZE;
}

static int run_infer(int force_full)
{
    static int8_t input[EE_INPUT_SIZE];
    ee_result_t r;
    while (read_sample(input)) {
        int32_t head[2];
        memset(&r, 0, sizeof r);
        if (ee_infer(input, force_full, &r) < 0) {
            return 2;
        }
        head[0] = r.exit_stage;
        head[1] = r.predicted;
        fwrite(head, sizeof head, 1, stdout);
        fwrite(r.exit_logits, sizeof r.exit_logits, 1, stdout);
    }
    return 0;
}

static int run_stages(void)
{
    static int8_t input[EE_INPUT_SIZE];
    int32_t largest = EE_INPUT_SIZE;
    for (int k = 0; k < EE_NUM_STAGES; ++k) {
        for (int w = 0; w < 3; ++w) {
            largest = ee_stage_size(k, w) > largest ? ee_stage_size(k, w) : largest;
        }
    }
    int8_t *cur = malloc((size_t)largest);
    int8_t *logits = malloc((size_t)largest);
    int8_t *features = malloc((size_t)largest);
    int rc = 0;
    if (cur == NULL || logits == NULL || features == NULL) {
        rc = 1;
    }
    while (rc == 0 && read_sample(input)) {
        memcpy(cur, input, EE_INPUT_SIZE);
        for (int k = 0; k < EE_NUM_STAGES && rc == 0; ++k) {
            if (ee_run_stage(k, cur, logits, features) != 0) {
                rc = 2;
                break;
            }
            fwrite(logits, 1, (size_t)ee_stage_size(k, 1), stdout);
            fwrite(features, 1, (size_t)ee_stage_size(k, 2), stdout);
            memcpy(cur, features, (size_t)ee_stage_size(k, 2));
        }
    }
    free(cur);
    free(logits);
    free(features);
    return rc;
}

static int run_repeat(long n)
{
    static int8_t input[EE_INPUT_SIZE];
    ee_result_t r;
    if (!read_sample(input)) {
        return 1;
    }
    for (long i = 0; i < n; ++i) {
        if (ee_infer(input, 1, &r) < 0) {
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (ee_init() != 0) {
        return 2;
    }
    if (argc >= 2 && strcmp(argv[1], "infer") == 0) {
        return run_infer(argc >= 3 && strcmp(argv[2], "--full") == 0);
    }
    if (argc >= 2 && strcmp(argv[1], "stages") == 0) {
        return run_stages();
    }
    if (argc >= 3 && strcmp(argv[1], "repeat") == 0) {
        return run_repeat(strtol(argv[2], NULL, 10));
    }
    fprintf(stderr, "usage: ee_host infer [--full] | stages | repeat N  (samples on stdin)\n");
    return 1;
}
