//===- Session.cpp - Sessions: workspace, thread arena, validated runs ----===//

#include "Cuda.h"
#include "Internal.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

using namespace whittle::rt;

namespace {

constexpr size_t kAlignment = 64;

struct AlignedFree {
  void operator()(void *p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<void, AlignedFree>;

/// Returns a 64-byte aligned block of at least bytes (never null on success,
/// even for 0 bytes, so models may always dereference their workspace base).
AlignedBuffer allocateAligned(size_t bytes) {
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0)
    rounded = kAlignment;
  return AlignedBuffer(std::aligned_alloc(kAlignment, rounded));
}

void serialFor(void *, int64_t count, whittle_task_fn body, void *context) {
  if (count > 0)
    body(context, 0, count);
}

void arenaFor(void *pool, int64_t count, whittle_task_fn body, void *context) {
  if (count <= 0)
    return;
  if (count == 1) {
    body(context, 0, 1);
    return;
  }
  auto *arena = static_cast<tbb::task_arena *>(pool);
  // execute() is cheap when the caller already runs inside this arena (the
  // usual case: the whole model run is entered through the arena), and keeps
  // the loop on the session's threads if a model calls from elsewhere.
  arena->execute([&] {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, count),
                      [&](const tbb::blocked_range<int64_t> &r) {
                        body(context, r.begin(), r.end());
                      });
  });
}

