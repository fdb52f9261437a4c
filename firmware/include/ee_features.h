/* Feature macros, derived once from the compiler's predefined macros.
 *
 * EE_USE_DSP: the Armv7E-M / Armv8-M DSP extension is present (__ARM_FEATURE_DSP, e.g. Cortex-M4, M7, M33,
 * M55); kernels then use dual 16-bit MACs (SMLAD) on sign-extended int8 pairs (SXTB16).
 * EE_USE_MVE: the M-profile vector extension (Helium, __ARM_FEATURE_MVE, e.g. Cortex-M55, M85); kernels that
 * have an MVE path prefer it: 16 int8 MACs per VMLADAVA, 4-lane int32 MACs for depthwise.
 * Define EE_FORCE_REFERENCE to build the pure-C reference path on any target (for A/B measurements).
 * Every path is bit-exact with TFLite Micro's reference kernels: only the order of exact int32 sums differs. */
#ifndef EE_FEATURES_H
#define EE_FEATURES_H

#if defined(__ARM_FEATURE_DSP) && (__ARM_FEATURE_DSP == 1) && !defined(EE_FORCE_REFERENCE)
#define EE_USE_DSP 1
#include <arm_acle.h>
#else
#define EE_USE_DSP 0
#endif

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(EE_FORCE_REFERENCE)
#define EE_USE_MVE 1
#include <arm_mve.h>
#else
#define EE_USE_MVE 0
#endif

#endif /* EE_FEATURES_H */
