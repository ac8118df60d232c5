#include "kernels.h"
#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cblas prototypes declared here so no BLAS headers are needed; OpenBLAS is opened at run time. */
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
static sgemm_fn sgemm;
static set_threads_fn set_threads;
static get_threads_fn get_threads;
typedef char *(*core_name_fn)(void);
static core_name_fn core_name;

#define LAYER_NORM_EPSILON 1e-5f

/*
 * OpenBLAS 0.3.21 does not recognise recent Xeon models and falls back to its SSE3 (Prescott)
 * kernels, 3-4x slower here. Unless the user chose a core (OPENBLAS_CORETYPE), pick the widest one
 * this CPU runs; the choice is read once, when the library loads.
 */
static void choose_core(void) {
  if (getenv("OPENBLAS_CORETYPE")) return;
  __builtin_cpu_init();
  const char *core = NULL;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) core = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) core = "Haswell";
  if (core) setenv("OPENBLAS_CORETYPE", core, 0);
}

const char *blas_load(void) {
  static const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
  if (sgemm) return NULL;
  const int chose = getenv("OPENBLAS_CORETYPE") == NULL;
  choose_core();
  for (size_t i = 0; i < sizeof names / sizeof names[0] && !sgemm; i++) {
    void *lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) continue;
    sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    get_threads = (get_threads_fn)dlsym(lib, "openblas_get_num_threads");
    core_name = (core_name_fn)dlsym(lib, "openblas_get_corename");
  }
  /* Child processes get the environment the user gave. */
  if (chose) unsetenv("OPENBLAS_CORETYPE");
  return sgemm ? NULL : "OpenBLAS (libopenblas.so.0 with cblas_sgemm) not found: apt-get install libopenblas0-openmp";
}

const char *blas_core(void) { return core_name ? core_name() : "unknown"; }

void blas_set_threads(int threads) { if (set_threads) set_threads(threads); }
int blas_get_threads(void) { return get_threads ? get_threads() : 1; }

static size_t in_size(const Net *n, int l) { return (size_t)n->sizes[l]; }
static size_t out_size(const Net *n, int l) { return (size_t)n->sizes[l + 1]; }

/* Offset of layer l's weight in the flat parameters; its bias follows the weight. */
static size_t weight_offset(const Net *net, int l) {
  size_t at = net->layer_norm ? 2 * in_size(net, 0) : 0;
  for (int j = 0; j < l; j++) at += in_size(net, j) * out_size(net, j) + out_size(net, j);
  return at;
}

size_t net_param_count(const Net *net) { return weight_offset(net, net->layers); }

/* Workspace: [xhat rows*in, rstd rows, y rows*in] with LayerNorm, then each layer's output rows*out. */
static size_t layer_output_offset(const Net *net, int rows, int l) {
  size_t at = net->layer_norm ? (size_t)rows * (2 * in_size(net, 0) + 1) : 0;
  for (int j = 0; j < l; j++) at += (size_t)rows * out_size(net, j);
  return at;
}

size_t net_workspace(const Net *net, int rows) { return layer_output_offset(net, rows, net->layers); }

size_t net_scratch(const Net *net, int rows) {
  size_t widest = 1;
  for (int l = 0; l < net->layers; l++) if (in_size(net, l) > widest) widest = in_size(net, l);
  return 2 * (size_t)rows * widest;
}

static void layer_norm_forward(const Net *net, const float *params, const float *x, int rows, float *ws) {
  const size_t n = in_size(net, 0);
  const float *gamma = params, *beta = params + n;
  float *xhat = ws, *rstd = ws + (size_t)rows * n, *y = rstd + rows;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * n;
    float mean = 0.f, var = 0.f;
    for (size_t i = 0; i < n; i++) mean += xr[i];
    mean /= (float)n;
    for (size_t i = 0; i < n; i++) var += (xr[i] - mean) * (xr[i] - mean);
    var /= (float)n;
    const float s = 1.f / sqrtf(var + LAYER_NORM_EPSILON);
    rstd[r] = s;
    float *hr = xhat + (size_t)r * n, *yr = y + (size_t)r * n;
    for (size_t i = 0; i < n; i++) {
      hr[i] = (xr[i] - mean) * s;
      yr[i] = hr[i] * gamma[i] + beta[i];
    }
  }
}

