// ovseg's reproducible SGEMM (see include/cgemm.h for the arithmetic it promises).
//
// Blocking follows the usual packed design: a group of up to GROUP_ROWS rows of
// C and NC columns is accumulated in a per-thread scratch tile over blocks of KC
// inner indices; each block packs NC columns of op(B) into NR-wide strips and
// MC rows of op(A) into MR-tall strips, and a register-tiled micro-kernel adds
// the block to the scratch tile. Carrying the partial sums from one k block to
// the next in float changes nothing: each element still sees the same chain of
// fmas in the same order. Only after the last block is alpha/beta applied to C.

#include "cgemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

// No contraction of a*b+c into fma (or the reverse) anywhere in this file: the
// fmas are explicit, everything else is separately rounded.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

enum {
    KC = 256,          // inner indices per packed block
    MC = 96,           // rows per packed block of A (a multiple of both MRs)
    NC = 256,          // columns per packed block of B (a multiple of both NRs)
    GROUP_ROWS = 384,  // rows of C accumulated together (a multiple of MC)
    MAX_MR = 12,
    MAX_NR = 32,
};

// MARK: - CPU features

#if defined(__x86_64__)
static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

typedef struct {
    int avx2_fma;
    int avx512;
    int level;
} features;

static features detect(void) {
    features f = {0, 0, 1};
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    int sse3 = (c >> 0) & 1, ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1, sse42 = (c >> 20) & 1;
    int popcnt = (c >> 23) & 1, cx16 = (c >> 13) & 1;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, movbe = (c >> 22) & 1, f16c = (c >> 29) & 1;
    unsigned int a1, b1, c1, d1;
    int lahf = 0, abm = 0;
    if (__get_cpuid(0x80000001, &a1, &b1, &c1, &d1)) {
        lahf = c1 & 1;
        abm = (c1 >> 5) & 1;
    }
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    int ymm_state = (xcr0 & 0x6) == 0x6;
    int zmm_state = ymm_state && (xcr0 & 0xE0) == 0xE0;
    unsigned int b7 = 0, c7 = 0, d7 = 0, a7 = 0;
    if (__get_cpuid_max(0, 0) >= 7) __cpuid_count(7, 0, a7, b7, c7, d7);
    int avx2 = (b7 >> 5) & 1, bmi1 = (b7 >> 3) & 1, bmi2 = (b7 >> 8) & 1;
    int avx512f = (b7 >> 16) & 1, avx512dq = (b7 >> 17) & 1, avx512cd = (b7 >> 28) & 1;
    int avx512bw = (b7 >> 30) & 1, avx512vl = (b7 >> 31) & 1;
    f.avx2_fma = avx && avx2 && fma && ymm_state;
    f.avx512 = f.avx2_fma && avx512f && zmm_state;
    if (cx16 && lahf && popcnt && sse3 && ssse3 && sse41 && sse42) {
        f.level = 2;
        if (f.avx2_fma && bmi1 && bmi2 && f16c && abm && movbe) {
            f.level = 3;
            if (f.avx512 && avx512bw && avx512cd && avx512dq && avx512vl) f.level = 4;
        }
    }
    return f;
}
#endif

cgemm_path cgemm_best_path(void) {
#if defined(__x86_64__)
    features f = detect();
    if (f.avx512) return CGEMM_PATH_AVX512;
    if (f.avx2_fma) return CGEMM_PATH_AVX2;
#endif
    return CGEMM_PATH_SCALAR;
}

int cgemm_path_supported(cgemm_path path) {
    switch (path) {
    case CGEMM_PATH_SCALAR: return 1;
#if defined(__x86_64__)
    case CGEMM_PATH_AVX2: return detect().avx2_fma;
    case CGEMM_PATH_AVX512: return detect().avx512;
#endif
    default: return 0;
    }
}

int cgemm_isa_level(void) {
#if defined(__x86_64__)
    return detect().level;
#else
    return 0;
#endif
}

void cgemm_cpu_brand(char *buffer) {
    buffer[0] = 0;
#if defined(__x86_64__)
    unsigned int regs[12];
    if (__get_cpuid_max(0x80000000, 0) < 0x80000004) return;
    for (unsigned int leaf = 0; leaf < 3; leaf++) {
        __get_cpuid(0x80000002 + leaf, &regs[4 * leaf], &regs[4 * leaf + 1], &regs[4 * leaf + 2], &regs[4 * leaf + 3]);
    }
    memcpy(buffer, regs, 48);
    buffer[48] = 0;
    // Trim the padding some CPUs put around the name.
    char *start = buffer;
    while (*start == ' ') start++;
    size_t length = strlen(start);
    while (length > 0 && start[length - 1] == ' ') length--;
    memmove(buffer, start, length);
    buffer[length] = 0;
#endif
}

