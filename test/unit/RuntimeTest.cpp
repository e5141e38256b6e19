//===- RuntimeTest.cpp - Unit tests of libwhittle_rt ----------------------===//
//
// Runs the runtime against hand-written fake model libraries (FakeModel.c):
// out = x * 2 + y over f32[2x3] ("small") and f32[64x4096] ("big").
//
//===----------------------------------------------------------------------===//

#include "whittle/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using ::testing::HasSubstr;

/// Opens a model or fails the test.
struct Model {
  whittle_model *m = nullptr;
  explicit Model(const char *path) {
    EXPECT_EQ(whittle_model_open(path, &m), WHITTLE_OK) << whittle_last_error();
  }
  ~Model() { whittle_model_close(m); }
};

struct Session {
  whittle_session *s = nullptr;
  explicit Session(whittle_model *m) {
    EXPECT_EQ(whittle_session_create(m, &s), WHITTLE_OK)
        << whittle_last_error();
  }
  ~Session() { whittle_session_destroy(s); }
};

/// Reaches the fake model's test hooks through its (already loaded) library.
template <typename Fn> Fn hook(const char *path, const char *name) {
  void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(h, nullptr);
  Fn fn = reinterpret_cast<Fn>(dlsym(h, name));
  dlclose(h);
  EXPECT_NE(fn, nullptr);
  return fn;
}

const int64_t kDims[2] = {2, 3};

whittle_tensor f32(float *data, const int64_t *dims = kDims, int32_t rank = 2) {
  return whittle_tensor{WHITTLE_DTYPE_F32, rank, dims, data};
}

std::string err() { return whittle_last_error(); }

TEST(DType, NamesAndSizes) {
  EXPECT_STREQ(whittle_dtype_name(WHITTLE_DTYPE_F16), "f16");
  EXPECT_STREQ(whittle_dtype_name(WHITTLE_DTYPE_BOOL), "bool");
  EXPECT_STREQ(whittle_dtype_name(WHITTLE_DTYPE_INVALID), "invalid");
  for (int d = WHITTLE_DTYPE_F16; d <= WHITTLE_DTYPE_BOOL; ++d) {
    auto dtype = static_cast<whittle_dtype>(d);
    EXPECT_EQ(whittle_dtype_from_name(whittle_dtype_name(dtype)), dtype);
  }
  EXPECT_EQ(whittle_dtype_from_name("float32"), WHITTLE_DTYPE_INVALID);
  EXPECT_EQ(whittle_dtype_from_name(nullptr), WHITTLE_DTYPE_INVALID);
  EXPECT_EQ(whittle_dtype_size(WHITTLE_DTYPE_F16), 2u);
  EXPECT_EQ(whittle_dtype_size(WHITTLE_DTYPE_I64), 8u);
  EXPECT_EQ(whittle_dtype_size(WHITTLE_DTYPE_BOOL), 1u);
  EXPECT_EQ(whittle_dtype_size(WHITTLE_DTYPE_INVALID), 0u);
  EXPECT_STREQ(whittle_status_name(WHITTLE_SHAPE_MISMATCH), "SHAPE_MISMATCH");
}

