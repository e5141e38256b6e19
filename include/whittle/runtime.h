/*===- runtime.h - C API of the Whittle runtime (libwhittle_rt) ---*- C -*-===*\
 *
 * Loads a model library built by whittle-compile, describes its signature and
 * runs it on a TBB thread pool.
 *
 * Objects and ownership:
 *   whittle_model    one loaded model library; immutable after
 *                    whittle_model_open, so it may be shared by threads.
 *   whittle_session  the mutable state of one caller: workspace, thread arena
 *                    and runtime-allocated outputs. A session is used by one
 *                    thread at a time; separate sessions of one model may run
 *                    concurrently.
 *
 * Every function that returns whittle_status sets a thread-local message on
 * failure, readable with whittle_last_error().
 *
\*===----------------------------------------------------------------------===*/

#ifndef WHITTLE_RUNTIME_H
#define WHITTLE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WHITTLE_RT_API __attribute__((visibility("default")))
#else
#define WHITTLE_RT_API
#endif

/*===-- Status ------------------------------------------------------------===*/

typedef enum whittle_status {
  WHITTLE_OK = 0,
  WHITTLE_INVALID_ARGUMENT = 1, /* null pointer, bad count, bad index */
  WHITTLE_LOAD_FAILED = 2,      /* dlopen/dlsym failed, bad ABI or metadata */
  WHITTLE_SHAPE_MISMATCH = 3,   /* a tensor's rank or dims differ */
  WHITTLE_TYPE_MISMATCH = 4,    /* a tensor's dtype differs */
  WHITTLE_OUT_OF_MEMORY = 5,    /* workspace or output allocation failed */
  WHITTLE_RUN_FAILED = 6,       /* whittle_model_run returned non-zero */
  WHITTLE_NO_DEVICE = 7,        /* a GPU library, but no CUDA driver/device */
} whittle_status;

/* Returns a static name for a status ("OK", "SHAPE_MISMATCH", ...). */
WHITTLE_RT_API const char *whittle_status_name(whittle_status status);

/* Returns the message of the last failing call on this thread (naming the
 * tensor and dimension at fault), or "" if none failed yet. The pointer is
 * valid until the next runtime call on this thread. */
WHITTLE_RT_API const char *whittle_last_error(void);

/*===-- Element types -----------------------------------------------------===*/

typedef enum whittle_dtype {
  WHITTLE_DTYPE_INVALID = 0,
  WHITTLE_DTYPE_F16,
  WHITTLE_DTYPE_F32,
  WHITTLE_DTYPE_F64,
  WHITTLE_DTYPE_I8,
  WHITTLE_DTYPE_I16,
  WHITTLE_DTYPE_I32,
  WHITTLE_DTYPE_I64,
  WHITTLE_DTYPE_U8,
  WHITTLE_DTYPE_U16,
  WHITTLE_DTYPE_U32,
  WHITTLE_DTYPE_U64,
  WHITTLE_DTYPE_BOOL, /* one byte, 0 or 1 */
} whittle_dtype;

/* Returns the metadata spelling of a dtype ("f32"), or "invalid". */
WHITTLE_RT_API const char *whittle_dtype_name(whittle_dtype dtype);

/* Parses a metadata spelling ("f32"); WHITTLE_DTYPE_INVALID if unknown. */
WHITTLE_RT_API whittle_dtype whittle_dtype_from_name(const char *name);

/* Returns the size of one element in bytes, or 0 for an invalid dtype. */
WHITTLE_RT_API size_t whittle_dtype_size(whittle_dtype dtype);

/*===-- Tensors -----------------------------------------------------------===*/

/* A dense row-major tensor passed to or returned from a run. */
typedef struct whittle_tensor {
  whittle_dtype dtype;
  int32_t rank;
  const int64_t *dims; /* rank entries */
  void *data;
} whittle_tensor;

/* Describes one input or output of a model. Pointers are owned by the model
 * and stay valid until whittle_model_close. */
typedef struct whittle_tensor_info {
  const char *name; /* percent-decoded */
  whittle_dtype dtype;
  int32_t rank;
  const int64_t *dims;
  int64_t num_elements; /* product of dims; 1 for a scalar */
  size_t size_bytes;    /* num_elements * whittle_dtype_size(dtype) */
} whittle_tensor_info;

/*===-- Models ------------------------------------------------------------===*/

typedef struct whittle_model whittle_model;

