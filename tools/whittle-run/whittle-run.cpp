//===- whittle-run.cpp - Run a compiled Whittle model ---------------------===//
//
// Loads a model library through libwhittle_rt and either prints its
// signature, checks it against ONNX test data (input_K.pb / output_K.pb),
// runs it on the user's .npy/.pb inputs, or measures its latency.
//
//===----------------------------------------------------------------------===//

#include "HostTensor.h"
#include "whittle/runtime.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace whittle::run;

namespace {

const char *kUsage =
    "usage: whittle-run MODEL.so [options]\n"
    "\n"
    "Without inputs, prints the model's signature.\n"
    "\n"
    "  --test-data DIR       run DIR/input_K.pb, compare with DIR/output_K.pb\n"
    "  --atol A              absolute tolerance (default 1e-5)\n"
    "  --rtol R              relative tolerance (default 1e-3)\n"
    "  --input NAME=FILE     an input from a .npy or .pb file (repeatable;\n"
    "                        FILE alone binds inputs in order)\n"
    "  --output-dir DIR      write every output to DIR/NAME.npy\n"
    "  --iterations N        time N runs, print the median latency\n"
    "  --warmup W            untimed runs before timing (default 1)\n"
    "  --threads T           threads per run (default: all hardware threads)\n"
    "  --generate N          (library compiled with --decode) prefill the\n"
    "                        token ids of the first input, then generate N\n"
    "                        tokens greedily; prints them and the latency\n"
    "                        per token\n";

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "whittle-run: error: %s\n", msg.c_str());
  std::exit(1);
}

struct Options {
  std::string model;
  std::string testData;
  double atol = 1e-5, rtol = 1e-3;
  std::vector<std::string> inputs;
  std::string outputDir;
  int64_t iterations = 0, warmup = 1;
  int32_t threads = 0;
  int64_t generate = 0;
};

bool isDir(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool exists(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

double parseNumber(const std::string &flag, const std::string &v) {
  char *end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !(d >= 0))
    die("invalid value '" + v + "' for " + flag +
        " (expected a non-negative number)");
  return d;
}

int64_t parseCount(const std::string &flag, const std::string &v) {
  char *end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || n < 0)
    die("invalid value '" + v + "' for " + flag +
        " (expected a non-negative integer)");
  return n;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) {
      if (!o.model.empty())
        die("unexpected argument '" + arg + "' (one model per run)");
      o.model = arg;
      continue;
    }
    size_t eq = arg.find('=');
    bool inlineValue = eq != std::string::npos;
    std::string flag = inlineValue ? arg.substr(0, eq) : arg;
    auto next = [&]() -> std::string {
      if (inlineValue)
        return arg.substr(eq + 1);
      if (i + 1 >= argc)
        die(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--test-data")
      o.testData = next();
    else if (flag == "--atol")
      o.atol = parseNumber(flag, next());
    else if (flag == "--rtol")
      o.rtol = parseNumber(flag, next());
    else if (flag == "--input")
      o.inputs.push_back(next());
    else if (flag == "--output-dir")
      o.outputDir = next();
    else if (flag == "--iterations")
      o.iterations = parseCount(flag, next());
    else if (flag == "--warmup")
      o.warmup = parseCount(flag, next());
    else if (flag == "--threads")
      o.threads = static_cast<int32_t>(parseCount(flag, next()));
    else if (flag == "--generate")
      o.generate = parseCount(flag, next());
    else
      die("unknown option '" + flag + "'\n" + kUsage);
  }
  if (o.model.empty())
    die(std::string("no model given\n") + kUsage);
  return o;
}

/// NAME dtype[dims]; a bounded axis (`lengthAxis`) is spelled ?MAX.
std::string describe(const whittle_tensor_info &info, int32_t lengthAxis) {
  std::string dims;
  for (int32_t i = 0; i < info.rank; ++i)
    dims += (i ? "x" : "") + std::string(i == lengthAxis ? "?" : "") +
            std::to_string(info.dims[i]);
  return "'" + std::string(info.name) + "' " + whittle_dtype_name(info.dtype) +
         "[" + (info.rank ? dims : "scalar") + "]";
}

