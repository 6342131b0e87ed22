// Times every cblas_sgemm call of a process by shape, for `make sgemm-shapes`: preloaded
// (LD_PRELOAD) in front of OpenBLAS, it forwards each call and adds its wall time to the row of
// its (transposes, M, N, K, β = 0 / 1 / other). At exit it writes the rows, the most time first,
// to $SGEMM_SHAPES_OUT (default sgemm-shapes.txt). Times are summed over the threads that call,
// so they are thread-seconds; GFLOP/s is 2·M·N·K·calls / time.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*sgemm_function)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                               float *, int);

enum { capacity = 4096 };
static struct {
  int transposeA, transposeB, m, n, k, beta;
  double seconds;
  long calls;
} rows[capacity];
static int used, dropped;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void cblas_sgemm(int order, int transposeA, int transposeB, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  static sgemm_function next;
  if (!next) next = (sgemm_function)dlsym(RTLD_NEXT, "cblas_sgemm");
  if (!next) {
    fprintf(stderr, "sgemm-shapes: cblas_sgemm not found behind the preload\n");
    abort();
  }
  const double start = now();
  next(order, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const double seconds = now() - start;
  const int betaKind = beta == 0 ? 0 : beta == 1 ? 1 : 2;
  pthread_mutex_lock(&lock);
  int i = 0;
  while (i < used && !(rows[i].transposeA == transposeA && rows[i].transposeB == transposeB && rows[i].m == m &&
                       rows[i].n == n && rows[i].k == k && rows[i].beta == betaKind))
    i++;
  if (i == used && used < capacity) {
    rows[i].transposeA = transposeA, rows[i].transposeB = transposeB;
    rows[i].m = m, rows[i].n = n, rows[i].k = k, rows[i].beta = betaKind;
    used++;
  }
  if (i < used) {
    rows[i].seconds += seconds;
    rows[i].calls++;
  } else {
    dropped++;
  }
  pthread_mutex_unlock(&lock);
}

static int byTime(const void *x, const void *y) {
  const double a = ((const typeof(rows[0]) *)x)->seconds, b = ((const typeof(rows[0]) *)y)->seconds;
  return (a < b) - (a > b);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("SGEMM_SHAPES_OUT");
  FILE *out = fopen(path ? path : "sgemm-shapes.txt", "w");
  if (!out) return;
  qsort(rows, (size_t)used, sizeof rows[0], byTime);
  double total = 0;
  for (int i = 0; i < used; i++) total += rows[i].seconds;
  fprintf(out, "sgemm calls by shape: %.3f thread-seconds in all%s\n\n", total,
          dropped ? " (some shapes beyond the table's capacity not listed)" : "");
  fprintf(out, "| op | M | N | K | beta | calls | thread-s | share | GFLOP/s |\n|---|--:|--:|--:|---|--:|--:|--:|--:|\n");
  for (int i = 0; i < used; i++) {
    const double flop = 2.0 * rows[i].m * rows[i].n * rows[i].k * (double)rows[i].calls;
    fprintf(out, "| %c%c | %d | %d | %d | %s | %ld | %.3f | %.3f | %.1f |\n", rows[i].transposeA == 111 ? 'N' : 'T',
            rows[i].transposeB == 111 ? 'N' : 'T', rows[i].m, rows[i].n, rows[i].k,
            rows[i].beta == 0 ? "0" : rows[i].beta == 1 ? "1" : "other", rows[i].calls, rows[i].seconds,
            rows[i].seconds / total, rows[i].seconds > 0 ? flop / rows[i].seconds / 1e9 : 0.0);
  }
  fclose(out);
}
