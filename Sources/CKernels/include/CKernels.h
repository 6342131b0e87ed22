// Kernels that the Swift compiler does not vectorize at the package's baseline (x86-64 with SSE2):
// square roots and divisions stay scalar there, and selects between floats become branches.
#ifndef DLRT_CKERNELS_H
#define DLRT_CKERNELS_H

#include <stddef.h>

/// Adam's update of n Float parameters (Kingma & Ba, ICLR 2015), element by element:
/// `m ← β₁·m + (1 − β₁)·g`, `v ← β₂·v + ((1 − β₂)·g)·g`,
/// `updated ← x + (h·(m / c₁)) / (√(v / c₂) + ε)`.
/// Every operation is one correctly rounded IEEE operation in this order (no fused multiply-add),
/// so the results equal those of the same formula evaluated one element at a time. Four elements
/// at a time with SSE where the target has it. The five arrays must not overlap.
void dlrt_adam_update_f32(
  const float *x, float *updated, float *m, float *v, const float *g, size_t n,
  float h, float beta1, float beta2, float epsilon, float correction1, float correction2);

/// The maximum, channel by channel, of `count` pixels of channel-fastest maps: for each channel
/// c < channels, the largest of `x[starts[k] + c]` for k = 0 ..< count, the first on ties, and NaN
/// wins unless the running maximum is NaN already (candidate k replaces the running maximum when
/// `!(x ≤ maximum) && maximum == maximum`). Writes the maximum to `y[c]` and its index into x,
/// `starts[k] + c`, to `argmax[c]`. The same comparisons in the same order as one channel at a
/// time, four channels at a time with SSE where the target has it.
void dlrt_max_pool_pixel_f32(
  const float *x, const long *starts, int count, long channels, float *y, long *argmax);

#endif