void printSignature(whittle_model *m, const std::string &path) {
  std::printf("model '%s' (%s)\n", whittle_model_name(m), path.c_str());
  whittle_tensor_info info;
  for (size_t i = 0; i < whittle_model_num_inputs(m); ++i) {
    whittle_model_input(m, i, &info);
    std::printf("  input  %zu: %s\n", i,
                describe(info, whittle_model_input_length_axis(m, i)).c_str());
  }
  for (size_t i = 0; i < whittle_model_num_outputs(m); ++i) {
    whittle_model_output(m, i, &info);
    std::printf("  output %zu: %s\n", i,
                describe(info, whittle_model_output_length_axis(m, i)).c_str());
  }
  std::printf("  workspace: %lld bytes\n",
              static_cast<long long>(whittle_model_workspace_bytes(m)));
  if (int64_t bound = whittle_model_max_length(m))
    std::printf("  lengths: %lld to %lld along the ?-marked axes\n",
                static_cast<long long>(whittle_model_min_length(m)),
                static_cast<long long>(bound));
  if (int64_t maxTokens = whittle_model_decode_max_tokens(m))
    std::printf("  decode: key/value cache of %lld tokens (--generate)\n",
                static_cast<long long>(maxTokens));
}

HostTensor readTensorOrDie(const std::string &path) {
  HostTensor t;
  std::string error;
  if (!whittle::run::readTensorFile(path, t, error))
    die(error);
  return t;
}

/// Reads DIR/PREFIX_K.pb for K = 0, 1, ... until one is missing.
std::vector<std::pair<std::string, HostTensor>>
readNumbered(const std::string &dir, const char *prefix) {
  std::vector<std::pair<std::string, HostTensor>> files;
  for (int k = 0;; ++k) {
    std::string path = dir + "/" + prefix + "_" + std::to_string(k) + ".pb";
    if (!exists(path))
      break;
    files.emplace_back(path, readTensorOrDie(path));
  }
  return files;
}

/// Orders files by the model's names when every file names a distinct
/// tensor of the model; otherwise keeps their order (position K).
template <typename FindFn>
std::vector<size_t> bindByNameOrPosition(
    const std::vector<std::pair<std::string, HostTensor>> &files, size_t count,
    FindFn find) {
  std::vector<size_t> slotOf(files.size());
  std::vector<bool> used(count, false);
  bool byName = true;
  for (size_t k = 0; k < files.size() && byName; ++k) {
    int64_t idx = find(files[k].second.name.c_str());
    if (idx < 0 || used[idx])
      byName = false;
    else
      used[idx] = true, slotOf[k] = idx;
  }
  if (!byName)
    for (size_t k = 0; k < files.size(); ++k)
      slotOf[k] = k;
  return slotOf;
}

/// Deterministic inputs for timing runs without data: small floats, zeros
/// for integers (safe as indices).
HostTensor syntheticInput(const whittle_tensor_info &info) {
  HostTensor t;
  t.name = info.name;
  t.dtype = info.dtype;
  t.dims.assign(info.dims, info.dims + info.rank);
  t.allocate();
  uint32_t state = 12345;
  for (int64_t i = 0; i < t.numElements(); ++i) {
    state = state * 1664525u + 1013904223u;
    float v = static_cast<float>(state >> 8) / 16777216.0f * 2.0f - 1.0f;
    if (t.dtype == WHITTLE_DTYPE_F32)
      static_cast<float *>(t.data())[i] = v;
    else if (t.dtype == WHITTLE_DTYPE_F64)
      static_cast<double *>(t.data())[i] = v;
  }
  return t;
}

/// An integer mask of ones with the token input's shape.
bool isAllOnes(const HostTensor &t, const std::vector<int64_t> &dims) {
  if (t.dims != dims)
    return false;
  for (int64_t i = 0; i < t.numElements(); ++i)
    if (elementAsDouble(t, i) != 1.0)
      return false;
  return true;
}