// MARK: - Packing

// op(A)[i, p] for rows i0 ..< i0+rows and inner indices p0 ..< p0+kc, into
// strips of mr rows: strip s holds dst[s*kc*mr + p*mr + r]; rows past `rows` are 0.
static void pack_a(const float *a, long lda, int trans, long i0, long rows, long p0, long kc, int mr, float *dst) {
    for (long s = 0; s < rows; s += mr) {
        long height = rows - s < mr ? rows - s : mr;
        float *strip = dst + s * kc;
        if (!trans) {
            for (long r = 0; r < height; r++) {
                const float *src = a + (i0 + s + r) * lda + p0;
                for (long p = 0; p < kc; p++) strip[p * mr + r] = src[p];
            }
        } else {
            for (long p = 0; p < kc; p++) {
                const float *src = a + (p0 + p) * lda + i0 + s;
                for (long r = 0; r < height; r++) strip[p * mr + r] = src[r];
            }
        }
        for (long r = height; r < mr; r++) {
            for (long p = 0; p < kc; p++) strip[p * mr + r] = 0;
        }
    }
}

#if defined(__x86_64__)
// dst[p*stride + r] = src[r*ld + p] for r < 8, p < kc: eight rows of B (columns of op(B))
// transposed 8×8 at a time in AVX registers (data movement only: no arithmetic).
__attribute__((target("avx2")))
static void transpose_8_rows(const float *src, long ld, long kc, float *dst, long stride) {
    long p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 r0 = _mm256_loadu_ps(src + 0 * ld + p), r1 = _mm256_loadu_ps(src + 1 * ld + p);
        __m256 r2 = _mm256_loadu_ps(src + 2 * ld + p), r3 = _mm256_loadu_ps(src + 3 * ld + p);
        __m256 r4 = _mm256_loadu_ps(src + 4 * ld + p), r5 = _mm256_loadu_ps(src + 5 * ld + p);
        __m256 r6 = _mm256_loadu_ps(src + 6 * ld + p), r7 = _mm256_loadu_ps(src + 7 * ld + p);
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
        __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
        __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
        __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *d = dst + p * stride;
        _mm256_storeu_ps(d + 0 * stride, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(d + 1 * stride, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(d + 2 * stride, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(d + 3 * stride, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(d + 4 * stride, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(d + 5 * stride, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(d + 6 * stride, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(d + 7 * stride, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
    for (; p < kc; p++) {
        for (long r = 0; r < 8; r++) dst[p * stride + r] = src[r * ld + p];
    }
}
#endif

// op(B)[p, j] for p0 ..< p0+kc and columns j0 ..< j0+cols, into strips of nr
// columns: strip s holds dst[s*kc*nr + p*nr + j]; columns past `cols` are 0.
static void pack_b(const float *b, long ldb, int trans, long p0, long kc, long j0, long cols, int nr, float *dst,
                   int fast_transpose) {
    for (long s = 0; s < cols; s += nr) {
        long width = cols - s < nr ? cols - s : nr;
        float *strip = dst + s * kc;
        if (!trans) {
            for (long p = 0; p < kc; p++) {
                const float *src = b + (p0 + p) * ldb + j0 + s;
                float *row = strip + p * nr;
                for (long j = 0; j < width; j++) row[j] = src[j];
                for (long j = width; j < nr; j++) row[j] = 0;
            }
        } else {
            long j = 0;
#if defined(__x86_64__)
            if (fast_transpose) {
                for (; j + 8 <= width; j += 8) transpose_8_rows(b + (j0 + s + j) * ldb + p0, ldb, kc, strip + j, nr);
            }
#endif
            for (; j < width; j++) {
                const float *src = b + (j0 + s + j) * ldb + p0;
                for (long p = 0; p < kc; p++) strip[p * nr + j] = src[p];
            }
            for (long j = width; j < nr; j++) {
                for (long p = 0; p < kc; p++) strip[p * nr + j] = 0;
            }
        }
    }
}

// MARK: - Micro-kernels
// acc[r*ldacc + j] (r < mr, j < nr) = (first ? +0 : acc) followed by one fma per p, with
// A[r, p] at a[r*rs + p*cs]: a packed strip (rs = 1, cs = mr) or A in place (a full strip of
// rows read where they are, which saves packing A at all).

static void kernel_scalar(long kc, const float *a, long rs, long cs, const float *pb, float *acc, long ldacc, int first) {
    enum { MR = 6, NR = 16 };
    float t[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) t[r][j] = first ? 0.0f : acc[r * ldacc + j];
    for (long p = 0; p < kc; p++) {
        for (int r = 0; r < MR; r++) {
            float x = a[r * rs + p * cs];
            for (int j = 0; j < NR; j++) t[r][j] = fmaf(x, pb[p * NR + j], t[r][j]);
        }
    }
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) acc[r * ldacc + j] = t[r][j];
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void kernel_avx2(long kc, const float *a, long rs, long cs, const float *pb, float *acc, long ldacc, int first) {
    const float *a0 = a, *a3 = a + 3 * rs;
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (first) {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    } else {
        c00 = _mm256_loadu_ps(acc + 0 * ldacc), c01 = _mm256_loadu_ps(acc + 0 * ldacc + 8);
        c10 = _mm256_loadu_ps(acc + 1 * ldacc), c11 = _mm256_loadu_ps(acc + 1 * ldacc + 8);
        c20 = _mm256_loadu_ps(acc + 2 * ldacc), c21 = _mm256_loadu_ps(acc + 2 * ldacc + 8);
        c30 = _mm256_loadu_ps(acc + 3 * ldacc), c31 = _mm256_loadu_ps(acc + 3 * ldacc + 8);
        c40 = _mm256_loadu_ps(acc + 4 * ldacc), c41 = _mm256_loadu_ps(acc + 4 * ldacc + 8);
        c50 = _mm256_loadu_ps(acc + 5 * ldacc), c51 = _mm256_loadu_ps(acc + 5 * ldacc + 8);
    }
    for (long p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8);
        __m256 x;
        x = _mm256_broadcast_ss(a0); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a0 + rs); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a0 + 2 * rs); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a3); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a3 + rs); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a3 + 2 * rs); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
        a0 += cs;
        a3 += cs;
        pb += 16;
    }
    _mm256_storeu_ps(acc + 0 * ldacc, c00), _mm256_storeu_ps(acc + 0 * ldacc + 8, c01);
    _mm256_storeu_ps(acc + 1 * ldacc, c10), _mm256_storeu_ps(acc + 1 * ldacc + 8, c11);
    _mm256_storeu_ps(acc + 2 * ldacc, c20), _mm256_storeu_ps(acc + 2 * ldacc + 8, c21);
    _mm256_storeu_ps(acc + 3 * ldacc, c30), _mm256_storeu_ps(acc + 3 * ldacc + 8, c31);
    _mm256_storeu_ps(acc + 4 * ldacc, c40), _mm256_storeu_ps(acc + 4 * ldacc + 8, c41);
    _mm256_storeu_ps(acc + 5 * ldacc, c50), _mm256_storeu_ps(acc + 5 * ldacc + 8, c51);
}

#define ROW512(r, base, offset)                                                    \
    do {                                                                           \
        __m512 x = _mm512_set1_ps(base[offset]);                                   \
        c[r][0] = _mm512_fmadd_ps(x, b0, c[r][0]);                                 \
        c[r][1] = _mm512_fmadd_ps(x, b1, c[r][1]);                                 \
    } while (0)

__attribute__((target("avx512f")))
static void kernel_avx512(long kc, const float *a, long rs, long cs, const float *pb, float *acc, long ldacc, int first) {
    // Four row pointers and offsets 0, rs, 2·rs keep the twelve addresses in few registers.
    const float *a0 = a, *a3 = a + 3 * rs, *a6 = a + 6 * rs, *a9 = a + 9 * rs;
    const long rs2 = 2 * rs;
    __m512 c[12][2];
    for (int r = 0; r < 12; r++) {
        c[r][0] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + r * ldacc);
        c[r][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + r * ldacc + 16);
    }
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16);
        ROW512(0, a0, 0); ROW512(1, a0, rs); ROW512(2, a0, rs2);
        ROW512(3, a3, 0); ROW512(4, a3, rs); ROW512(5, a3, rs2);
        ROW512(6, a6, 0); ROW512(7, a6, rs); ROW512(8, a6, rs2);
        ROW512(9, a9, 0); ROW512(10, a9, rs); ROW512(11, a9, rs2);
        a0 += cs, a3 += cs, a6 += cs, a9 += cs;
        pb += 32;
    }
    for (int r = 0; r < 12; r++) {
        _mm512_storeu_ps(acc + r * ldacc, c[r][0]);
        _mm512_storeu_ps(acc + r * ldacc + 16, c[r][1]);
    }
}
#undef ROW512
#endif

