//===- Calibration.cpp - Compiles that measure the model on data ----------===//
//
// Pruning that is not exact is measured, never silent. With calibration
// data the driver compiles the model twice: first a probe (the unpruned
// model plus, per attention, each head's output energy after the output
// projection: whittle-probe-heads), run on every calibration set; then the
// pruned library, run on the same sets. --prune-heads-ratio ranks every
// head of the model by its summed energy and removes the lowest ratio; the
// relative error of the pruned outputs against the probe's (unpruned)
// outputs goes into the report as pruning.rel_error.
//
//===----------------------------------------------------------------------===//

#include "whittle/Driver/Compiler.h"
#include "whittle/Support/TensorFile.h"
#include "whittle/runtime.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

using namespace mlir;
using namespace whittle;

namespace {

LogicalResult fail(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return failure();
}

/// One calibration set: its input tensors in file order.
using InputSet = std::vector<support::TensorData>;

/// DIR/test_data_set_*/input_K.pb (or DIR/input_K.pb), K in order.
LogicalResult readCalibrationSets(StringRef dir, std::vector<InputSet> &sets) {
  auto inputsOf = [](StringRef d) {
    std::vector<std::string> files;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(d, ec), end; it != end && !ec;
         it.increment(ec)) {
      StringRef name = llvm::sys::path::filename(it->path());
      if (name.starts_with("input_") &&
          (name.ends_with(".pb") || name.ends_with(".npy")))
        files.push_back(it->path());
    }
    // input_10 after input_9.
    llvm::sort(files, [](const std::string &a, const std::string &b) {
      return std::make_pair(a.size(), a) < std::make_pair(b.size(), b);
    });
    return files;
  };
  std::vector<std::string> setDirs;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::filename(it->path()).starts_with("test_data_set_"))
      setDirs.push_back(it->path());
  if (ec)
    return fail("--calibration-data " + dir + ": " + ec.message());
  llvm::sort(setDirs);
  if (setDirs.empty())
    setDirs.push_back(dir.str());
  for (const std::string &d : setDirs) {
    std::vector<std::string> files = inputsOf(d);
    if (files.empty())
      continue;
    InputSet set;
    for (const std::string &f : files) {
      support::TensorData t;
      std::string error;
      if (!support::readTensorFile(f, t, error))
        return fail(error);
      set.push_back(std::move(t));
    }
    sets.push_back(std::move(set));
  }
  if (sets.empty())
    return fail("--calibration-data " + dir +
                ": no input_K.pb files (ONNX test-data layout expected)");
  return success();
}

whittle_dtype dtypeOf(int32_t onnxType) {
  switch (onnxType) {
  case 1:
    return WHITTLE_DTYPE_F32;
  case 2:
    return WHITTLE_DTYPE_U8;
  case 3:
    return WHITTLE_DTYPE_I8;
  case 4:
    return WHITTLE_DTYPE_U16;
  case 5:
    return WHITTLE_DTYPE_I16;
  case 6:
    return WHITTLE_DTYPE_I32;
  case 7:
    return WHITTLE_DTYPE_I64;
  case 9:
    return WHITTLE_DTYPE_BOOL;
  case 10:
    return WHITTLE_DTYPE_F16;
  case 11:
    return WHITTLE_DTYPE_F64;
  case 12:
    return WHITTLE_DTYPE_U32;
  case 13:
    return WHITTLE_DTYPE_U64;
  default:
    return WHITTLE_DTYPE_INVALID;
  }
}

/// Every f32 output of one run, by name.
using Outputs = std::map<std::string, std::vector<float>>;