void net_forward(const Net *net, const float *params, const float *x, int rows, float *ws) {
  const float *in = x;
  if (net->layer_norm) {
    layer_norm_forward(net, params, x, rows, ws);
    in = ws + (size_t)rows * (in_size(net, 0) + 1);
  }
  for (int l = 0; l < net->layers; l++) {
    const int ni = (int)in_size(net, l), no = (int)out_size(net, l);
    const float *w = params + weight_offset(net, l), *b = w + (size_t)ni * no;
    float *out = ws + layer_output_offset(net, rows, l);
    sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, no, ni, 1.f, in, ni, w, no, 0.f, out, no);
    const int relu = l + 1 < net->layers;
    for (int r = 0; r < rows; r++) {
      float *o = out + (size_t)r * no;
      if (relu) for (int j = 0; j < no; j++) { const float y = o[j] + b[j]; o[j] = y > 0.f ? y : 0.f; }
      else for (int j = 0; j < no; j++) o[j] += b[j];
    }
    in = out;
  }
}

static void column_sums(const float *x, int rows, int cols, float *out) {
  memset(out, 0, sizeof(float) * cols);
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    for (int c = 0; c < cols; c++) out[c] += xr[c];
  }
}

/*
 * With the input LayerNorm, y = xhat * gamma + beta feeds layer 0, so with M = xhat^T dz0 (one
 * product, the size of dW0): dW0 = gamma_i M_ij + beta_i db0_j, dgamma_i = sum_j W0_ij M_ij and
 * dbeta_i = sum_j W0_ij db0_j. That skips the rows x in x out product of dz0 W0^T.
 */
static void layer_norm_backward(const Net *net, const float *params, float *grads, int rows, const float *ws, const float *dz, int summed) {
  const int n = (int)in_size(net, 0), no = (int)out_size(net, 0);
  const size_t wo = weight_offset(net, 0);
  const float *gamma = params, *beta = params + n, *w = params + wo;
  float *dgamma = grads, *dbeta = grads + n, *dw = grads + wo, *db = dw + (size_t)n * no;
  sgemm(ROW_MAJOR, TRANS, NO_TRANS, n, no, rows, 1.f, ws, n, dz, no, 0.f, dw, no);
  if (!summed) column_sums(dz, rows, no, db);
  for (int i = 0; i < n; i++) {
    float *mi = dw + (size_t)i * no;
    const float *wi = w + (size_t)i * no;
    float g = 0.f, b = 0.f;
    for (int j = 0; j < no; j++) {
      g += wi[j] * mi[j];
      b += wi[j] * db[j];
      mi[j] = gamma[i] * mi[j] + beta[i] * db[j];
    }
    dgamma[i] = g;
    dbeta[i] = b;
  }
}

void net_backward(const Net *net, const float *params, float *grads, const float *x, int rows, const float *ws, float *dout, float *scratch) {
  const size_t half = net_scratch(net, rows) / 2;
  float *dz = dout;
  int summed = 0;
  for (int l = net->layers - 1; l >= 0; l--) {
    const int ni = (int)in_size(net, l), no = (int)out_size(net, l);
    const size_t wo = weight_offset(net, l);
    if (l == 0 && net->layer_norm) {
      layer_norm_backward(net, params, grads, rows, ws, dz, summed);
      break;
    }
    const float *hin = l == 0 ? x : ws + layer_output_offset(net, rows, l - 1);
    sgemm(ROW_MAJOR, TRANS, NO_TRANS, ni, no, rows, 1.f, hin, ni, dz, no, 0.f, grads + wo, no);
    if (!summed) column_sums(dz, rows, no, grads + wo + (size_t)ni * no);
    if (l == 0) break;
    float *dh = scratch + (dz == scratch ? half : 0);
    sgemm(ROW_MAJOR, NO_TRANS, TRANS, rows, ni, no, 1.f, dz, no, params + wo, no, 0.f, dh, ni);
    /* The ReLU's gradient mask and the next layer's bias gradient in one pass. */
    float *db = grads + weight_offset(net, l - 1) + in_size(net, l - 1) * (size_t)ni;
    memset(db, 0, sizeof(float) * ni);
    for (int r = 0; r < rows; r++) {
      float *d = dh + (size_t)r * ni;
      const float *h = hin + (size_t)r * ni;
      for (int j = 0; j < ni; j++) { const float g = h[j] > 0.f ? d[j] : 0.f; d[j] = g; db[j] += g; }
    }
    summed = 1;
    dz = dh;
  }
}