std::string dimsString(const int64_t *dims, int64_t rank) {
  if (rank == 0)
    return "scalar";
  std::string s;
  for (int64_t i = 0; i < rank; ++i) {
    if (i)
      s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

/// Checks t against its description; kind is "input" or "output".
whittle_status checkTensor(const char *kind, const TensorDesc &d,
                           const whittle_tensor &t) {
  std::string what = std::string(kind) + " '" + d.name + "'";
  if (t.dtype != d.dtype)
    return fail(WHITTLE_TYPE_MISMATCH,
                what + ": dtype is " + whittle_dtype_name(t.dtype) +
                    ", expected " + whittle_dtype_name(d.dtype));
  int64_t rank = static_cast<int64_t>(d.dims.size());
  std::string expected = dimsString(d.dims.data(), rank);
  if (t.rank < 0 || (t.rank > 0 && !t.dims))
    return fail(WHITTLE_INVALID_ARGUMENT, what + ": invalid rank " +
                                              std::to_string(t.rank) +
                                              " or null dims");
  std::string got = dimsString(t.dims, t.rank);
  if (t.rank != rank)
    return fail(WHITTLE_SHAPE_MISMATCH,
                what + ": rank is " + std::to_string(t.rank) + ", expected " +
                    std::to_string(rank) + " (shape " + got + ", expected " +
                    expected + ")");
  for (int64_t i = 0; i < rank; ++i)
    if (t.dims[i] != d.dims[i])
      return fail(WHITTLE_SHAPE_MISMATCH,
                  what + ": dim " + std::to_string(i) + " is " +
                      std::to_string(t.dims[i]) + ", expected " +
                      std::to_string(d.dims[i]) + " (shape " + got +
                      ", expected " + expected + ")");
  return WHITTLE_OK;
}

whittle_status checkData(const char *kind, const TensorDesc &d,
                         const void *data) {
  size_t elt = whittle_dtype_size(d.dtype);
  if (!data && d.sizeBytes != 0)
    return fail(WHITTLE_INVALID_ARGUMENT,
                std::string(kind) + " '" + d.name + "': data is null");
  if (reinterpret_cast<uintptr_t>(data) % elt != 0)
    return fail(WHITTLE_INVALID_ARGUMENT,
                std::string(kind) + " '" + d.name +
                    "': data is not aligned to its element size (" +
                    std::to_string(elt) + " bytes)");
  return WHITTLE_OK;
}

/// Checks a caller's output buffer: its data, and its dims when given.
whittle_status checkOutput(const TensorDesc &d, const whittle_tensor &t) {
  if (t.dims)
    if (whittle_status s = checkTensor("output", d, t))
      return s;
  return checkData("output", d, t.data);
}

/// `d` with `rows` entries along `axis`.
TensorDesc withRows(const TensorDesc &d, int64_t axis, int64_t rows) {
  TensorDesc r = d;
  r.dims[axis] = rows;
  r.numElements = 1;
  for (int64_t x : r.dims)
    r.numElements *= x;
  r.sizeBytes = r.numElements * whittle_dtype_size(r.dtype);
  return r;
}

/// Copies the first `rows` rows along `axis` of a tensor whose dims are
/// `dims` except along that axis, where src has srcRows and dst dstRows.
void copyRows(const void *src, int64_t srcRows, void *dst, int64_t dstRows,
              int64_t rows, const std::vector<int64_t> &dims, int64_t axis,
              size_t elementSize) {
  int64_t outer = 1;
  size_t inner = elementSize;
  for (int64_t i = 0; i < axis; ++i)
    outer *= dims[i];
  for (size_t i = axis + 1; i < dims.size(); ++i)
    inner *= dims[i];
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(static_cast<char *>(dst) + o * dstRows * inner,
                static_cast<const char *>(src) + o * srcRows * inner,
                rows * inner);
}

} // namespace

struct whittle_session {
  whittle_model *model = nullptr;
  AlignedBuffer workspace;
  int32_t numThreads = 1;
  std::unique_ptr<tbb::task_arena> arena;
  whittle_executor executor = {nullptr, serialFor};
  /// Runtime-allocated outputs, created on first need and reused.
  std::vector<AlignedBuffer> outputBuffers;
  std::vector<void *> inputPtrs, outputPtrs;
  /// Decoding: the key/value cache (zeroed when allocated, so that cache
  /// rows never written hold finite values), the next position, and the
  /// outputs of one step (sized for a prefill chunk) and its tokens.
  AlignedBuffer state;
  int64_t position = 0;
  std::vector<AlignedBuffer> stepOutputs;
  std::vector<void *> stepOutputPtrs;
  AlignedBuffer stepTokens;
  /// The shapes of the last decode call's outputs, and its runtime-owned
  /// outputs for every token.
  std::vector<TensorDesc> decodeOutputs;
  std::vector<AlignedBuffer> sequenceOutputs;
  /// Bounded sequences: inputs padded to the variant's length, its outputs,
  /// and the shapes of the last run's outputs.
  std::vector<AlignedBuffer> lengthInputs, lengthOutputs;
  std::vector<TensorDesc> runOutputs;
  /// GPU libraries: the device state (the workspace above stays empty).
  std::unique_ptr<GpuSession> gpu;

  void configure(int32_t n) {
    numThreads = n;
    if (n == 1) {
      arena.reset();
      executor = {nullptr, serialFor};
      return;
    }
    arena = std::make_unique<tbb::task_arena>(n);
    executor = {arena.get(), arenaFor};
  }

  /// Runs `call` (one call into the library) inside the session's arena:
  /// entering it once lets every parallel_for of the call reuse it.
  template <typename F> void execute(F &&call) {
    if (arena)
      arena->execute(call);
    else
      call();
  }
};

extern "C" {

whittle_status whittle_session_create(whittle_model *model,
                                      whittle_session **out) {
  if (!out)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_create: out is null");
  *out = nullptr;
  if (!model)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_create: model is null");
  try {
    auto session = std::make_unique<whittle_session>();
    session->model = model;
    if (!model->sig.gpuArch.empty()) {
      if (whittle_status st = GpuSession::create(model, session->gpu))
        return st;
      session->outputBuffers.resize(model->sig.outputs.size());
      *out = session.release();
      return WHITTLE_OK;
    }
    // One workspace serves the model's runs, its decode steps and its
    // length variants.
    int64_t workspaceSize =
        std::max({model->workspaceSize, model->decodeWorkspaceSize,
                  model->lengthWorkspaceSize});
    session->workspace = allocateAligned(workspaceSize);
    if (!session->workspace)
      return fail(WHITTLE_OUT_OF_MEMORY, "cannot allocate a workspace of " +
                                             std::to_string(workspaceSize) +
                                             " bytes");
    session->outputBuffers.resize(model->sig.outputs.size());
    session->configure(tbb::info::default_concurrency());
    *out = session.release();
    return WHITTLE_OK;
  } catch (const std::bad_alloc &) {
    return fail(WHITTLE_OUT_OF_MEMORY, "out of memory creating a session");
  }
}

void whittle_session_destroy(whittle_session *session) { delete session; }

whittle_status whittle_session_set_num_threads(whittle_session *session,
                                               int32_t n) {
  if (!session)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_set_num_threads: session is null");
  if (n < 0)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "number of threads must be >= 0, got " + std::to_string(n));
  try {
    session->configure(n == 0 ? tbb::info::default_concurrency() : n);
  } catch (const std::bad_alloc &) {
    return fail(WHITTLE_OUT_OF_MEMORY, "out of memory creating a thread arena");
  }
  return WHITTLE_OK;
}

int32_t whittle_session_num_threads(const whittle_session *session) {
  return session ? session->numThreads : 0;
}

namespace {

/// The rows of a bounded run: the extent of every input's bounded axis,
/// which must agree and lie in [min, MAX]. 0 (and no error) when an input
/// is malformed in a way whittle_session_run's checks report.
whittle_status sequenceRows(const Signature &sig, const whittle_tensor *inputs,
                            int64_t &n) {
  const LengthDesc &l = sig.lengths;
  n = 0;
  size_t first = 0;
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    int64_t axis = l.inputAxes[i];
    const whittle_tensor &t = inputs[i];
    if (axis < 0 || t.rank != static_cast<int32_t>(sig.inputs[i].dims.size()) ||
        !t.dims)
      continue;
    int64_t rows = t.dims[axis];
    std::string what = "input '" + sig.inputs[i].name + "': dim " +
                       std::to_string(axis) + " is " + std::to_string(rows);
    if (rows < l.minLength || rows > l.bound())
      return fail(WHITTLE_SHAPE_MISMATCH,
                  what + ", expected " + std::to_string(l.minLength) + " to " +
                      std::to_string(l.bound()) +
                      " (the model's bounded sequence axis)");
    if (n && rows != n)
      return fail(WHITTLE_SHAPE_MISMATCH,
                  what + ", but input '" + sig.inputs[first].name + "' has " +
                      std::to_string(n) +
                      " rows on its bounded axis; they must agree");
    if (!n)
      first = i;
    n = rows;
  }
  return WHITTLE_OK;
}

/// A run of n < MAX rows through the smallest variant that holds them:
/// inputs are copied into zeroed buffers of its length, and the first n
/// rows of its outputs out of them.
whittle_status runLength(whittle_session *session, const whittle_tensor *inputs,
                         whittle_tensor *outputs, int64_t n) {
  const Signature &sig = session->model->sig;
  const LengthDesc &l = sig.lengths;
  int64_t length = *std::lower_bound(l.variants.begin(), l.variants.end(), n);
  size_t numIn = sig.inputs.size(), numOut = sig.outputs.size();
  auto ensure = [&](AlignedBuffer &buf, const TensorDesc &d) {
    if (!buf)
      buf = allocateAligned(d.sizeBytes);
    if (!buf)
      return fail(WHITTLE_OUT_OF_MEMORY, "cannot allocate " +
                                             std::to_string(d.sizeBytes) +
                                             " bytes for '" + d.name + "'");
    return WHITTLE_OK;
  };
  std::vector<void *> destinations(numOut);
  try {
    session->lengthInputs.resize(numIn);
    session->lengthOutputs.resize(numOut);
    session->runOutputs.resize(numOut);
    session->inputPtrs.resize(numIn);
    session->outputPtrs.resize(numOut);
    for (size_t i = 0; i < numIn; ++i) {
      const TensorDesc &full = sig.inputs[i];
      int64_t axis = l.inputAxes[i];
      TensorDesc given = axis >= 0 ? withRows(full, axis, n) : full;
      if (whittle_status st = checkTensor("input", given, inputs[i]))
        return st;
      if (whittle_status st = checkData("input", given, inputs[i].data))
        return st;
      if (axis < 0) {
        session->inputPtrs[i] = inputs[i].data;
        continue;
      }
      // Rows past n are computed but never read; zeros keep them finite.
      AlignedBuffer &buf = session->lengthInputs[i];
      if (whittle_status st = ensure(buf, full))
        return st;
      std::memset(buf.get(), 0, withRows(full, axis, length).sizeBytes);
      copyRows(inputs[i].data, n, buf.get(), length, n, given.dims, axis,
               whittle_dtype_size(full.dtype));
      session->inputPtrs[i] = buf.get();
    }
    for (size_t i = 0; i < numOut; ++i) {
      const TensorDesc &full = sig.outputs[i];
      int64_t axis = l.outputAxes[i];
      TensorDesc &result = session->runOutputs[i];
      result = axis >= 0 ? withRows(full, axis, n) : full;
      whittle_tensor &t = outputs[i];
      if (t.data) {
        if (whittle_status st = checkOutput(result, t))
          return st;
        destinations[i] = t.data;
      } else {
        if (whittle_status st = ensure(session->outputBuffers[i], full))
          return st;
        destinations[i] = session->outputBuffers[i].get();
      }
      if (axis < 0) {
        session->outputPtrs[i] = destinations[i];
        continue;
      }
      if (whittle_status st = ensure(session->lengthOutputs[i], full))
        return st;
      session->outputPtrs[i] = session->lengthOutputs[i].get();
    }
  } catch (const std::bad_alloc &) {
    return fail(WHITTLE_OUT_OF_MEMORY, "out of memory preparing a run");
  }

  int32_t rc = 0;
  auto call = [&] {
    rc = session->model->runLength(
        n, session->inputPtrs.data(), session->outputPtrs.data(),
        session->workspace.get(), &session->executor);
  };
  session->execute(call);
  if (rc != 0)
    return fail(WHITTLE_RUN_FAILED,
                "model '" + sig.name + "' failed with code " +
                    std::to_string(rc) + " on " + std::to_string(n) + " rows");

  for (size_t i = 0; i < numOut; ++i) {
    const TensorDesc &result = session->runOutputs[i];
    if (int64_t axis = l.outputAxes[i]; axis >= 0)
      copyRows(session->outputPtrs[i], length, destinations[i], n, n,
               result.dims, axis, whittle_dtype_size(result.dtype));
    outputs[i].dtype = result.dtype;
    outputs[i].rank = static_cast<int32_t>(result.dims.size());
    if (!outputs[i].dims)
      outputs[i].dims = result.dims.data();
    outputs[i].data = destinations[i];
  }
  return WHITTLE_OK;
}

} // namespace