HostTensor copyOutput(const whittle_tensor &t,
                      const whittle_tensor_info &info) {
  HostTensor h;
  h.name = info.name;
  h.dtype = t.dtype;
  h.dims.assign(t.dims, t.dims + t.rank);
  h.allocate();
  std::memcpy(h.data(), t.data, h.sizeBytes());
  return h;
}

bool isFloat(whittle_dtype d) {
  return d == WHITTLE_DTYPE_F16 || d == WHITTLE_DTYPE_F32 ||
         d == WHITTLE_DTYPE_F64;
}

/// Compares got with expected and prints one line; returns true on a match.
bool compare(const HostTensor &got, const HostTensor &want,
             const std::string &wantPath, const Options &o) {
  std::string label = "output '" + got.name + "'";
  if (got.dtype != want.dtype) {
    std::printf("%s: dtype %s, expected %s (%s): MISMATCH\n", label.c_str(),
                whittle_dtype_name(got.dtype), whittle_dtype_name(want.dtype),
                wantPath.c_str());
    return false;
  }
  if (got.dims != want.dims) {
    std::printf("%s: shape %s, expected %s (%s): MISMATCH\n", label.c_str(),
                shapeString(got.dims).c_str(), shapeString(want.dims).c_str(),
                wantPath.c_str());
    return false;
  }
  bool exact = !isFloat(got.dtype);
  double maxAbs = 0, maxRel = 0;
  int64_t bad = 0, firstBad = -1;
  const bool sameBytes =
      exact && std::memcmp(got.data(), want.data(), got.sizeBytes()) == 0;
  for (int64_t i = 0; i < got.numElements(); ++i) {
    double a = elementAsDouble(got, i), b = elementAsDouble(want, i);
    bool ok;
    double absErr, relErr;
    if (std::isnan(a) || std::isnan(b)) {
      ok = std::isnan(a) && std::isnan(b);
      absErr = relErr = ok ? 0 : INFINITY;
    } else if (std::isinf(a) || std::isinf(b)) {
      ok = a == b;
      absErr = relErr = ok ? 0 : INFINITY;
    } else {
      absErr = std::fabs(a - b);
      relErr = b != 0 ? absErr / std::fabs(b) : (absErr == 0 ? 0 : INFINITY);
      ok = exact ? absErr == 0 : absErr <= o.atol + o.rtol * std::fabs(b);
    }
    maxAbs = std::max(maxAbs, absErr);
    maxRel = std::max(maxRel, relErr);
    if (!ok && bad++ == 0)
      firstBad = i;
  }
  // Integers beyond 2^53 lose precision as doubles; the bytes decide.
  if (exact)
    bad = sameBytes ? 0 : std::max<int64_t>(bad, 1);
  std::printf("%s: max abs error %g, max rel error %g (atol %g, rtol %g): %s\n",
              label.c_str(), maxAbs, maxRel, o.atol, o.rtol,
              bad ? "MISMATCH" : "OK");
  if (bad && firstBad >= 0)
    std::printf(
        "  %lld of %lld elements differ; first at flat index %lld: "
        "got %g, expected %g\n",
        static_cast<long long>(bad), static_cast<long long>(got.numElements()),
        static_cast<long long>(firstBad), elementAsDouble(got, firstBad),
        elementAsDouble(want, firstBad));
  return bad == 0;
}

void printOutput(const HostTensor &t) {
  std::printf("output '%s' %s[%s]:", t.name.c_str(),
              whittle_dtype_name(t.dtype), shapeString(t.dims).c_str());
  int64_t n = t.numElements(), shown = std::min<int64_t>(n, 8);
  for (int64_t i = 0; i < shown; ++i)
    std::printf(" %g", elementAsDouble(t, i));
  std::printf("%s\n", n > shown ? " ..." : "");
}