TEST(Model, Metadata) {
  Model model(WHITTLE_FAKE_MODEL);
  whittle_model *m = model.m;
  ASSERT_NE(m, nullptr);
  EXPECT_STREQ(whittle_model_name(m), "scale_add");
  EXPECT_THAT(whittle_model_metadata_text(m), HasSubstr("whittle-model 1"));
  EXPECT_EQ(whittle_model_workspace_bytes(m), 24);
  ASSERT_EQ(whittle_model_num_inputs(m), 2u);
  ASSERT_EQ(whittle_model_num_outputs(m), 1u);

  whittle_tensor_info info;
  ASSERT_EQ(whittle_model_input(m, 1, &info), WHITTLE_OK);
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.dtype, WHITTLE_DTYPE_F32);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[0], 2);
  EXPECT_EQ(info.dims[1], 3);
  EXPECT_EQ(info.num_elements, 6);
  EXPECT_EQ(info.size_bytes, 24u);
  ASSERT_EQ(whittle_model_output(m, 0, &info), WHITTLE_OK);
  EXPECT_STREQ(info.name, "out");

  EXPECT_EQ(whittle_model_input(m, 2, &info), WHITTLE_INVALID_ARGUMENT);
  EXPECT_THAT(err(), HasSubstr("input index 2 out of range"));
  EXPECT_EQ(whittle_model_output(m, 1, &info), WHITTLE_INVALID_ARGUMENT);
  EXPECT_EQ(whittle_model_find_input(m, "y"), 1);
  EXPECT_EQ(whittle_model_find_input(m, "out"), -1);
  EXPECT_EQ(whittle_model_find_output(m, "out"), 0);
}

TEST(Model, PercentDecodedNames) {
  Model model(WHITTLE_FAKE_MODEL_BIG);
  whittle_model *m = model.m;
  ASSERT_NE(m, nullptr);
  EXPECT_STREQ(whittle_model_name(m), "scale add big");
  whittle_tensor_info info;
  ASSERT_EQ(whittle_model_input(m, 0, &info), WHITTLE_OK);
  EXPECT_STREQ(info.name, "input x");
  EXPECT_EQ(info.dims[0], 64);
  EXPECT_EQ(info.dims[1], 4096);
  ASSERT_EQ(whittle_model_input(m, 1, &info), WHITTLE_OK);
  EXPECT_STREQ(info.name, "y%");
}

TEST(Model, LoadErrors) {
  whittle_model *m = reinterpret_cast<whittle_model *>(1);
  EXPECT_EQ(whittle_model_open("/nonexistent/model.so", &m),
            WHITTLE_LOAD_FAILED);
  EXPECT_EQ(m, nullptr);
  EXPECT_THAT(err(), HasSubstr("'/nonexistent/model.so'"));
  EXPECT_THAT(err(), HasSubstr("No such file"));

  EXPECT_EQ(whittle_model_open(WHITTLE_FAKE_NO_SYMBOLS, &m),
            WHITTLE_LOAD_FAILED);
  EXPECT_THAT(err(), HasSubstr("does not export whittle_model_abi_version"));

  EXPECT_EQ(whittle_model_open(WHITTLE_FAKE_BAD_ABI, &m), WHITTLE_LOAD_FAILED);
  EXPECT_THAT(err(), HasSubstr("model ABI version 99"));

  EXPECT_EQ(whittle_model_open(WHITTLE_FAKE_BAD_METADATA, &m),
            WHITTLE_LOAD_FAILED);
  EXPECT_THAT(err(), HasSubstr("malformed dims '2xthree'"));
  EXPECT_THAT(err(), HasSubstr("metadata line 2"));

  // A file that is not a shared library at all.
  EXPECT_EQ(whittle_model_open(WHITTLE_TEST_SOURCE, &m), WHITTLE_LOAD_FAILED);
  EXPECT_THAT(err(), HasSubstr("cannot load model library"));

  EXPECT_EQ(whittle_model_open(nullptr, &m), WHITTLE_INVALID_ARGUMENT);
  EXPECT_EQ(whittle_model_open(WHITTLE_FAKE_MODEL, nullptr),
            WHITTLE_INVALID_ARGUMENT);
  whittle_model_close(nullptr);
}

class Run : public ::testing::Test {
protected:
  Model model{WHITTLE_FAKE_MODEL};
  Session session{model.m};
  float x[6] = {1, 2, 3, 4, 5, 6};
  float y[6] = {0.5f, 0.5f, 0.5f, -1, -1, -1};
  whittle_tensor in[2] = {f32(x), f32(y)};