whittle_status whittle_session_run(whittle_session *session,
                                   const whittle_tensor *inputs, size_t n_in,
                                   whittle_tensor *outputs, size_t n_out) {
  if (!session)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_run: session is null");
  const Signature &sig = session->model->sig;
  if (n_in != sig.inputs.size())
    return fail(WHITTLE_INVALID_ARGUMENT,
                "expected " + std::to_string(sig.inputs.size()) +
                    " inputs, got " + std::to_string(n_in));
  if (n_out != sig.outputs.size())
    return fail(WHITTLE_INVALID_ARGUMENT,
                "expected " + std::to_string(sig.outputs.size()) +
                    " outputs, got " + std::to_string(n_out));
  if ((n_in && !inputs) || (n_out && !outputs))
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_run: inputs or outputs is null");
  if (!sig.lengths.variants.empty() && !session->gpu) {
    int64_t rows = 0;
    if (whittle_status st = sequenceRows(sig, inputs, rows))
      return st;
    if (rows && rows != sig.lengths.bound())
      return runLength(session, inputs, outputs, rows);
  }

  try {
    session->inputPtrs.resize(n_in);
    session->outputPtrs.resize(n_out);
    for (size_t i = 0; i < n_in; ++i) {
      const TensorDesc &d = sig.inputs[i];
      if (whittle_status s = checkTensor("input", d, inputs[i]))
        return s;
      if (whittle_status s = checkData("input", d, inputs[i].data))
        return s;
      session->inputPtrs[i] = inputs[i].data;
    }
    for (size_t i = 0; i < n_out; ++i) {
      const TensorDesc &d = sig.outputs[i];
      whittle_tensor &t = outputs[i];
      if (t.data) {
        if (whittle_status s = checkOutput(d, t))
          return s;
        session->outputPtrs[i] = t.data;
        continue;
      }
      AlignedBuffer &buf = session->outputBuffers[i];
      if (!buf) {
        buf = allocateAligned(d.sizeBytes);
        if (!buf)
          return fail(WHITTLE_OUT_OF_MEMORY,
                      "cannot allocate " + std::to_string(d.sizeBytes) +
                          " bytes for output '" + d.name + "'");
      }
      session->outputPtrs[i] = buf.get();
    }
  } catch (const std::bad_alloc &) {
    return fail(WHITTLE_OUT_OF_MEMORY, "out of memory preparing a run");
  }

  if (session->gpu) {
    if (whittle_status st = session->gpu->runFromHost(
            session->inputPtrs.data(), session->outputPtrs.data()))
      return st;
  } else {
    int32_t rc = 0;
    auto call = [&] {
      rc = session->model->run(session->inputPtrs.data(),
                               session->outputPtrs.data(),
                               session->workspace.get(), &session->executor);
    };
    session->execute(call);
    if (rc != 0)
      return fail(WHITTLE_RUN_FAILED, "model '" + sig.name +
                                          "' failed with code " +
                                          std::to_string(rc));
  }

  for (size_t i = 0; i < n_out; ++i) {
    const TensorDesc &d = sig.outputs[i];
    outputs[i].dtype = d.dtype;
    outputs[i].rank = static_cast<int32_t>(d.dims.size());
    if (!outputs[i].dims)
      outputs[i].dims = d.dims.data();
    outputs[i].data = session->outputPtrs[i];
  }
  return WHITTLE_OK;
}