/// Runs the library at `path` on every set; inputs by name, else position.
LogicalResult runLibrary(StringRef path, const std::vector<InputSet> &sets,
                         std::vector<Outputs> &results) {
  whittle_model *model = nullptr;
  if (whittle_model_open(path.str().c_str(), &model) != WHITTLE_OK)
    return fail(path + ": " + whittle_last_error());
  auto closeModel = llvm::scope_exit([&] { whittle_model_close(model); });
  whittle_session *session = nullptr;
  if (whittle_session_create(model, &session) != WHITTLE_OK)
    return fail(path + ": " + whittle_last_error());
  auto closeSession =
      llvm::scope_exit([&] { whittle_session_destroy(session); });
  size_t numIn = whittle_model_num_inputs(model);
  size_t numOut = whittle_model_num_outputs(model);
  for (auto [s, set] : llvm::enumerate(sets)) {
    std::vector<whittle_tensor> inputs(numIn);
    for (size_t i = 0; i < numIn; ++i) {
      whittle_tensor_info info;
      whittle_model_input(model, i, &info);
      const support::TensorData *data = nullptr;
      for (const support::TensorData &t : set)
        if (t.name == info.name)
          data = &t;
      if (!data && i < set.size())
        data = &set[i];
      if (!data)
        return fail("calibration set " + llvm::Twine(s) +
                    " has no tensor for input '" + info.name + "'");
      inputs[i] = {dtypeOf(data->elementType), int32_t(data->dims.size()),
                   data->dims.data(), const_cast<char *>(data->bytes.data())};
    }
    std::vector<whittle_tensor> outputs(numOut);
    for (whittle_tensor &o : outputs)
      o = {WHITTLE_DTYPE_INVALID, 0, nullptr, nullptr};
    if (whittle_session_run(session, inputs.data(), numIn, outputs.data(),
                            numOut) != WHITTLE_OK)
      return fail("calibration set " + llvm::Twine(s) + ": " +
                  whittle_last_error());
    Outputs named;
    for (size_t i = 0; i < numOut; ++i) {
      whittle_tensor_info info;
      whittle_model_output(model, i, &info);
      if (info.dtype != WHITTLE_DTYPE_F32)
        continue;
      const float *p = static_cast<const float *>(outputs[i].data);
      named[info.name] = std::vector<float>(p, p + info.num_elements);
    }
    results.push_back(std::move(named));
  }
  return success();
}

constexpr StringLiteral kEnergyPrefix = "__whittle_head_energy_";

constexpr StringLiteral kFfnPrefix = "__whittle_ffn_energy_";

constexpr StringLiteral kSitePrefix = "__whittle_site_";

/// Probe outputs named after each weight matmul's node: its input.
constexpr StringLiteral kInputPrefix = "__whittle_input_";

/// Whether `name` is a probe output rather than one of the model's.
bool isProbe(StringRef name) {
  return name.starts_with(kEnergyPrefix) || name.starts_with(kFfnPrefix) ||
         name.starts_with(kSitePrefix) || name.starts_with(kInputPrefix);
}

/// Writes each layer's calibration inputs (all sets, concatenated) into
/// `dir` as whittle-quantize-weights' activation samples read them.
LogicalResult writeActivationSamples(const std::vector<Outputs> &probe,
                                     StringRef dir) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return fail("cannot create '" + dir + "': " + ec.message());
  std::string index;
  int64_t count = 0;
  for (const auto &[name, first] : probe.front()) {
    StringRef node(name);
    if (!node.consume_front(kInputPrefix))
      continue;
    std::string file = std::to_string(count++) + ".f32";
    std::error_code ec;
    llvm::raw_fd_ostream os((dir + "/" + file).str(), ec);
    if (ec)
      return fail("cannot write '" + dir + "/" + file + "': " + ec.message());
    for (const Outputs &set : probe) {
      const std::vector<float> &values = set.at(name);
      os.write(reinterpret_cast<const char *>(values.data()),
               values.size() * sizeof(float));
    }
    index += file + " " + node.str() + "\n";
  }
  std::error_code ec;
  llvm::raw_fd_ostream os((dir + "/index.txt").str(), ec);
  if (ec)
    return fail("cannot write '" + dir + "/index.txt': " + ec.message());
  os << index;
  return success();
}

