/* N-API surface of the kernels: typed arrays in, results written into typed arrays the caller owns. */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include "kernels.h"

#define MAX_ARGS 12
#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "kdmarl native: " #call " failed"); return NULL; } } while (0)

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int failed;
} Args;

static int read_args(napi_env env, napi_callback_info info, Args *a, size_t want) {
  a->env = env;
  a->argc = MAX_ARGS;
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok || a->argc < want) {
    char message[96];
    snprintf(message, sizeof message, "kdmarl native: expected %zu arguments, got %zu", want, a->argc);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  return 1;
}

/* Pointer to a typed array's data with at least `need` elements of `type`; NULL (and a pending error) otherwise. */
static void *typed(Args *a, size_t i, napi_typedarray_type type, size_t need) {
  if (a->failed) return NULL;
  napi_typedarray_type got;
  size_t length;
  void *data;
  bool is_typed = false;
  napi_is_typedarray(a->env, a->argv[i], &is_typed);
  if (!is_typed || napi_get_typedarray_info(a->env, a->argv[i], &got, &length, &data, NULL, NULL) != napi_ok || got != type || length < need) {
    char message[128];
    snprintf(message, sizeof message, "kdmarl native: argument %zu must be a typed array of the right type with at least %zu elements", i, need);
    napi_throw_type_error(a->env, NULL, message);
    a->failed = 1;
    return NULL;
  }
  return data;
}

static double number(Args *a, size_t i) {
  double x = 0;
  if (!a->failed && napi_get_value_double(a->env, a->argv[i], &x) != napi_ok) {
    napi_throw_type_error(a->env, NULL, "kdmarl native: expected a number");
    a->failed = 1;
  }
  return x;
}

/* A net from (sizes: Int32Array, layerNorm: number) at argv[i], argv[i + 1]. */
static Net net_at(Args *a, size_t i) {
  Net net = {0};
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (!a->failed && (napi_get_typedarray_info(a->env, a->argv[i], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array || length < 2)) {
    napi_throw_type_error(a->env, NULL, "kdmarl native: net sizes must be an Int32Array of at least 2 sizes");
    a->failed = 1;
  }
  net.sizes = data;
  net.layers = (int)length - 1;
  net.layer_norm = number(a, i + 1) != 0;
  return net;
}

static napi_value to_number(napi_env env, double x) {
  napi_value out;
  napi_create_double(env, x, &out);
  return out;
}

/* forward(sizes, layerNorm, params, x, rows, ws) */
static napi_value forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 6)) return NULL;
  Net net = net_at(&a, 0);
  const int rows = (int)number(&a, 4);
  if (a.failed) return NULL;
  const float *params = typed(&a, 2, napi_float32_array, net_param_count(&net));
  const float *x = typed(&a, 3, napi_float32_array, (size_t)rows * net.sizes[0]);
  float *ws = typed(&a, 5, napi_float32_array, net_workspace(&net, rows));
  if (a.failed) return NULL;
  net_forward(&net, params, x, rows, ws);
  return NULL;
}

/* backward(sizes, layerNorm, params, grads, x, rows, ws, dout, scratch) */
static napi_value backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 9)) return NULL;
  Net net = net_at(&a, 0);
  const int rows = (int)number(&a, 5);
  if (a.failed) return NULL;
  const size_t params_count = net_param_count(&net);
  const float *params = typed(&a, 2, napi_float32_array, params_count);
  float *grads = typed(&a, 3, napi_float32_array, params_count);
  const float *x = typed(&a, 4, napi_float32_array, (size_t)rows * net.sizes[0]);
  const float *ws = typed(&a, 6, napi_float32_array, net_workspace(&net, rows));
  float *dout = typed(&a, 7, napi_float32_array, (size_t)rows * net.sizes[net.layers]);
  float *scratch = typed(&a, 8, napi_float32_array, net_scratch(&net, rows));
  if (a.failed) return NULL;
  net_backward(&net, params, grads, x, rows, ws, dout, scratch);
  return NULL;
}

/* sizes(sizes, layerNorm, rows) -> [params, workspace, scratch] element counts */
static napi_value sizes(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 3)) return NULL;
  Net net = net_at(&a, 0);
  const int rows = (int)number(&a, 2);
  if (a.failed) return NULL;
  napi_value out;
  CHECK(napi_create_array_with_length(env, 3, &out));
  napi_set_element(env, out, 0, to_number(env, (double)net_param_count(&net)));
  napi_set_element(env, out, 1, to_number(env, (double)net_workspace(&net, rows)));
  napi_set_element(env, out, 2, to_number(env, (double)net_scratch(&net, rows)));
  return out;
}