// MARK: - Driver

typedef void (*kernel_fn)(long, const float *, long, long, const float *, float *, long, int);

typedef struct {
    float *packed_a;  // MC × KC
    float *packed_b;  // KC × NC
    float *scratch;   // GROUP_ROWS × NC partial sums
} buffers;

static _Thread_local buffers thread_buffers;

static int ensure_buffers(void) {
    if (thread_buffers.scratch) return 0;
    float *a = aligned_alloc(64, sizeof(float) * MC * KC);
    float *b = aligned_alloc(64, sizeof(float) * KC * NC);
    float *s = aligned_alloc(64, sizeof(float) * GROUP_ROWS * NC);
    if (!a || !b || !s) {
        free(a), free(b), free(s);
        return -1;
    }
    thread_buffers = (buffers){a, b, s};
    return 0;
}

// C[rows, cols] from the finished sums (see the header for the exact steps).
static void finish(const float *scratch, long rows, long cols, float alpha, float beta, float *c, long ldc) {
    for (long i = 0; i < rows; i++) {
        const float *s = scratch + i * NC;
        float *row = c + i * ldc;
        for (long j = 0; j < cols; j++) {
            float t = alpha == 1.0f ? s[j] : alpha * s[j];
            if (beta == 0.0f) row[j] = t;
            else if (beta == 1.0f) row[j] = row[j] + t;
            else row[j] = beta * row[j] + t;
        }
    }
}