/// The units (heads or neurons) to remove: among the probe outputs named
/// `prefix` + GROUP, each an energy per unit, the lowest `ratio` of all units
/// by energy summed over the runs, keeping at least one per group. Returned
/// as `keyPrefix` GROUP ":" INDEX, what whittle-prune-dead-heads takes.
std::vector<std::string> rankLowest(const std::vector<Outputs> &probe,
                                    StringRef prefix, StringRef keyPrefix,
                                    double ratio) {
  struct Unit {
    std::string group;
    int64_t index;
    double energy;
  };
  std::vector<Unit> units;
  std::map<std::string, int64_t> left;
  for (const auto &[name, values] : probe.front()) {
    StringRef group(name);
    if (!group.consume_front(prefix))
      continue;
    for (size_t i = 0; i < values.size(); ++i) {
      double e = 0;
      for (const Outputs &run : probe)
        e += run.at(name)[i];
      units.push_back({group.str(), int64_t(i), e});
    }
    left[group.str()] = values.size();
  }
  llvm::sort(units, [](const Unit &a, const Unit &b) {
    return std::tie(a.energy, a.group, a.index) <
           std::tie(b.energy, b.group, b.index);
  });
  size_t count = size_t(std::floor(ratio * units.size()));
  std::vector<std::string> chosen;
  for (const Unit &u : units) {
    if (chosen.size() == count)
      break;
    if (left[u.group] <= 1)
      continue; // a layer or block keeps one unit
    --left[u.group];
    chosen.push_back((keyPrefix + u.group + ":" + Twine(u.index)).str());
  }
  return chosen;
}

/// ||y - y0|| / ||y0|| over every regular f32 output of every set, or over
/// the output `only` when given.
double relativeError(const std::vector<Outputs> &reference,
                     const std::vector<Outputs> &pruned, StringRef only = "") {
  double diff = 0, norm = 0;
  for (auto [ref, got] : llvm::zip(reference, pruned))
    for (const auto &[name, y0] : ref) {
      if ((only.empty() ? isProbe(name) : name != only) || !got.count(name))
        continue;
      const std::vector<float> &y = got.at(name);
      for (size_t i = 0; i < y0.size() && i < y.size(); ++i) {
        diff += double(y[i] - y0[i]) * (y[i] - y0[i]);
        norm += double(y0[i]) * y0[i];
      }
    }
  return norm > 0 ? std::sqrt(diff / norm) : 0.0;
}

/// Adds the measurement to the JSON report at `path`: to pruning, and to
/// quantization as well when the model was quantized (the error is then that
/// of both against the model as given).
LogicalResult amendReport(StringRef path, double relError, size_t sets,
                          const std::vector<std::string> &ranked,
                          const std::vector<std::string> &rankedNeurons,
                          const llvm::json::Object *quantized,
                          const std::map<std::string, double> &siteErrors) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail("cannot read '" + path + "'");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return fail(path + ": " + llvm::toString(json.takeError()));
  llvm::json::Object *root = json->getAsObject();
  llvm::json::Object *pruning = root ? root->getObject("pruning") : nullptr;
  if (!pruning)
    return fail(path + ": no pruning section");
  (*pruning)["rel_error"] = relError;
  (*pruning)["calibration_sets"] = int64_t(sets);
  (*pruning)["heads_ranked_out"] = int64_t(ranked.size());
  (*pruning)["ffn_neurons_ranked_out"] = int64_t(rankedNeurons.size());
  if (llvm::json::Object *quantization = root->getObject("quantization");
      quantization && quantized) {
    for (const auto &[key, value] : *quantized)
      (*quantization)[key] = value;
    if (llvm::json::Array *sites = quantization->getArray("sites"))
      for (llvm::json::Value &site : *sites)
        if (llvm::json::Object *object = site.getAsObject())
          if (std::optional<StringRef> node = object->getString("node"))
            if (auto it = siteErrors.find(node->str()); it != siteErrors.end())
              (*object)["rel_error"] = it->second;
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return fail("cannot write '" + path + "': " + ec.message());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(*json))) << "\n";
  return success();
}

} // namespace

