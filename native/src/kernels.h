/* Dense MLP, PPO loss and Adam kernels over float32 arrays, the matrix products through OpenBLAS. */
#ifndef KDMARL_KERNELS_H
#define KDMARL_KERNELS_H
#include <stddef.h>

/* An MLP: sizes[0..layers] (input, hidden..., output), an optional input LayerNorm. Its parameters
 * are one flat array in the order [ln gamma, ln beta,] w0, b0, w1, b1, ... with w row-major [in][out]. */
typedef struct {
  const int *sizes;
  int layers;
  int layer_norm;
} Net;

/* Loads OpenBLAS (cblas_sgemm); returns NULL or why it could not. */
const char *blas_load(void);
/* The OpenBLAS kernel set in use (openblas_get_corename). */
const char *blas_core(void);
void blas_set_threads(int threads);
int blas_get_threads(void);

size_t net_param_count(const Net *net);
/* Floats of activations one forward of `rows` rows keeps for the backward; the output is the last rows*out of them. */
size_t net_workspace(const Net *net, int rows);
/* Floats of scratch the backward needs. */
size_t net_scratch(const Net *net, int rows);

void net_forward(const Net *net, const float *params, const float *x, int rows, float *ws);
/* Gradients of sum(dout * output) into grads (overwritten), from the activations of the last forward. dout is clobbered. */
void net_backward(const Net *net, const float *params, float *grads, const float *x, int rows, const float *ws, float *dout, float *scratch);

/* PPO policy objective in sum form: -sum(active * min(r A, clip(r) A)) - ent_coef * sum(active * H); its gradient
 * with respect to the logits into dlogits; stats[0..3] += sums of active * (surrogate, entropy, r - 1 - log r, |r - 1| > clip). */
void policy_grad(const float *logits, const float *mask_add, const int *actions, const float *old_logp, const float *adv,
                 const float *active, int rows, int actions_count, float clip, float ent_coef, float *dlogits, double *stats);

/* Clipped Huber value loss in sum form times coef; gradient into dvalues; stats[0] += sum of active * per-sample loss. */
void value_grad(const float *values, const float *targets, const float *old_values, const float *active, int rows, float delta,
                float clip, int value_clip, float coef, float *dvalues, double *stats);

double sum_squares(const float *x, size_t n);
/* One Adam step on w with gradient g * grad_scale (adam.ts's formula, eps already times sqrt(1 - beta2^t)). */
void adam_step(float *w, const float *g, float *m, float *v, size_t n, float grad_scale, float beta1, float beta2, float step_size, float eps_hat);
void gather_rows(const float *src, int width, const int *index, int count, float *dst);

#endif