const char *whittle_session_device(const whittle_session *session) {
  if (session && session->gpu)
    return session->gpu->description().c_str();
  return "cpu";
}

whittle_status whittle_session_run_device(whittle_session *session,
                                          const whittle_tensor *inputs,
                                          size_t n_in, whittle_tensor *outputs,
                                          size_t n_out) {
  if (!session)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_run_device: session is null");
  if (!session->gpu)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_run_device: model '" +
                    session->model->sig.name + "' is not a GPU library");
  const Signature &sig = session->model->sig;
  if (n_in != sig.inputs.size() || n_out != sig.outputs.size() ||
      (n_in && !inputs) || (n_out && !outputs))
    return fail(WHITTLE_INVALID_ARGUMENT,
                "expected " + std::to_string(sig.inputs.size()) +
                    " inputs and " + std::to_string(sig.outputs.size()) +
                    " outputs");
  std::vector<void *> in(n_in), out(n_out);
  for (size_t i = 0; i < n_in; ++i) {
    if (whittle_status s = checkTensor("input", sig.inputs[i], inputs[i]))
      return s;
    if (!inputs[i].data)
      return fail(WHITTLE_INVALID_ARGUMENT,
                  "input '" + sig.inputs[i].name + "' has no data");
    in[i] = inputs[i].data;
  }
  for (size_t i = 0; i < n_out; ++i) {
    if (outputs[i].dims)
      if (whittle_status s = checkTensor("output", sig.outputs[i], outputs[i]))
        return s;
    if (!outputs[i].data)
      return fail(WHITTLE_INVALID_ARGUMENT,
                  "output '" + sig.outputs[i].name +
                      "' has no device buffer (data)");
    out[i] = outputs[i].data;
  }
  if (whittle_status s = session->gpu->run(in.data(), out.data()))
    return s;
  for (size_t i = 0; i < n_out; ++i) {
    outputs[i].dtype = sig.outputs[i].dtype;
    outputs[i].rank = static_cast<int32_t>(sig.outputs[i].dims.size());
    if (!outputs[i].dims)
      outputs[i].dims = sig.outputs[i].dims.data();
  }
  return WHITTLE_OK;
}