/* policyGrad(logits, maskAdd, actions, oldLogp, adv, active, rows, actionCount, clip, entCoef, dlogits, stats) */
static napi_value policy(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 12)) return NULL;
  const int rows = (int)number(&a, 6), count = (int)number(&a, 7);
  if (a.failed) return NULL;
  if (count < 1 || count > 256) {
    napi_throw_range_error(env, NULL, "kdmarl native: policyGrad supports 1 to 256 actions");
    return NULL;
  }
  const size_t n = (size_t)rows * count;
  const float *logits = typed(&a, 0, napi_float32_array, n), *mask_add = typed(&a, 1, napi_float32_array, n);
  const int *actions = typed(&a, 2, napi_int32_array, rows);
  const float *old_logp = typed(&a, 3, napi_float32_array, rows), *adv = typed(&a, 4, napi_float32_array, rows);
  const float *active = typed(&a, 5, napi_float32_array, rows);
  const float clip = (float)number(&a, 8), ent_coef = (float)number(&a, 9);
  float *dlogits = typed(&a, 10, napi_float32_array, n);
  double *stats = typed(&a, 11, napi_float64_array, 4);
  if (a.failed) return NULL;
  for (int r = 0; r < rows; r++) {
    if (actions[r] < 0 || actions[r] >= count) {
      napi_throw_range_error(env, NULL, "kdmarl native: policyGrad action index out of range");
      return NULL;
    }
  }
  policy_grad(logits, mask_add, actions, old_logp, adv, active, rows, count, clip, ent_coef, dlogits, stats);
  return NULL;
}

/* valueGrad(values, targets, oldValues, active, rows, delta, clip, valueClip, coef, dvalues, stats) */
static napi_value value(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 11)) return NULL;
  const int rows = (int)number(&a, 4);
  const float *values = typed(&a, 0, napi_float32_array, rows), *targets = typed(&a, 1, napi_float32_array, rows);
  const float *old_values = typed(&a, 2, napi_float32_array, rows), *active = typed(&a, 3, napi_float32_array, rows);
  const float delta = (float)number(&a, 5), clip = (float)number(&a, 6), coef = (float)number(&a, 8);
  const int value_clip = number(&a, 7) != 0;
  float *dvalues = typed(&a, 9, napi_float32_array, rows);
  double *stats = typed(&a, 10, napi_float64_array, 1);
  if (a.failed) return NULL;
  value_grad(values, targets, old_values, active, rows, delta, clip, value_clip, coef, dvalues, stats);
  return NULL;
}

/* sumSquares(x, n) */
static napi_value squares(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 2)) return NULL;
  const size_t n = (size_t)number(&a, 1);
  const float *x = typed(&a, 0, napi_float32_array, n);
  if (a.failed) return NULL;
  return to_number(env, sum_squares(x, n));
}

/* adam(w, g, m, v, n, gradScale, beta1, beta2, stepSize, epsHat) */
static napi_value adam(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 10)) return NULL;
  const size_t n = (size_t)number(&a, 4);
  float *w = typed(&a, 0, napi_float32_array, n);
  const float *g = typed(&a, 1, napi_float32_array, n);
  float *m = typed(&a, 2, napi_float32_array, n), *v = typed(&a, 3, napi_float32_array, n);
  const float scale = (float)number(&a, 5), beta1 = (float)number(&a, 6), beta2 = (float)number(&a, 7);
  const float step_size = (float)number(&a, 8), eps_hat = (float)number(&a, 9);
  if (a.failed) return NULL;
  adam_step(w, g, m, v, n, scale, beta1, beta2, step_size, eps_hat);
  return NULL;
}

/* gatherRows(src, width, index, dst) */
static napi_value gather(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 4)) return NULL;
  const int width = (int)number(&a, 1);
  size_t src_length = 0;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, a.argv[0], &type, &src_length, NULL, NULL, NULL) != napi_ok || width <= 0) {
    napi_throw_type_error(env, NULL, "kdmarl native: gatherRows needs a Float32Array and a positive width");
    return NULL;
  }
  const float *src = typed(&a, 0, napi_float32_array, 0);
  size_t count = 0;
  napi_get_typedarray_info(env, a.argv[2], &type, &count, NULL, NULL, NULL);
  const int *index = typed(&a, 2, napi_int32_array, count);
  float *dst = typed(&a, 3, napi_float32_array, count * width);
  if (a.failed) return NULL;
  const size_t rows = src_length / width;
  for (size_t r = 0; r < count; r++) {
    if (index[r] < 0 || (size_t)index[r] >= rows) {
      napi_throw_range_error(env, NULL, "kdmarl native: gatherRows index out of range");
      return NULL;
    }
  }
  gather_rows(src, width, index, (int)count, dst);
  return NULL;
}

/* setThreads(n) -> threads now in use */
static napi_value threads(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 1)) return NULL;
  const int n = (int)number(&a, 0);
  if (a.failed) return NULL;
  if (n > 0) blas_set_threads(n);
  return to_number(env, blas_get_threads());
}

static napi_value init(napi_env env, napi_value exports) {
  const char *error = blas_load();
  napi_value reason;
  if (error) napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &reason);
  else napi_get_null(env, &reason);
  napi_set_named_property(env, exports, "blasError", reason);
  napi_value core;
  napi_create_string_utf8(env, error ? "none" : blas_core(), NAPI_AUTO_LENGTH, &core);
  napi_set_named_property(env, exports, "blasCore", core);
  if (!error) blas_set_threads(1);
  struct { const char *name; napi_callback fn; } fns[] = {
    {"forward", forward}, {"backward", backward}, {"sizes", sizes}, {"policyGrad", policy}, {"valueGrad", value},
    {"sumSquares", squares}, {"adam", adam}, {"gatherRows", gather}, {"setThreads", threads},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, fns[i].name, fn);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