LogicalResult whittle::compileWithCalibration(const CompileOptions &options,
                                              MLIRContext &context) {
  if (options.emit != EmitKind::Library)
    return fail("--calibration-data needs a library output (--emit=lib)");
  std::vector<InputSet> sets;
  if (failed(readCalibrationSets(options.calibrationDir, sets)))
    return failure();
  SmallString<128> work;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("whittle-calibration", work))
    return fail("cannot create a temporary directory: " + ec.message());
  auto cleanup =
      llvm::scope_exit([&] { llvm::sys::fs::remove_directories(work); });

  // The probe: the model as it is, plus each head's output energy.
  CompileOptions probe = options;
  probe.outputPath = (work + "/probe.so").str();
  probe.quantizeWeights.clear();
  probe.reportPath.clear();
  probe.pruneHeads.clear();
  probe.pruneNeurons.clear();
  // Not even exact pruning: the reference is the model as given.
  probe.pruneDeadHeads = false;
  probe.probeHeads = true;
  probe.probeMatmuls = !options.quantizeWeights.empty();
  probe.probeMatmulInputs = probe.probeMatmuls && options.quantizeAwq;
  if (failed(compileModel(probe, context)))
    return failure();
  std::vector<Outputs> reference;
  if (failed(runLibrary(probe.outputPath, sets, reference)))
    return failure();

  // Each quantized layer against the same layer of the model as given, both
  // computed from the calibration inputs (errors of earlier layers
  // included). Pruning that reshapes a layer leaves it unmeasured.
  std::map<std::string, double> siteErrors;
  std::string samples = (work + "/activations").str();
  bool awq = !options.quantizeWeights.empty() && options.quantizeAwq;
  if (!options.quantizeWeights.empty()) {
    // The activation-aware scale search sees what each layer reads.
    if (awq && failed(writeActivationSamples(reference, samples)))
      return failure();
    CompileOptions quantProbe = options;
    if (awq)
      quantProbe.quantizeActivationSamples = samples;
    quantProbe.outputPath = (work + "/quantized-probe.so").str();
    quantProbe.reportPath.clear();
    quantProbe.probeMatmuls = true;
    std::vector<Outputs> quantized;
    if (failed(compileModel(quantProbe, context)) ||
        failed(runLibrary(quantProbe.outputPath, sets, quantized)))
      return failure();
    for (const auto &[name, values] : reference.front()) {
      StringRef node(name);
      if (!node.consume_front(kSitePrefix) || !quantized.front().count(name) ||
          quantized.front().at(name).size() != values.size())
        continue;
      siteErrors[node.str()] = relativeError(reference, quantized, name);
    }
  }

  CompileOptions final = options;
  if (awq)
    final.quantizeActivationSamples = samples;
  std::vector<std::string> ranked;
  if (options.pruneHeadsRatio > 0) {
    ranked = rankLowest(reference, kEnergyPrefix, "@", options.pruneHeadsRatio);
    final.pruneHeads.insert(final.pruneHeads.end(), ranked.begin(),
                            ranked.end());
    final.pruneReason = "ratio";
  }
  std::vector<std::string> rankedNeurons;
  if (options.pruneFfnRatio > 0) {
    rankedNeurons =
        rankLowest(reference, kFfnPrefix, "", options.pruneFfnRatio);
    final.pruneNeurons.insert(final.pruneNeurons.end(), rankedNeurons.begin(),
                              rankedNeurons.end());
  }
  // The report is amended below; the summary form is printed here.
  bool summary = options.reportPath == "-";
  if (failed(compileModel(final, context)))
    return failure();
  std::vector<Outputs> pruned;
  if (failed(runLibrary(options.outputPath, sets, pruned)))
    return failure();
  double relError = relativeError(reference, pruned);
  std::optional<llvm::json::Object> quantized;
  if (!options.quantizeWeights.empty()) {
    llvm::json::Object perOutput;
    for (const auto &[name, values] : reference.front())
      if (!isProbe(name))
        perOutput[name] = relativeError(reference, pruned, name);
    quantized = llvm::json::Object{{"rel_error", relError},
                                   {"output_rel_error", std::move(perOutput)},
                                   {"calibration_sets", int64_t(sets.size())}};
  }
  if (summary)
    llvm::errs() << "  " << (quantized ? "pruning and quantization" : "pruning")
                 << " rel_error: " << relError << " on " << sets.size()
                 << " calibration set(s)\n";
  else if (!options.reportPath.empty() &&
           failed(amendReport(options.reportPath, relError, sets.size(), ranked,
                              rankedNeurons, quantized ? &*quantized : nullptr,
                              siteErrors)))
    return failure();
  return success();
}