  void expectResult(const float *out) {
    for (int i = 0; i < 6; ++i)
      EXPECT_FLOAT_EQ(out[i], x[i] * 2 + y[i]) << "element " << i;
  }
};

TEST_F(Run, RuntimeAllocatedOutput) {
  whittle_tensor out = {};
  ASSERT_EQ(whittle_session_run(session.s, in, 2, &out, 1), WHITTLE_OK)
      << err();
  ASSERT_NE(out.data, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(out.data) % 64, 0u);
  EXPECT_EQ(out.dtype, WHITTLE_DTYPE_F32);
  ASSERT_EQ(out.rank, 2);
  EXPECT_EQ(out.dims[0], 2);
  EXPECT_EQ(out.dims[1], 3);
  expectResult(static_cast<float *>(out.data));

  // The buffer is the session's and is reused by the next run.
  void *first = out.data;
  x[0] = 10;
  whittle_tensor again = {};
  ASSERT_EQ(whittle_session_run(session.s, in, 2, &again, 1), WHITTLE_OK);
  EXPECT_EQ(again.data, first);
  expectResult(static_cast<float *>(again.data));
}

TEST_F(Run, CallerOwnedOutput) {
  float buf[6] = {};
  whittle_tensor out = f32(buf);
  ASSERT_EQ(whittle_session_run(session.s, in, 2, &out, 1), WHITTLE_OK)
      << err();
  EXPECT_EQ(out.data, buf);
  expectResult(buf);

  // Without dims the caller promises the size from whittle_model_output.
  float buf2[6] = {};
  whittle_tensor out2 = {WHITTLE_DTYPE_INVALID, 0, nullptr, buf2};
  ASSERT_EQ(whittle_session_run(session.s, in, 2, &out2, 1), WHITTLE_OK);
  expectResult(buf2);
  EXPECT_EQ(out2.dtype, WHITTLE_DTYPE_F32);
  EXPECT_EQ(out2.rank, 2);
  ASSERT_NE(out2.dims, nullptr);
}

TEST_F(Run, CallerOwnedOutputWrongShape) {
  float buf[8] = {};
  const int64_t dims[2] = {2, 4};
  whittle_tensor out = f32(buf, dims);
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 1),
            WHITTLE_SHAPE_MISMATCH);
  EXPECT_EQ(err(), "output 'out': dim 1 is 4, expected 3 (shape 2x4, "
                   "expected 2x3)");
}

TEST_F(Run, CountErrors) {
  whittle_tensor out = {};
  EXPECT_EQ(whittle_session_run(session.s, in, 1, &out, 1),
            WHITTLE_INVALID_ARGUMENT);
  EXPECT_EQ(err(), "expected 2 inputs, got 1");
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 0),
            WHITTLE_INVALID_ARGUMENT);
  EXPECT_EQ(err(), "expected 1 outputs, got 0");
  EXPECT_EQ(whittle_session_run(nullptr, in, 2, &out, 1),
            WHITTLE_INVALID_ARGUMENT);
}

TEST_F(Run, TypeMismatch) {
  int32_t yi[6] = {};
  in[1] = whittle_tensor{WHITTLE_DTYPE_I32, 2, kDims, yi};
  whittle_tensor out = {};
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 1),
            WHITTLE_TYPE_MISMATCH);
  EXPECT_EQ(err(), "input 'y': dtype is i32, expected f32");
  EXPECT_EQ(out.data, nullptr);
}

TEST_F(Run, ShapeMismatch) {
  const int64_t dims[2] = {2, 4};
  in[0] = f32(x, dims);
  whittle_tensor out = {};
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 1),
            WHITTLE_SHAPE_MISMATCH);
  EXPECT_EQ(err(),
            "input 'x': dim 1 is 4, expected 3 (shape 2x4, expected 2x3)");

  const int64_t dims3[3] = {2, 3, 1};
  in[0] = f32(x, dims3, 3);
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 1),
            WHITTLE_SHAPE_MISMATCH);
  EXPECT_EQ(err(),
            "input 'x': rank is 3, expected 2 (shape 2x3x1, expected 2x3)");

  in[0] = f32(x, nullptr, 0);
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 1),
            WHITTLE_SHAPE_MISMATCH);
  EXPECT_THAT(err(), HasSubstr("shape scalar, expected 2x3"));
}