whittle_status whittle_session_decode_reset(whittle_session *session) {
  if (!session)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_decode_reset: session is null");
  session->position = 0;
  return WHITTLE_OK;
}

int64_t whittle_session_decode_position(const whittle_session *session) {
  return session ? session->position : 0;
}

namespace {

/// Runs whittle_model_decode on `n` (1 or the chunk) tokens at the session's
/// position; `tokens` is [batch, n].
whittle_status decodeStep(whittle_session *session, int64_t n,
                          const void *tokens) {
  whittle_model *model = session->model;
  int32_t rc = 0;
  auto call = [&] {
    rc = model->decode(n, tokens, session->position, session->state.get(),
                       session->stepOutputPtrs.data(), session->workspace.get(),
                       &session->executor);
  };
  session->execute(call);
  if (rc != 0)
    return fail(WHITTLE_RUN_FAILED, "decode step of model '" + model->sig.name +
                                        "' failed with code " +
                                        std::to_string(rc));
  return WHITTLE_OK;
}

/// Appends `tokens` to the session's sequence; outputs receive the last
/// token's outputs, or with `everyToken` those of every appended token.
whittle_status decodeTokens(whittle_session *session,
                            const whittle_tensor *tokens,
                            whittle_tensor *outputs, size_t n_out,
                            bool everyToken) {
  if (!session || !tokens)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_session_decode: session or tokens is null");
  whittle_model *model = session->model;
  const Signature &sig = model->sig;
  const DecodeDesc &d = sig.decode;
  if (!d.maxTokens)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "model '" + sig.name +
                    "' was not compiled with --decode (no decode entry point)");
  if (n_out != d.tokenOutputs.size() || (n_out && !outputs))
    return fail(WHITTLE_INVALID_ARGUMENT,
                "expected " + std::to_string(d.tokenOutputs.size()) +
                    " outputs, got " + std::to_string(n_out));

