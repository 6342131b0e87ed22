#include "CKernels.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__SSE__)
#include <xmmintrin.h>
#endif

void dlrt_adam_update_f32(
  const float *restrict x, float *restrict updated, float *restrict m, float *restrict v,
  const float *restrict g, size_t n, float h, float beta1, float beta2, float epsilon,
  float correction1, float correction2) {
  const float keep1 = 1 - beta1, keep2 = 1 - beta2;
  size_t i = 0;
#if defined(__SSE__)
  const __m128 b1 = _mm_set1_ps(beta1), k1 = _mm_set1_ps(keep1), b2 = _mm_set1_ps(beta2),
               k2 = _mm_set1_ps(keep2), step = _mm_set1_ps(h), eps = _mm_set1_ps(epsilon),
               c1 = _mm_set1_ps(correction1), c2 = _mm_set1_ps(correction2);
  for (; i + 4 <= n; i += 4) {
    const __m128 gi = _mm_loadu_ps(g + i);
    const __m128 mi = _mm_add_ps(_mm_mul_ps(b1, _mm_loadu_ps(m + i)), _mm_mul_ps(k1, gi));
    const __m128 vi = _mm_add_ps(_mm_mul_ps(b2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(k2, gi), gi));
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    const __m128 denominator = _mm_add_ps(_mm_sqrt_ps(_mm_div_ps(vi, c2)), eps);
    const __m128 change = _mm_div_ps(_mm_mul_ps(step, _mm_div_ps(mi, c1)), denominator);
    _mm_storeu_ps(updated + i, _mm_add_ps(_mm_loadu_ps(x + i), change));
  }
#endif
  for (; i < n; i++) {
    const float gi = g[i];
    const float mi = beta1 * m[i] + keep1 * gi;
    const float vi = beta2 * v[i] + keep2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    updated[i] = x[i] + h * (mi / correction1) / (__builtin_sqrtf(vi / correction2) + epsilon);
  }
}

void dlrt_max_pool_pixel_f32(
  const float *restrict x, const long *restrict starts, int count, long channels, float *restrict y,
  long *restrict argmax) {
  long c = 0;
#if defined(__SSE2__)
  for (; c + 4 <= channels; c += 4) {
    __m128 best = _mm_loadu_ps(x + starts[0] + c);
    __m128i chosen = _mm_setzero_si128();
    for (int k = 1; k < count; k++) {
      const __m128 candidate = _mm_loadu_ps(x + starts[k] + c);
      // !(candidate <= best) && best == best, as in the scalar loop below.
      const __m128 larger = _mm_and_ps(_mm_cmpnle_ps(candidate, best), _mm_cmpord_ps(best, best));
      best = _mm_or_ps(_mm_and_ps(larger, candidate), _mm_andnot_ps(larger, best));
      const __m128i mask = _mm_castps_si128(larger);
      chosen = _mm_or_si128(_mm_and_si128(mask, _mm_set1_epi32(k)), _mm_andnot_si128(mask, chosen));
    }
    _mm_storeu_ps(y + c, best);
    int lanes[4];
    _mm_storeu_si128((__m128i *)lanes, chosen);
    for (int t = 0; t < 4; t++) argmax[c + t] = starts[lanes[t]] + c + t;
  }
#endif
  for (; c < channels; c++) {
    long at = starts[0] + c;
    for (int k = 1; k < count; k++) {
      const float best = x[at], candidate = x[starts[k] + c];
      if (!(candidate <= best) && best == best) at = starts[k] + c;
    }
    y[c] = x[at];
    argmax[c] = at;
  }
}