TEST_F(Run, NullAndMisalignedData) {
  in[1].data = nullptr;
  whittle_tensor out = {};
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 1),
            WHITTLE_INVALID_ARGUMENT);
  EXPECT_EQ(err(), "input 'y': data is null");

  alignas(16) char raw[64] = {};
  in[1].data = raw + 1;
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 1),
            WHITTLE_INVALID_ARGUMENT);
  EXPECT_THAT(err(), HasSubstr("not aligned"));
}

TEST_F(Run, ModelFailure) {
  x[0] = -12345.0f;
  whittle_tensor out = {};
  EXPECT_EQ(whittle_session_run(session.s, in, 2, &out, 1), WHITTLE_RUN_FAILED);
  EXPECT_EQ(err(), "model 'scale_add' failed with code 7");
}

TEST(Threads, SerialAndParallel) {
  Model model(WHITTLE_FAKE_MODEL_BIG);
  ASSERT_NE(model.m, nullptr);
  Session session(model.m);
  auto reset = hook<void (*)()>(WHITTLE_FAKE_MODEL_BIG, "fake_reset_counters");
  auto maxConcurrency =
      hook<int32_t (*)()>(WHITTLE_FAKE_MODEL_BIG, "fake_max_concurrency");
  auto bodyCalls =
      hook<int32_t (*)()>(WHITTLE_FAKE_MODEL_BIG, "fake_body_calls");

  const int64_t dims[2] = {64, 4096};
  std::vector<float> x(64 * 4096, 1.0f), y(64 * 4096, 3.0f);
  whittle_tensor in[2] = {f32(x.data(), dims), f32(y.data(), dims)};

  EXPECT_GE(whittle_session_num_threads(session.s), 1);

  ASSERT_EQ(whittle_session_set_num_threads(session.s, 1), WHITTLE_OK);
  EXPECT_EQ(whittle_session_num_threads(session.s), 1);
  reset();
  whittle_tensor out = {};
  ASSERT_EQ(whittle_session_run(session.s, in, 2, &out, 1), WHITTLE_OK);
  EXPECT_EQ(bodyCalls(), 1); // One chunk over all rows, on this thread.
  EXPECT_EQ(maxConcurrency(), 1);
  EXPECT_EQ(static_cast<float *>(out.data)[64 * 4096 - 1], 5.0f);

  ASSERT_EQ(whittle_session_set_num_threads(session.s, 3), WHITTLE_OK);
  EXPECT_EQ(whittle_session_num_threads(session.s), 3);
  for (int i = 0; i < 5; ++i) {
    reset();
    out = {};
    ASSERT_EQ(whittle_session_run(session.s, in, 2, &out, 1), WHITTLE_OK);
    EXPECT_GT(bodyCalls(), 1); // Split into chunks.
    EXPECT_LE(maxConcurrency(), 3);
    auto *o = static_cast<float *>(out.data);
    for (size_t k = 0; k < x.size(); k += 997)
      ASSERT_EQ(o[k], 5.0f);
  }

  ASSERT_EQ(whittle_session_set_num_threads(session.s, 0), WHITTLE_OK);
  EXPECT_GE(whittle_session_num_threads(session.s), 1);
  EXPECT_EQ(whittle_session_set_num_threads(session.s, -2),
            WHITTLE_INVALID_ARGUMENT);
  EXPECT_THAT(err(), HasSubstr("got -2"));
}