void policy_grad(const float *logits, const float *mask_add, const int *actions, const float *old_logp, const float *adv,
                 const float *active, int rows, int A, float clip, float ent_coef, float *dlogits, double *stats) {
  double surr_sum = 0, ent_sum = 0, kl_sum = 0, clip_sum = 0;
  float logp[256];
  for (int r = 0; r < rows; r++) {
    const float *z = logits + (size_t)r * A, *ma = mask_add + (size_t)r * A;
    float *dz = dlogits + (size_t)r * A;
    float top = -INFINITY;
    for (int j = 0; j < A; j++) if (z[j] + ma[j] > top) top = z[j] + ma[j];
    float total = 0.f;
    for (int j = 0; j < A; j++) total += expf(z[j] + ma[j] - top);
    const float lse = top + logf(total);
    float entropy = 0.f;
    for (int j = 0; j < A; j++) {
      logp[j] = z[j] + ma[j] - lse;
      entropy -= expf(logp[j]) * logp[j];
    }
    const float act = active[r], a = adv[r];
    const float log_ratio = logp[actions[r]] - old_logp[r];
    const float ratio = expf(log_ratio);
    const float s1 = ratio * a;
    const float clipped = ratio < 1.f - clip ? 1.f - clip : ratio > 1.f + clip ? 1.f + clip : ratio;
    const float s2 = clipped * a;
    surr_sum += act * (s1 <= s2 ? s1 : s2);
    ent_sum += act * entropy;
    kl_sum += act * (ratio - 1.f - log_ratio);
    clip_sum += act * (fabsf(ratio - 1.f) > clip ? 1.f : 0.f);
    /* tfjs' gradient conventions: minimum passes ties to its first argument, clipByValue passes its bounds. */
    const int through = s1 <= s2 || (ratio >= 1.f - clip && ratio <= 1.f + clip);
    const float dlp = through ? -act * a * ratio : 0.f;
    const float ent_scale = ent_coef * act;
    for (int j = 0; j < A; j++) {
      const float p = expf(logp[j]);
      dz[j] = -dlp * p + ent_scale * p * (logp[j] + entropy);
    }
    dz[actions[r]] += dlp;
  }
  stats[0] += surr_sum;
  stats[1] += ent_sum;
  stats[2] += kl_sum;
  stats[3] += clip_sum;
}

static float huber(float e, float delta, float *slope) {
  const float a = fabsf(e), q = a < delta ? a : delta;
  *slope = e < -delta ? -delta : e > delta ? delta : e;
  return 0.5f * q * q + delta * (a - q);
}

void value_grad(const float *values, const float *targets, const float *old_values, const float *active, int rows, float delta,
                float clip, int value_clip, float coef, float *dvalues, double *stats) {
  double loss = 0;
  for (int r = 0; r < rows; r++) {
    const float v = values[r], act = active[r];
    float slope, per = huber(targets[r] - v, delta, &slope);
    float d = -slope;
    if (value_clip) {
      const float diff = v - old_values[r];
      const float moved = diff < -clip ? -clip : diff > clip ? clip : diff;
      float slope2;
      const float per2 = huber(targets[r] - (old_values[r] + moved), delta, &slope2);
      /* tfjs' maximum passes ties to its first argument (the unclipped loss). */
      if (!(per >= per2)) {
        per = per2;
        d = diff >= -clip && diff <= clip ? -slope2 : 0.f;
      }
    }
    loss += act * per;
    dvalues[r] = coef * act * d;
  }
  stats[0] += loss;
}

double sum_squares(const float *x, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; i++) total += (double)x[i] * x[i];
  return total;
}

void adam_step(float *w, const float *g, float *m, float *v, size_t n, float grad_scale, float beta1, float beta2, float step_size, float eps_hat) {
  const float c1 = 1.f - beta1, c2 = 1.f - beta2;
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i] * grad_scale;
    const float mi = m[i] * beta1 + gi * c1;
    const float vi = v[i] * beta2 + gi * gi * c2;
    m[i] = mi;
    v[i] = vi;
    w[i] -= mi / (sqrtf(vi) + eps_hat) * step_size;
  }
}

void gather_rows(const float *src, int width, const int *index, int count, float *dst) {
  for (int r = 0; r < count; r++) memcpy(dst + (size_t)r * width, src + (size_t)index[r] * width, sizeof(float) * width);
}