std::string fileNameFor(const std::string &name) {
  std::string s = name.empty() ? "output" : name;
  for (char &c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
        c != '_')
      c = '_';
  return s;
}

} // namespace

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// --generate: prefill the prompt, then greedy decoding (argmax of the first
/// output's last axis) through the session's key/value cache.
int generate(whittle_model *model, HostTensor &prompt, const Options &o) {
  int64_t maxTokens = whittle_model_decode_max_tokens(model);
  if (!maxTokens)
    die("--generate needs a library compiled with --decode");
  whittle_tensor_info tokenInfo, logitsInfo;
  whittle_model_input(model, 0, &tokenInfo);
  whittle_model_decode_output(model, 0, &logitsInfo);
  if (prompt.dtype != tokenInfo.dtype || prompt.dims.size() != 2 ||
      prompt.dims[0] != tokenInfo.dims[0])
    die("the prompt must be " +
        std::string(whittle_dtype_name(tokenInfo.dtype)) + "[" +
        std::to_string(tokenInfo.dims[0]) + "xN] token ids, got " +
        whittle_dtype_name(prompt.dtype) + "[" + shapeString(prompt.dims) +
        "]");
  if (logitsInfo.dtype != WHITTLE_DTYPE_F32 || logitsInfo.rank < 1)
    die("--generate picks tokens from f32 logits; output '" +
        std::string(logitsInfo.name) + "' is " +
        whittle_dtype_name(logitsInfo.dtype));
  int64_t batch = prompt.dims[0];
  int64_t vocab = logitsInfo.dims[logitsInfo.rank - 1];
  if (logitsInfo.num_elements != batch * vocab)
    die("output '" + std::string(logitsInfo.name) +
        "' is not one row of logits per sequence");

  whittle_session *session = nullptr;
  if (whittle_session_create(model, &session) != WHITTLE_OK ||
      whittle_session_set_num_threads(session, o.threads) != WHITTLE_OK)
    die(whittle_last_error());
  size_t numOut = whittle_model_num_outputs(model);
  std::vector<whittle_tensor> out(numOut);
  auto step = [&](HostTensor &tokens) {
    std::fill(out.begin(), out.end(), whittle_tensor{});
    auto start = std::chrono::steady_clock::now();
    whittle_tensor view = tokens.view();
    if (whittle_session_decode(session, &view, out.data(), numOut) !=
        WHITTLE_OK)
      die(whittle_last_error());
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - start)
        .count();
  };

  double prefillMs = step(prompt);
  HostTensor next;
  next.dtype = tokenInfo.dtype;
  next.dims = {batch, 1};
  next.allocate();
  std::vector<std::vector<int64_t>> generated(batch);
  std::vector<double> ms;
  for (int64_t i = 0; i < o.generate; ++i) {
    const float *logits = static_cast<const float *>(out[0].data);
    for (int64_t b = 0; b < batch; ++b) {
      const float *row = logits + b * vocab;
      int64_t best = std::max_element(row, row + vocab) - row;
      generated[b].push_back(best);
      if (next.dtype == WHITTLE_DTYPE_I64)
        static_cast<int64_t *>(next.data())[b] = best;
      else if (next.dtype == WHITTLE_DTYPE_I32)
        static_cast<int32_t *>(next.data())[b] = static_cast<int32_t>(best);
      else
        die("--generate writes i64 or i32 token ids");
    }
    if (i + 1 == o.generate)
      break;
    if (whittle_session_decode_position(session) == maxTokens) {
      std::fprintf(stderr, "note: the %lld-token cache is full\n",
                   static_cast<long long>(maxTokens));
      break;
    }
    ms.push_back(step(next));
  }
  std::printf("prompt: %lld tokens, prefill %.3f ms\n",
              static_cast<long long>(prompt.dims[1]), prefillMs);
  for (int64_t b = 0; b < batch; ++b) {
    std::printf("generated%s:",
                batch > 1 ? (" " + std::to_string(b)).c_str() : "");
    for (int64_t t : generated[b])
      std::printf(" %lld", static_cast<long long>(t));
    std::printf("\n");
  }
  if (!ms.empty())
    std::printf("decode: median %.3f ms per token (%zu steps, %d threads)\n",
                median(ms), ms.size(), whittle_session_num_threads(session));
  whittle_session_destroy(session);
  return 0;
}