/* Loads the model library at path (dlopen with RTLD_LOCAL), resolves the
 * model_abi.h entry points, checks the ABI version and parses the metadata.
 * On success stores a new model in *out; on failure stores NULL and returns
 * WHITTLE_LOAD_FAILED (or WHITTLE_INVALID_ARGUMENT for null arguments). */
WHITTLE_RT_API whittle_status whittle_model_open(const char *path,
                                                 whittle_model **out);

/* Unloads the model. Every session of it must be destroyed first. Accepts
 * NULL. */
WHITTLE_RT_API void whittle_model_close(whittle_model *model);

/* Returns the model's name from its metadata ("" if it has none). */
WHITTLE_RT_API const char *whittle_model_name(const whittle_model *model);

/* Returns the raw metadata text the library exports. */
WHITTLE_RT_API const char *
whittle_model_metadata_text(const whittle_model *model);

/* Returns the scratch memory one run needs, in bytes (the library's
 * whittle_model_workspace_size()). */
WHITTLE_RT_API int64_t
whittle_model_workspace_bytes(const whittle_model *model);

/* Number of inputs / outputs, in call order. 0 for a null model. */
WHITTLE_RT_API size_t whittle_model_num_inputs(const whittle_model *model);
WHITTLE_RT_API size_t whittle_model_num_outputs(const whittle_model *model);

/* Describes input / output i. WHITTLE_INVALID_ARGUMENT if i is out of range. */
WHITTLE_RT_API whittle_status whittle_model_input(const whittle_model *model,
                                                  size_t i,
                                                  whittle_tensor_info *info);
WHITTLE_RT_API whittle_status whittle_model_output(const whittle_model *model,
                                                   size_t i,
                                                   whittle_tensor_info *info);

/* Finds an input / output by name; returns its index or -1. */
WHITTLE_RT_API int64_t whittle_model_find_input(const whittle_model *model,
                                                const char *name);
WHITTLE_RT_API int64_t whittle_model_find_output(const whittle_model *model,
                                                 const char *name);

/*===-- Sessions ----------------------------------------------------------===*/

typedef struct whittle_session whittle_session;

/* Creates a session of model: allocates its 64-byte aligned workspace and a
 * thread arena with the default number of threads (all hardware threads). */
WHITTLE_RT_API whittle_status whittle_session_create(whittle_model *model,
                                                     whittle_session **out);

/* Frees the session, its workspace and its runtime-allocated outputs.
 * Accepts NULL. */
WHITTLE_RT_API void whittle_session_destroy(whittle_session *session);

/* Sets how many threads the session's runs may use: n == 1 runs serially on
 * the calling thread, n == 0 restores the default. Must not be called while
 * the session runs. */
WHITTLE_RT_API whittle_status
whittle_session_set_num_threads(whittle_session *session, int32_t n);

/* Returns the number of threads the session's runs may use. */
WHITTLE_RT_API int32_t
whittle_session_num_threads(const whittle_session *session);

/* Runs the model once.
 *
 * inputs: n_in tensors in call order; n_in must equal the model's input
 * count, and every dtype, rank and dim must match its metadata.
 *
 * outputs: n_out tensors in call order. For each output:
 *   - data == NULL: the runtime writes the result into a 64-byte aligned
 *     buffer owned by the session and stores it in data. The buffer is valid
 *     until the next run of this session or its destruction.
 *   - data != NULL: the result is written to the caller's buffer, which must
 *     hold whittle_tensor_info.size_bytes. If dims != NULL, dtype, rank and
 *     dims are checked like an input's.
 * On success dtype and rank of every output are set, and a NULL dims is set
 * to the model's dims.
 *
 * Returns WHITTLE_SHAPE_MISMATCH / WHITTLE_TYPE_MISMATCH with a message such
 * as "input 'x': dim 1 is 4, expected 3" when a tensor does not fit. */
WHITTLE_RT_API whittle_status whittle_session_run(whittle_session *session,
                                                  const whittle_tensor *inputs,
                                                  size_t n_in,
                                                  whittle_tensor *outputs,
                                                  size_t n_out);

/*===-- Bounded sequence lengths ------------------------------------------===*/
/* A library compiled with a bounded dimension (--input-shape NAME=1x?MAX)
 * runs every length n in [min, MAX] along it: whittle_model_input describes
 * the inputs at MAX, and whittle_session_run accepts inputs with any n
 * there (the same n in every input that has the axis), running the
 * smallest compiled variant that holds n rows, and returns outputs with n
 * rows on their own sequence axes (a caller's output buffer needs room for
 * n rows; with dims given, they must say n). */