TEST(Threads, ConcurrentSessions) {
  Model model(WHITTLE_FAKE_MODEL_BIG);
  ASSERT_NE(model.m, nullptr);
  constexpr int kThreads = 4, kRuns = 10;
  const int64_t dims[2] = {64, 4096};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      whittle_session *s = nullptr;
      if (whittle_session_create(model.m, &s) != WHITTLE_OK) {
        ++failures;
        return;
      }
      whittle_session_set_num_threads(s, 2);
      std::vector<float> x(64 * 4096), y(64 * 4096), out(64 * 4096);
      for (int r = 0; r < kRuns; ++r) {
        float xv = t * 100 + r, yv = -t;
        std::fill(x.begin(), x.end(), xv);
        std::fill(y.begin(), y.end(), yv);
        whittle_tensor in[2] = {f32(x.data(), dims), f32(y.data(), dims)};
        // Alternate caller-owned and runtime-allocated outputs.
        whittle_tensor o = r % 2 ? f32(out.data(), dims) : whittle_tensor{};
        if (whittle_session_run(s, in, 2, &o, 1) != WHITTLE_OK) {
          ++failures;
          continue;
        }
        auto *res = static_cast<float *>(o.data);
        for (size_t k = 0; k < x.size(); k += 61)
          if (res[k] != xv * 2 + yv) {
            ++failures;
            break;
          }
      }
      whittle_session_destroy(s);
    });
  }
  for (auto &th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Types, IntegerBoolAndScalar) {
  Model model(WHITTLE_FAKE_TYPES);
  ASSERT_NE(model.m, nullptr);
  whittle_tensor_info info;
  ASSERT_EQ(whittle_model_output(model.m, 3, &info), WHITTLE_OK);
  EXPECT_STREQ(info.name, "count");
  EXPECT_EQ(info.dtype, WHITTLE_DTYPE_I32);
  EXPECT_EQ(info.rank, 0);
  EXPECT_EQ(info.num_elements, 1);
  EXPECT_EQ(whittle_model_workspace_bytes(model.m), 0);

  Session session(model.m);
  const int64_t dims[1] = {4};
  int64_t ids[4] = {3, -7, 1LL << 40, 0};
  bool mask[4] = {true, false, true, true};
  whittle_tensor in[2] = {{WHITTLE_DTYPE_I64, 1, dims, ids},
                          {WHITTLE_DTYPE_BOOL, 1, dims, mask}};
  int32_t count = -1;
  whittle_tensor out[4] = {{}, {}, {}, {WHITTLE_DTYPE_I32, 0, nullptr, &count}};
  ASSERT_EQ(whittle_session_run(session.s, in, 2, out, 4), WHITTLE_OK) << err();
  EXPECT_EQ(static_cast<int64_t *>(out[0].data)[2], (1LL << 40) + 1);
  EXPECT_EQ(static_cast<bool *>(out[1].data)[1], true);
  EXPECT_EQ(static_cast<float *>(out[2].data)[0], 3.0f);
  EXPECT_EQ(count, 3);
  EXPECT_EQ(out[3].rank, 0);

  // A scalar where a vector is expected.
  in[0] = {WHITTLE_DTYPE_I64, 0, nullptr, ids};
  EXPECT_EQ(whittle_session_run(session.s, in, 2, out, 4),
            WHITTLE_SHAPE_MISMATCH);
  EXPECT_EQ(err(), "input 'ids': rank is 0, expected 1 (shape scalar, "
                   "expected 4)");
}

TEST(Errors, ThreadLocal) {
  whittle_model *m = nullptr;
  EXPECT_EQ(whittle_model_open("/nonexistent.so", &m), WHITTLE_LOAD_FAILED);
  std::string other;
  std::thread([&] { other = whittle_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_THAT(err(), HasSubstr("/nonexistent.so"));
}

TEST(Session, CreateErrors) {
  whittle_session *s = nullptr;
  EXPECT_EQ(whittle_session_create(nullptr, &s), WHITTLE_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  whittle_session_destroy(nullptr);
}

} // namespace
