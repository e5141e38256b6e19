//===- Session.cpp - Sessions: workspace, thread arena, validated runs ----===//

#include "Internal.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

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
    session->workspace = allocateAligned(model->workspaceSize);
    if (!session->workspace)
      return fail(WHITTLE_OUT_OF_MEMORY,
                  "cannot allocate a workspace of " +
                      std::to_string(model->workspaceSize) + " bytes");
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
        if (t.dims)
          if (whittle_status s = checkTensor("output", d, t))
            return s;
        if (whittle_status s = checkData("output", d, t.data))
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

  int32_t rc = 0;
  auto call = [&] {
    rc = session->model->run(session->inputPtrs.data(),
                             session->outputPtrs.data(),
                             session->workspace.get(), &session->executor);
  };
  // Entering the arena once lets every parallel_for of the run reuse it.
  if (session->arena)
    session->arena->execute(call);
  else
    call();
  if (rc != 0)
    return fail(WHITTLE_RUN_FAILED, "model '" + sig.name +
                                        "' failed with code " +
                                        std::to_string(rc));

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

} // extern "C"