  // The tokens: [batch, n] of the token input's dtype, n >= 1, within the
  // cache.
  const TensorDesc &in = sig.inputs[0];
  std::string what = "tokens for input '" + in.name + "'";
  if (tokens->dtype != in.dtype)
    return fail(WHITTLE_TYPE_MISMATCH,
                what + ": dtype is " + whittle_dtype_name(tokens->dtype) +
                    ", expected " + whittle_dtype_name(in.dtype));
  if (tokens->rank != 2 || !tokens->dims || tokens->dims[0] != in.dims[0] ||
      tokens->dims[1] < 1)
    return fail(WHITTLE_SHAPE_MISMATCH,
                what + ": shape is " +
                    (tokens->dims ? dimsString(tokens->dims, tokens->rank)
                                  : std::string("null")) +
                    ", expected " + std::to_string(in.dims[0]) +
                    "xN with N >= 1");
  int64_t batch = in.dims[0], count = tokens->dims[1];
  if (session->position + count > d.maxTokens)
    return fail(WHITTLE_SHAPE_MISMATCH,
                what + ": " + std::to_string(count) + " tokens at position " +
                    std::to_string(session->position) + " exceed the " +
                    std::to_string(d.maxTokens) +
                    "-token cache (whittle_session_decode_reset starts over)");
  if (!tokens->data)
    return fail(WHITTLE_INVALID_ARGUMENT, what + ": data is null");
  // The outputs' shapes: one token's, or with the sequence axis of every
  // appended token.
  std::vector<TensorDesc> &expected = session->decodeOutputs;
  expected.assign(d.tokenOutputs.begin(), d.tokenOutputs.end());
  if (everyToken)
    for (size_t i = 0; i < n_out; ++i) {
      TensorDesc &e = expected[i];
      e.dims[d.outputSeqAxes[i]] = count;
      e.numElements *= count;
      e.sizeBytes *= count;
    }
  for (size_t i = 0; i < n_out; ++i) {
    const whittle_tensor &t = outputs[i];
    if (t.data)
      if (whittle_status s = checkOutput(expected[i], t))
        return s;
  }

