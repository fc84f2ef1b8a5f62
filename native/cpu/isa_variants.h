// Per-function ISA variants for code written once with GCC vector extensions.
#pragma once

// CN_ISA_VARIANTS(name, (params), (args)) defines name##Generic, name##Avx2 and name##Avx512: the
// body name##Body (declared CN_ALWAYS_INLINE, as must be every helper it calls) compiled three times
// with per-function target attributes, so the 16-lane vector code becomes zmm, ymm or xmm code and
// activeIsa() — not only the CPU — chooses which runs (tests cover every path; the generic one gives
// the same bits as on a CPU without AVX). Only functions that the dispatch calls get ISA flags.
#define CN_ALWAYS_INLINE __attribute__((always_inline)) inline
#define CN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define CN_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#define CN_ISA_VARIANTS(NAME, PARAMS, ARGS)                          \
  void NAME##Generic PARAMS { NAME##Body ARGS; }                     \
  CN_TARGET_AVX2 void NAME##Avx2 PARAMS { NAME##Body ARGS; }         \
  CN_TARGET_AVX512 void NAME##Avx512 PARAMS { NAME##Body ARGS; }
// The same, with the body a template instantiated per ISA with its own argument (a vector type and a
// register tile that fits that ISA's register file): NAME##Body<GEN>, <AVX2>, <AVX512>.
#define CN_ISA_VARIANTS_T(NAME, PARAMS, ARGS, GEN, AVX2, AVX512)              \
  void NAME##Generic PARAMS { NAME##Body<GEN> ARGS; }                         \
  CN_TARGET_AVX2 void NAME##Avx2 PARAMS { NAME##Body<AVX2> ARGS; }            \
  CN_TARGET_AVX512 void NAME##Avx512 PARAMS { NAME##Body<AVX512> ARGS; }