/* MAX, or 0 when the model has no bounded dimension. */
WHITTLE_RT_API int64_t whittle_model_max_length(const whittle_model *model);

/* The fewest rows a run takes (ops that read fixed rows, such as a pooler's
 * first token, need them): 1 usually; 0 without a bounded dimension. */
WHITTLE_RT_API int64_t whittle_model_min_length(const whittle_model *model);

/* The bounded axis of input / output i, or -1 when it has none. */
WHITTLE_RT_API int32_t
whittle_model_input_length_axis(const whittle_model *model, size_t i);
WHITTLE_RT_API int32_t
whittle_model_output_length_axis(const whittle_model *model, size_t i);

/*===-- GPU libraries -----------------------------------------------------===*/
/* A library compiled with --target=nvptx runs on an NVIDIA GPU through the
 * CUDA driver, which the runtime opens (libcuda.so.1) when such a session is
 * created: WHITTLE_NO_DEVICE with "no CUDA driver" or "no CUDA device" when
 * the machine has none. $WHITTLE_CUDA_DEVICE picks the device (default 0).
 * Each session retains the device's primary context, loads the kernels and
 * uploads the weights once; whittle_session_run copies host inputs to the
 * device and the outputs back. */

/* "cpu", or the GPU a session runs on ("NVIDIA H100 ... (sm_90, device 0)"). */
WHITTLE_RT_API const char *
whittle_session_device(const whittle_session *session);

/* Like whittle_session_run, for a GPU library, with every data pointer a
 * device pointer (CUdeviceptr) in the session's context: nothing is copied.
 * Every output needs its data. WHITTLE_INVALID_ARGUMENT for a CPU library. */
WHITTLE_RT_API whittle_status whittle_session_run_device(
    whittle_session *session, const whittle_tensor *inputs, size_t n_in,
    whittle_tensor *outputs, size_t n_out);

/*===-- Decoding ----------------------------------------------------------===*/
/* A library compiled with --decode=MAX carries a key/value cache of MAX
 * positions in each session: tokens are appended to the sequence one step
 * at a time, and each step computes only the new tokens. The first input of
 * such a model is its token ids [batch, MAX]; its other inputs (attention
 * masks) are taken as all-valid. */

/* Returns MAX, or 0 when the model has no decode entry point. */
WHITTLE_RT_API int64_t
whittle_model_decode_max_tokens(const whittle_model *model);

/* Describes output i of a decode call: the model's output i for one token
 * (its sequence axis has extent 1). */
WHITTLE_RT_API whittle_status whittle_model_decode_output(
    const whittle_model *model, size_t i, whittle_tensor_info *info);

/* Starts a new sequence at position 0 (the cache is reused in place). */
WHITTLE_RT_API whittle_status
whittle_session_decode_reset(whittle_session *session);

/* Returns the number of tokens in the session's sequence so far. */
WHITTLE_RT_API int64_t
whittle_session_decode_position(const whittle_session *session);

/* Appends tokens [batch, N] (N >= 1, dtype of the token input) to the
 * session's sequence and computes them: a prompt in prefill chunks, then one
 * token per call while generating. outputs (n_out = the model's output
 * count) receive the outputs of the last appended token, with the dims of
 * whittle_model_decode_output and the data rules of whittle_session_run.
 * The cache is allocated on the first call and never copied.
 * WHITTLE_SHAPE_MISMATCH when the sequence would exceed MAX tokens. */
WHITTLE_RT_API whittle_status
whittle_session_decode(whittle_session *session, const whittle_tensor *tokens,
                       whittle_tensor *outputs, size_t n_out);

/* Like whittle_session_decode, but outputs receive the outputs of every
 * appended token: the sequence axis of output i has N entries. Called after
 * whittle_session_decode_reset with a whole sequence, it computes the model
 * at any length N <= MAX from the one library, exactly as the full model
 * would on those N tokens (the attention is causal, every other op
 * position-wise). Runtime-owned outputs stay valid until the next decode
 * call of the session. */
WHITTLE_RT_API whittle_status whittle_session_decode_sequence(
    whittle_session *session, const whittle_tensor *tokens,
    whittle_tensor *outputs, size_t n_out);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_RUNTIME_H */