  size_t eltBytes = whittle_dtype_size(in.dtype);
  try {
    if (!session->state) {
      session->state = allocateAligned(d.stateBytes);
      if (!session->state)
        return fail(WHITTLE_OUT_OF_MEMORY,
                    "cannot allocate a key/value cache of " +
                        std::to_string(d.stateBytes) + " bytes");
      std::memset(session->state.get(), 0, d.stateBytes);
      session->stepOutputs.resize(n_out);
      session->stepOutputPtrs.resize(n_out);
      for (size_t i = 0; i < n_out; ++i) {
        session->stepOutputs[i] = allocateAligned(d.chunkOutputs[i].sizeBytes);
        if (!session->stepOutputs[i])
          return fail(WHITTLE_OUT_OF_MEMORY,
                      "out of memory for decode outputs");
        session->stepOutputPtrs[i] = session->stepOutputs[i].get();
      }
      session->stepTokens = allocateAligned(batch * d.chunk * eltBytes);
      if (!session->stepTokens)
        return fail(WHITTLE_OUT_OF_MEMORY, "out of memory for decode tokens");
    }
    session->sequenceOutputs.resize(n_out);
    for (size_t i = 0; i < n_out; ++i) {
      if (outputs[i].data)
        continue;
      AlignedBuffer &buf =
          everyToken ? session->sequenceOutputs[i] : session->outputBuffers[i];
      if (everyToken || !buf) {
        buf = allocateAligned(everyToken ? expected[i].sizeBytes
                                         : sig.outputs[i].sizeBytes);
        if (!buf)
          return fail(WHITTLE_OUT_OF_MEMORY, "out of memory for outputs");
      }
    }
  } catch (const std::bad_alloc &) {
    return fail(WHITTLE_OUT_OF_MEMORY, "out of memory preparing a decode");
  }

  // Prefill chunks while enough tokens remain to fill a good part of one
  // (a chunk costs about as much as chunk/4 single steps), then one token
  // at a time. A partial chunk is padded at its end: the cache rows it
  // writes past the last real token are rewritten before any query sees
  // them.
  const char *src = static_cast<const char *>(tokens->data);
  int64_t done = 0;
  while (done < count) {
    int64_t left = count - done;
    int64_t n = d.chunk > 1 && left >= std::max<int64_t>(2, d.chunk / 4)
                    ? std::min(left, d.chunk)
                    : 1;
    int64_t width = n == 1 ? 1 : d.chunk;
    char *dst = static_cast<char *>(session->stepTokens.get());
    std::memset(dst, 0, batch * width * eltBytes);
    for (int64_t b = 0; b < batch; ++b)
      std::memcpy(dst + b * width * eltBytes,
                  src + (b * count + done) * eltBytes, n * eltBytes);
    if (whittle_status s = decodeStep(session, width, dst))
      return s;
    session->position += n;
    // Each output's entries for the real tokens of this step (every token)
    // or for the last token of the last step.
    if (everyToken || done + n == count)
      for (size_t i = 0; i < n_out; ++i) {
        const TensorDesc &step = d.tokenOutputs[i];
        int64_t axis = d.outputSeqAxes[i];
        int64_t outer = 1, inner = whittle_dtype_size(step.dtype);
        for (int64_t a = 0; a < axis; ++a)
          outer *= step.dims[a];
        for (size_t a = axis + 1; a < step.dims.size(); ++a)
          inner *= step.dims[a];
        void *target = outputs[i].data ? outputs[i].data
                       : everyToken    ? session->sequenceOutputs[i].get()
                                       : session->outputBuffers[i].get();
        const char *from =
            static_cast<const char *>(session->stepOutputPtrs[i]);
        int64_t rows = everyToken ? n : 1, first = everyToken ? 0 : n - 1;
        int64_t span = everyToken ? count : 1, at = everyToken ? done : 0;
        for (int64_t o = 0; o < outer; ++o)
          std::memcpy(static_cast<char *>(target) + (o * span + at) * inner,
                      from + (o * width + first) * inner, rows * inner);
        outputs[i].data = target;
        outputs[i].dtype = step.dtype;
        outputs[i].rank = static_cast<int32_t>(step.dims.size());
        if (!outputs[i].dims)
          outputs[i].dims =
              everyToken ? expected[i].dims.data() : step.dims.data();
      }
    done += n;
  }
  return WHITTLE_OK;
}

} // namespace

whittle_status whittle_session_decode(whittle_session *session,
                                      const whittle_tensor *tokens,
                                      whittle_tensor *outputs, size_t n_out) {
  return decodeTokens(session, tokens, outputs, n_out, /*everyToken=*/false);
}

whittle_status whittle_session_decode_sequence(whittle_session *session,
                                               const whittle_tensor *tokens,
                                               whittle_tensor *outputs,
                                               size_t n_out) {
  return decodeTokens(session, tokens, outputs, n_out, /*everyToken=*/true);
}

} // extern "C"
