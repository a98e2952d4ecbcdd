#ifndef CGEMM_H
#define CGEMM_H

/// ovseg's own single-precision GEMM with a fixed order of arithmetic.
///
/// Every element of the product is one chain of fused multiply-adds over k in
/// increasing order, starting from +0, followed by the alpha/beta step:
///
///     s = 0;  for p in 0..<k: s = fma(A[i,p], B[p,j], s)
///     t = (alpha == 1) ? s : alpha * s
///     C[i,j] = (beta == 0) ? t : (beta == 1) ? C[i,j] + t : beta * C[i,j] + t
///
/// Each fma and each product or sum is one IEEE-754 rounding, so the bits of
/// the result depend only on the inputs: not on the CPU, the vector width, the
/// blocking, how a caller splits the product, or the thread count. The scalar,
/// AVX2 and AVX-512 paths below compute exactly the same values (docs/reproducibility.md).

typedef enum {
    /// Portable C with fmaf (correctly rounded everywhere; slow).
    CGEMM_PATH_SCALAR = 0,
    /// 6×16 micro-kernel on 256-bit FMA registers.
    CGEMM_PATH_AVX2 = 1,
    /// 12×32 micro-kernel on 512-bit FMA registers.
    CGEMM_PATH_AVX512 = 2,
} cgemm_path;

/// The fastest path this CPU and operating system support.
cgemm_path cgemm_best_path(void);

/// Whether `path` can run here.
int cgemm_path_supported(cgemm_path path);

/// `C = alpha · op(A) · op(B) + beta · C` on one thread, row-major; `op(A)` is
/// m×k and `op(B)` is k×n; leading dimensions are the row strides of the stored
/// matrices. Uses per-thread packing buffers (allocated once per thread).
/// Returns 0, or -1 when a buffer could not be allocated (C is then untouched).
int cgemm_sgemm(cgemm_path path, int transpose_a, int transpose_b,
                long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb,
                float beta, float *c, long ldc);

/// The CPU's brand string (e.g. "AMD EPYC 9B45"), NUL-terminated, into `buffer`
/// of at least 49 bytes; an empty string where the CPU does not report one.
void cgemm_cpu_brand(char *buffer);

/// The x86-64 micro-architecture level this CPU and OS support: 1, 2, 3 (AVX2,
/// FMA, BMI…) or 4 (AVX-512 F/BW/CD/DQ/VL); 0 when unknown (not x86-64).
int cgemm_isa_level(void);

#endif
