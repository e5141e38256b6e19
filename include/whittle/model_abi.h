/*===- model_abi.h - ABI of a compiled Whittle model library ------*- C -*-===*\
 *
 * Every shared library produced by whittle-compile exports these symbols.
 * The runtime (libwhittle_rt) reaches them with dlsym; a C program may also
 * link a model library directly and call them (see the MODEL.h that
 * whittle-compile writes next to the library).
 *
\*===----------------------------------------------------------------------===*/

#ifndef WHITTLE_MODEL_ABI_H
#define WHITTLE_MODEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WHITTLE_MODEL_ABI_VERSION 1
/* GPU libraries: they read the executor's gpu fields, which a runtime of
 * version 1 does not provide. */
#define WHITTLE_MODEL_ABI_VERSION_GPU 2

/* A task body: runs iterations [begin, end) of a parallel loop. */
typedef void (*whittle_task_fn)(void *context, int64_t begin, int64_t end);

/* Host-provided parallel executor. parallel_for runs body over [0, count) in
 * chunks, possibly concurrently, and returns when every chunk is done. A null
 * executor (or null parallel_for) means: run serially on the calling thread.
 *
 * GPU libraries (metadata record `device cuda <arch>`) need an executor
 * with the gpu fields: they launch kernel `kernel` (an index into
 * whittle_model_gpu_kernels) with gpu_launch, its parameters being
 * `num_params` 8-byte slots at `params` (each the value of one kernel
 * parameter, zero-extended), and read their weights at gpu_weights, the
 * device copy laid out by whittle_model_gpu_weights. A launch that fails
 * must make gpu_launch return non-zero and the runtime report the error
 * after the run: the generated code does not stop. */
typedef struct whittle_executor {
  void *pool;
  void (*parallel_for)(void *pool, int64_t count, whittle_task_fn body,
                       void *context);
  void *gpu;
  int32_t (*gpu_launch)(void *gpu, int64_t kernel, int64_t grid_x,
                        int64_t grid_y, int64_t grid_z, int64_t block_x,
                        int64_t block_y, int64_t block_z, int64_t shared_bytes,
                        void *params, int64_t num_params);
  void *gpu_weights;
} whittle_executor;

/* Returns WHITTLE_MODEL_ABI_VERSION of the compiler that built the library. */
int32_t whittle_model_abi_version(void);

/* Describes the model's signature as text, one record per line:
 *   whittle-model 1
 *   name <model name>
 *   input <name> <dtype> <dims>
 *   output <name> <dtype> <dims>
 * <dtype> is one of f16 f32 f64 i8 i16 i32 i64 u8 u16 u32 u64 bool;
 * <dims> is 'x'-separated sizes ("1x128"), or "scalar" for rank 0. Names are
 * percent-encoded (%20 for a space, %25 for '%'). Inputs and outputs are
 * listed in call order. */
const char *whittle_model_metadata(void);

/* Bytes of scratch memory one call of whittle_model_run needs (64-byte
 * aligned). Concurrent calls need separate workspaces. */
int64_t whittle_model_workspace_size(void);

/* Runs the model. inputs[i] / outputs[i] point to dense row-major buffers of
 * the sizes in the metadata, aligned at least to their element size. Outputs
 * never alias inputs. Returns 0 on success. */
int32_t whittle_model_run(void *const *inputs, void *const *outputs,
                          void *workspace, const whittle_executor *executor);

/* Only in libraries compiled with --decode (metadata record
 *   decode <max tokens> <chunk> <state bytes> <sequence axis per output>...):
 * runs n tokens (n == 1 or n == chunk) at `position` over the key/value
 * cache in `state` (state bytes, 64-byte aligned, zeroed before first use,
 * updated in place). tokens is [batch, n]; outputs[i] receives output i with
 * n entries along its sequence axis. Query positions past the last real
 * token of a padded chunk write cache rows that later steps overwrite before
 * any query reads them. Returns 0 on success. */
int64_t whittle_model_decode_workspace_size(void);
int32_t whittle_model_decode(int64_t n, const void *tokens, int64_t position,
                             void *state, void *const *outputs, void *workspace,
                             const whittle_executor *executor);

/* Only in libraries compiled with a bounded dimension (--input-shape
 * NAME=1x?MAX; metadata record
 *   lengths <min> <count> <L>... <axis per input>... <axis per output>...
 * with the variant lengths L ascending to MAX, and -1 for a tensor without
 * the axis): runs the model on the first n rows, min <= n <= MAX, through
 * the smallest variant L >= n. inputs[i] and outputs[i] have L rows along
 * their axis; input rows from n on must hold finite values (zeros) and are
 * never read by a real row; output rows from n on are scratch. Returns 0 on
 * success, 1 for an n out of range. */
int64_t whittle_model_length_workspace_size(void);
int32_t whittle_model_run_length(int64_t n, void *const *inputs,
                                 void *const *outputs, void *workspace,
                                 const whittle_executor *executor);

/* Only in GPU libraries. In them, whittle_model_run's inputs, outputs and
 * workspace are device pointers and the executor is required. */

/* The kernels, one name per line, in the order gpu_launch numbers them. */
const char *whittle_model_gpu_kernels(void);

/* The device image: format 0 is the cubin for the library's architecture
 * (null when it was compiled without the CUDA toolkit), 1 the PTX
 * (NUL-terminated, for the driver to JIT-compile on other GPUs). */
const void *whittle_model_gpu_image(int32_t format, int64_t *bytes);

/* The constants the kernels read: upload `bytes` from `host` to
 * gpu_weights + device_offset, for each of *count entries, into a device
 * buffer of *device_bytes (256-byte aligned offsets). */
typedef struct whittle_gpu_weight {
  const void *host;
  int64_t bytes;
  int64_t device_offset;
} whittle_gpu_weight;
const whittle_gpu_weight *whittle_model_gpu_weights(int64_t *count,
                                                    int64_t *device_bytes);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_MODEL_ABI_H */