int main(int argc, char **argv) {
  Options o = parseArgs(argc, argv);

  whittle_model *model = nullptr;
  if (whittle_model_open(o.model.c_str(), &model) != WHITTLE_OK)
    die(whittle_last_error());
  size_t numIn = whittle_model_num_inputs(model);
  size_t numOut = whittle_model_num_outputs(model);
  std::vector<whittle_tensor_info> inInfo(numIn), outInfo(numOut);
  for (size_t i = 0; i < numIn; ++i)
    whittle_model_input(model, i, &inInfo[i]);
  for (size_t i = 0; i < numOut; ++i)
    whittle_model_output(model, i, &outInfo[i]);

  // Gather inputs: test data, --input, or synthetic ones for timing.
  std::vector<std::optional<HostTensor>> inputs(numIn);
  std::vector<std::pair<std::string, HostTensor>> expected;
  bool haveInputs = !o.testData.empty() || !o.inputs.empty();
  if (!o.testData.empty()) {
    if (!isDir(o.testData))
      die("test data directory '" + o.testData + "' does not exist");
    auto files = readNumbered(o.testData, "input");
    // A model compiled with --freeze-input has fewer inputs than its test
    // data: when every model input is named by exactly one file, files that
    // name no model input are skipped.
    if (files.size() > numIn) {
      std::vector<std::pair<std::string, HostTensor>> named, unnamed;
      std::vector<bool> seen(numIn, false);
      bool distinct = true;
      for (auto &file : files) {
        int64_t idx = whittle_model_find_input(model, file.second.name.c_str());
        if (idx < 0) {
          unnamed.push_back(std::move(file));
          continue;
        }
        distinct &= !seen[idx];
        seen[idx] = true;
        named.push_back(std::move(file));
      }
      if (distinct && named.size() == numIn) {
        for (auto &file : unnamed)
          std::fprintf(stderr,
                       "note: skipping %s: '%s' is not an input of the model\n",
                       file.first.c_str(), file.second.name.c_str());
        files = std::move(named);
      } else {
        files = readNumbered(o.testData, "input");
      }
    }
    if (files.size() != numIn)
      die("'" + o.testData + "' has " + std::to_string(files.size()) +
          " input_K.pb files, model '" + whittle_model_name(model) + "' has " +
          std::to_string(numIn) + " inputs");
    auto slots = bindByNameOrPosition(files, numIn, [&](const char *n) {
      return whittle_model_find_input(model, n);
    });
    for (size_t k = 0; k < files.size(); ++k)
      inputs[slots[k]] = std::move(files[k].second);
    expected = readNumbered(o.testData, "output");
    if (expected.empty())
      die("'" + o.testData + "' has no output_0.pb");
    if (expected.size() != numOut)
      die("'" + o.testData + "' has " + std::to_string(expected.size()) +
          " output_K.pb files, model has " + std::to_string(numOut) +
          " outputs");
  }
  for (size_t k = 0; k < o.inputs.size(); ++k) {
    const std::string &spec = o.inputs[k];
    size_t eq = spec.find('=');
    std::string file = eq == std::string::npos ? spec : spec.substr(eq + 1);
    int64_t idx = static_cast<int64_t>(k);
    if (eq != std::string::npos) {
      std::string name = spec.substr(0, eq);
      idx = whittle_model_find_input(model, name.c_str());
      if (idx < 0) {
        std::string names;
        for (auto &info : inInfo)
          names +=
              std::string(names.empty() ? "" : ", ") + "'" + info.name + "'";
        die("model has no input '" + name + "' (inputs: " + names + ")");
      }
    } else if (idx >= static_cast<int64_t>(numIn)) {
      die("too many inputs: model has " + std::to_string(numIn));
    }
    inputs[idx] = readTensorOrDie(file);
  }

  if (o.generate > 0) {
    if (!inputs[0])
      die("--generate needs the prompt: --input " +
          std::string(inInfo[0].name) + "=FILE (token ids)");
    int rc = generate(model, *inputs[0], o);
    whittle_model_close(model);
    return rc;
  }
  if (!haveInputs && o.iterations == 0) {
    if (!o.outputDir.empty())
      die("--output-dir needs inputs (--input or --test-data)");
    printSignature(model, o.model);
    whittle_model_close(model);
    return 0;
  }
  for (size_t i = 0; i < numIn; ++i) {
    if (inputs[i])
      continue;
    if (haveInputs)
      die("no data for input '" + std::string(inInfo[i].name) + "'");
    inputs[i] = syntheticInput(inInfo[i]);
  }

  whittle_session *session = nullptr;
  if (whittle_session_create(model, &session) != WHITTLE_OK ||
      whittle_session_set_num_threads(session, o.threads) != WHITTLE_OK)
    die(whittle_last_error());
  if (std::string device = whittle_session_device(session); device != "cpu")
    std::printf("device: %s\n", device.c_str());

  std::vector<whittle_tensor> in(numIn), out(numOut);
  for (size_t i = 0; i < numIn; ++i)
    in[i] = inputs[i]->view();
  // A --decode library runs token sequences of any length up to its cache
  // through the decode entry, with the outputs of every position.
  bool sequence = false;
  if (whittle_model_decode_max_tokens(model) > 0 &&
      inputs[0]->dims.size() == 2 && inInfo[0].rank == 2 &&
      inputs[0]->dims[1] != inInfo[0].dims[1]) {
    sequence = true;
    for (size_t i = 1; i < numIn; ++i)
      if (!isAllOnes(*inputs[i], inputs[0]->dims))
        die("input '" + std::string(inInfo[i].name) +
            "': a --decode library takes a sequence of " +
            std::to_string(inputs[0]->dims[1]) +
            " tokens with an all-ones mask of the same shape (no padding)");
  }
  auto runOnce = [&] {
    std::fill(out.begin(), out.end(), whittle_tensor{});
    whittle_status status =
        sequence ? (whittle_session_decode_reset(session) != WHITTLE_OK
                        ? WHITTLE_INVALID_ARGUMENT
                        : whittle_session_decode_sequence(session, &in[0],
                                                          out.data(), numOut))
                 : whittle_session_run(session, in.data(), numIn, out.data(),
                                       numOut);
    if (status != WHITTLE_OK)
      die(whittle_last_error());
  };

  runOnce();
  int rc = 0;
  std::vector<HostTensor> results;
  for (size_t i = 0; i < numOut; ++i)
    results.push_back(copyOutput(out[i], outInfo[i]));

  if (!expected.empty()) {
    auto slots = bindByNameOrPosition(expected, numOut, [&](const char *n) {
      return whittle_model_find_output(model, n);
    });
    for (size_t k = 0; k < expected.size(); ++k)
      if (!compare(results[slots[k]], expected[k].second, expected[k].first, o))
        rc = 1;
  } else if (haveInputs && o.outputDir.empty()) {
    for (const HostTensor &r : results)
      printOutput(r);
  }

  if (!o.outputDir.empty()) {
    if (!isDir(o.outputDir) && mkdir(o.outputDir.c_str(), 0777) != 0)
      die("cannot create output directory '" + o.outputDir +
          "': " + std::strerror(errno));
    for (const HostTensor &r : results) {
      std::string path = o.outputDir + "/" + fileNameFor(r.name) + ".npy";
      std::string error;
      if (!writeNpy(path, r, error))
        die(error);
      std::printf("wrote output '%s' to %s\n", r.name.c_str(), path.c_str());
    }
  }

  if (o.iterations > 0) {
    for (int64_t i = 0; i < o.warmup; ++i)
      runOnce();
    std::vector<double> ms;
    for (int64_t i = 0; i < o.iterations; ++i) {
      auto start = std::chrono::steady_clock::now();
      runOnce();
      auto end = std::chrono::steady_clock::now();
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::printf("median latency: %.3f ms (%lld iterations, %d threads)\n",
                median(ms), static_cast<long long>(ms.size()),
                whittle_session_num_threads(session));
  }

  whittle_session_destroy(session);
  whittle_model_close(model);
  return rc;
}