int cgemm_sgemm(cgemm_path path, int transpose_a, int transpose_b,
                long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb,
                float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return 0;
    if (ensure_buffers() != 0) return -1;
    kernel_fn kernel = kernel_scalar;
    int mr = 6, nr = 16;
#if defined(__x86_64__)
    if (path == CGEMM_PATH_AVX512) kernel = kernel_avx512, mr = 12, nr = 32;
    else if (path == CGEMM_PATH_AVX2) kernel = kernel_avx2;
#endif
    float *packed_a = thread_buffers.packed_a, *packed_b = thread_buffers.packed_b;
    float *scratch = thread_buffers.scratch;
    for (long i0 = 0; i0 < m; i0 += GROUP_ROWS) {
        long group = m - i0 < GROUP_ROWS ? m - i0 : GROUP_ROWS;
        for (long j0 = 0; j0 < n; j0 += NC) {
            long cols = n - j0 < NC ? n - j0 : NC;
            long strips = (cols + nr - 1) / nr;
            if (k <= 0) memset(scratch, 0, sizeof(float) * group * NC);
            for (long p0 = 0; p0 < k; p0 += KC) {
                long kc = k - p0 < KC ? k - p0 : KC;
                pack_b(b, ldb, transpose_b, p0, kc, j0, cols, nr, packed_b, path != CGEMM_PATH_SCALAR);
                for (long r0 = 0; r0 < group; r0 += MC) {
                    long rows = group - r0 < MC ? group - r0 : MC;
                    // Full strips of mr rows are read in place; a last partial strip is
                    // packed with zero rows (they land in the scratch tile's spare rows:
                    // GROUP_ROWS is a multiple of MC, MC of mr).
                    long full = rows / mr * mr;
                    if (full < rows) pack_a(a, lda, transpose_a, i0 + r0 + full, rows - full, p0, kc, mr, packed_a);
                    long rs = transpose_a ? 1 : lda, cs = transpose_a ? lda : 1;
                    for (long s = 0; s < strips; s++) {
                        const float *pb = packed_b + s * kc * nr;
                        float *tile = scratch + r0 * NC + s * nr;
                        for (long r = 0; r < full; r += mr) {
                            long i = i0 + r0 + r;
                            const float *strip = transpose_a ? a + p0 * lda + i : a + i * lda + p0;
                            kernel(kc, strip, rs, cs, pb, tile + r * NC, NC, p0 == 0);
                        }
                        if (full < rows) kernel(kc, packed_a, 1, mr, pb, tile + full * NC, NC, p0 == 0);
                    }
                }
            }
            finish(scratch, group, cols, alpha, beta, c + i0 * ldc + j0, ldc);
        }
    }
    return 0;
}
