//===- Model.cpp - Loading a model library and parsing its metadata -------===//

#include "Internal.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

using namespace whittle::rt;

bool whittle::rt::percentDecode(const std::string &in, std::string &out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !std::isxdigit((unsigned char)in[i + 1]) ||
        !std::isxdigit((unsigned char)in[i + 2]))
      return false;
    out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return true;
}

namespace {

bool parseDims(const std::string &text, std::vector<int64_t> &dims) {
  dims.clear();
  if (text == "scalar")
    return true;
  size_t pos = 0;
  while (true) {
    size_t next = text.find('x', pos);
    std::string part = text.substr(pos, next - pos);
    if (part.empty() || part.size() > 18 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      return false;
    dims.push_back(std::strtoll(part.c_str(), nullptr, 10));
    if (next == std::string::npos)
      return true;
    pos = next + 1;
  }
}

} // namespace

bool whittle::rt::parseMetadata(const char *text, Signature &sig,
                                std::string &error) {
  sig = Signature();
  if (!text) {
    error = "metadata is null";
    return false;
  }
  std::istringstream lines(text);
  std::string line;
  bool sawHeader = false;
  std::vector<int64_t> lengthAxes;
  for (unsigned lineNo = 1; std::getline(lines, line); ++lineNo) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    std::istringstream fields(line);
    std::vector<std::string> tok;
    for (std::string t; fields >> t;)
      tok.push_back(t);
    if (tok.empty())
      continue;
    auto bad = [&](const std::string &why) {
      error = "metadata line " + std::to_string(lineNo) + " ('" + line +
              "'): " + why;
      return false;
    };
    if (!sawHeader) {
      if (tok.size() != 2 || tok[0] != "whittle-model")
        return bad("expected 'whittle-model <version>' first");
      if (tok[1] != "1")
        return bad("unsupported metadata version " + tok[1]);
      sawHeader = true;
      continue;
    }
    if (tok[0] == "name") {
      if (tok.size() != 2 || !percentDecode(tok[1], sig.name))
        return bad("expected 'name <percent-encoded name>'");
      continue;
    }
    if (tok[0] == "decode") {
      DecodeDesc &d = sig.decode;
      if (tok.size() < 4)
        return bad("expected 'decode <max tokens> <chunk> <state bytes> "
                   "<sequence axis per output>...'");
      for (size_t i = 1; i < tok.size(); ++i) {
        char *end = nullptr;
        long long v = std::strtoll(tok[i].c_str(), &end, 10);
        if (tok[i].empty() || *end || v < 0)
          return bad("malformed number '" + tok[i] + "'");
        if (i == 1)
          d.maxTokens = v;
        else if (i == 2)
          d.chunk = v;
        else if (i == 3)
          d.stateBytes = v;
        else
          d.outputSeqAxes.push_back(v);
      }
      if (d.maxTokens < 1 || d.chunk < 1 || d.chunk > d.maxTokens)
        return bad("decode chunk must be in [1, max tokens]");
      continue;
    }
    if (tok[0] == "lengths") {
      // lengths <min> <count> <L>... <axis per input>... <axis per output>...
      std::vector<int64_t> values;
      for (size_t i = 1; i < tok.size(); ++i) {
        char *end = nullptr;
        long long v = std::strtoll(tok[i].c_str(), &end, 10);
        if (tok[i].empty() || *end || v < -1)
          return bad("malformed number '" + tok[i] + "'");
        values.push_back(v);
      }
      if (values.size() < 2 || values[1] < 1 ||
          values.size() < 2 + static_cast<size_t>(values[1]))
        return bad("expected 'lengths <min> <count> <length>... <axis per "
                   "input>... <axis per output>...'");
      LengthDesc &l = sig.lengths;
      l.minLength = values[0];
      l.variants.assign(values.begin() + 2, values.begin() + 2 + values[1]);
      lengthAxes.assign(values.begin() + 2 + values[1], values.end());
      for (size_t i = 0; i < l.variants.size(); ++i)
        if (l.variants[i] < 1 || (i && l.variants[i] <= l.variants[i - 1]))
          return bad("length variants must ascend from 1");
      continue;
    }
    if (tok[0] == "device") {
      if (tok.size() != 3 || tok[1] != "cuda" || tok[2].empty())
        return bad("expected 'device cuda <architecture>'");
      sig.gpuArch = tok[2];
      continue;
    }
    if (tok[0] != "input" && tok[0] != "output")
      continue; // Newer records are ignored so old runtimes keep working.
    if (tok.size() != 4)
      return bad("expected '" + tok[0] + " <name> <dtype> <dims>'");
    TensorDesc desc;
    if (!percentDecode(tok[1], desc.name))
      return bad("malformed percent escape in name");
    desc.dtype = whittle_dtype_from_name(tok[2].c_str());
    if (desc.dtype == WHITTLE_DTYPE_INVALID)
      return bad("unknown dtype '" + tok[2] + "'");
    if (!parseDims(tok[3], desc.dims))
      return bad("malformed dims '" + tok[3] +
                 "' (expected e.g. 1x128 or scalar)");
    desc.numElements = 1;
    for (int64_t d : desc.dims) {
      if (d != 0 && desc.numElements > (INT64_MAX / 16) / d)
        return bad("tensor too large");
      desc.numElements *= d;
    }
    desc.sizeBytes = desc.numElements * whittle_dtype_size(desc.dtype);
    (tok[0] == "input" ? sig.inputs : sig.outputs).push_back(std::move(desc));
  }
  if (!sawHeader) {
    error = "metadata is empty (expected 'whittle-model 1')";
    return false;
  }
  if (LengthDesc &l = sig.lengths; !l.variants.empty()) {
    if (lengthAxes.size() != sig.inputs.size() + sig.outputs.size()) {
      error = "lengths: expected a sequence axis (or -1) for each input and "
              "output";
      return false;
    }
    l.inputAxes.assign(lengthAxes.begin(),
                       lengthAxes.begin() + sig.inputs.size());
    l.outputAxes.assign(lengthAxes.begin() + sig.inputs.size(),
                        lengthAxes.end());
    auto check = [&](const std::vector<TensorDesc> &descs,
                     const std::vector<int64_t> &axes) {
      for (size_t i = 0; i < descs.size(); ++i)
        if (axes[i] >= static_cast<int64_t>(descs[i].dims.size()) ||
            (axes[i] >= 0 && descs[i].dims[axes[i]] != l.bound())) {
          error = "lengths: '" + descs[i].name + "' has no axis " +
                  std::to_string(axes[i]) + " of " + std::to_string(l.bound());
          return false;
        }
      return true;
    };
    if (!check(sig.inputs, l.inputAxes) || !check(sig.outputs, l.outputAxes))
      return false;
    if (l.minLength < 1 || l.minLength > l.bound()) {
      error = "lengths: minimum length out of range";
      return false;
    }
  }
  DecodeDesc &d = sig.decode;
  if (d.maxTokens) {
    // The token input is [batch, max tokens]; each output has one entry per
    // token along its sequence axis.
    if (sig.inputs.empty() || sig.inputs[0].dims.size() != 2 ||
        sig.inputs[0].dims[1] != d.maxTokens) {
      error = "decode: the first input is not [batch, " +
              std::to_string(d.maxTokens) + "] token ids";
      return false;
    }
    if (d.outputSeqAxes.size() != sig.outputs.size()) {
      error = "decode: expected a sequence axis for each of the " +
              std::to_string(sig.outputs.size()) + " outputs";
      return false;
    }
    for (size_t i = 0; i < sig.outputs.size(); ++i) {
      const TensorDesc &full = sig.outputs[i];
      int64_t axis = d.outputSeqAxes[i];
      if (axis >= static_cast<int64_t>(full.dims.size()) ||
          full.dims[axis] != d.maxTokens) {
        error = "decode: output '" + full.name + "' has no sequence axis " +
                std::to_string(axis);
        return false;
      }
      auto withTokens = [&](int64_t tokens) {
        TensorDesc step = full;
        step.dims[axis] = tokens;
        step.numElements = full.numElements / d.maxTokens * tokens;
        step.sizeBytes = step.numElements * whittle_dtype_size(step.dtype);
        return step;
      };
      d.tokenOutputs.push_back(withTokens(1));
      d.chunkOutputs.push_back(withTokens(d.chunk));
    }
  }
  return true;
}

namespace {

template <typename T>
bool lookup(void *handle, const char *symbol, const std::string &path, T &fn,
            std::string &error) {
  dlerror();
  void *sym = dlsym(handle, symbol);
  if (!sym) {
    error = "'" + path + "' does not export " + symbol +
            " (not a Whittle model library?)";
    return false;
  }
  fn = reinterpret_cast<T>(sym);
  return true;
}

void fillInfo(const TensorDesc &d, whittle_tensor_info *info) {
  info->name = d.name.c_str();
  info->dtype = d.dtype;
  info->rank = static_cast<int32_t>(d.dims.size());
  info->dims = d.dims.data();
  info->num_elements = d.numElements;
  info->size_bytes = d.sizeBytes;
}

int64_t findByName(const std::vector<TensorDesc> &list, const char *name) {
  if (!name)
    return -1;
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name)
      return static_cast<int64_t>(i);
  return -1;
}

} // namespace

extern "C" {

whittle_status whittle_model_open(const char *path, whittle_model **out) {
  if (!out)
    return fail(WHITTLE_INVALID_ARGUMENT, "whittle_model_open: out is null");
  *out = nullptr;
  if (!path)
    return fail(WHITTLE_INVALID_ARGUMENT, "whittle_model_open: path is null");

  // dlopen searches the library path for a bare name; a model is a file.
  std::string file = path;
  if (file.find('/') == std::string::npos)
    file = "./" + file;
  struct stat st;
  if (stat(file.c_str(), &st) != 0)
    return fail(WHITTLE_LOAD_FAILED, "cannot open model library '" +
                                         std::string(path) +
                                         "': " + std::strerror(errno));

  void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return fail(WHITTLE_LOAD_FAILED, "cannot load model library '" +
                                         std::string(path) +
                                         "': " + (why ? why : "dlopen failed"));
  }

  auto model = new whittle_model();
  model->handle = handle;
  model->path = path;
  auto reject = [&](std::string msg) {
    dlclose(handle);
    delete model;
    return fail(WHITTLE_LOAD_FAILED, std::move(msg));
  };

  int32_t (*abiVersion)() = nullptr;
  const char *(*metadata)() = nullptr;
  int64_t (*workspaceSize)() = nullptr;
  std::string error;
  if (!lookup(handle, "whittle_model_abi_version", model->path, abiVersion,
              error) ||
      !lookup(handle, "whittle_model_metadata", model->path, metadata, error) ||
      !lookup(handle, "whittle_model_workspace_size", model->path,
              workspaceSize, error) ||
      !lookup(handle, "whittle_model_run", model->path, model->run, error))
    return reject(error);

  int32_t version = abiVersion();
  if (version != WHITTLE_MODEL_ABI_VERSION &&
      version != WHITTLE_MODEL_ABI_VERSION_GPU)
    return reject("'" + model->path + "' has model ABI version " +
                  std::to_string(version) + ", this runtime supports " +
                  std::to_string(WHITTLE_MODEL_ABI_VERSION) + " and " +
                  std::to_string(WHITTLE_MODEL_ABI_VERSION_GPU));

  const char *text = metadata();
  if (!parseMetadata(text, model->sig, error))
    return reject("'" + model->path + "': " + error);
  model->metadataText = text;

  model->workspaceSize = workspaceSize();
  if (model->workspaceSize < 0)
    return reject("'" + model->path + "' reports a negative workspace size");

  if (model->sig.decode.maxTokens) {
    int64_t (*decodeWorkspaceSize)() = nullptr;
    if (!lookup(handle, "whittle_model_decode", model->path, model->decode,
                error) ||
        !lookup(handle, "whittle_model_decode_workspace_size", model->path,
                decodeWorkspaceSize, error))
      return reject(error);
    model->decodeWorkspaceSize = decodeWorkspaceSize();
    if (model->decodeWorkspaceSize < 0)
      return reject("'" + model->path +
                    "' reports a negative decode workspace size");
  }

  if (!model->sig.lengths.variants.empty()) {
    int64_t (*lengthWorkspaceSize)() = nullptr;
    if (!lookup(handle, "whittle_model_run_length", model->path,
                model->runLength, error) ||
        !lookup(handle, "whittle_model_length_workspace_size", model->path,
                lengthWorkspaceSize, error))
      return reject(error);
    model->lengthWorkspaceSize = lengthWorkspaceSize();
    if (model->lengthWorkspaceSize < 0)
      return reject("'" + model->path +
                    "' reports a negative length workspace size");
  }

  if ((version == WHITTLE_MODEL_ABI_VERSION_GPU) != !model->sig.gpuArch.empty())
    return reject("'" + model->path + "': ABI version " +
                  std::to_string(version) +
                  " does not match its device record");
  if (!model->sig.gpuArch.empty() &&
      (!lookup(handle, "whittle_model_gpu_kernels", model->path,
               model->gpuKernels, error) ||
       !lookup(handle, "whittle_model_gpu_image", model->path, model->gpuImage,
               error) ||
       !lookup(handle, "whittle_model_gpu_weights", model->path,
               model->gpuWeights, error)))
    return reject(error);

  *out = model;
  return WHITTLE_OK;
}

void whittle_model_close(whittle_model *model) {
  if (!model)
    return;
  dlclose(model->handle);
  delete model;
}

const char *whittle_model_name(const whittle_model *model) {
  return model ? model->sig.name.c_str() : "";
}

const char *whittle_model_metadata_text(const whittle_model *model) {
  return model ? model->metadataText.c_str() : "";
}

int64_t whittle_model_workspace_bytes(const whittle_model *model) {
  return model ? model->workspaceSize : 0;
}

size_t whittle_model_num_inputs(const whittle_model *model) {
  return model ? model->sig.inputs.size() : 0;
}

size_t whittle_model_num_outputs(const whittle_model *model) {
  return model ? model->sig.outputs.size() : 0;
}

whittle_status whittle_model_input(const whittle_model *model, size_t i,
                                   whittle_tensor_info *info) {
  if (!model || !info)
    return fail(WHITTLE_INVALID_ARGUMENT, "whittle_model_input: null argument");
  if (i >= model->sig.inputs.size())
    return fail(WHITTLE_INVALID_ARGUMENT,
                "input index " + std::to_string(i) +
                    " out of range (model has " +
                    std::to_string(model->sig.inputs.size()) + " inputs)");
  fillInfo(model->sig.inputs[i], info);
  return WHITTLE_OK;
}

whittle_status whittle_model_output(const whittle_model *model, size_t i,
                                    whittle_tensor_info *info) {
  if (!model || !info)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_model_output: null argument");
  if (i >= model->sig.outputs.size())
    return fail(WHITTLE_INVALID_ARGUMENT,
                "output index " + std::to_string(i) +
                    " out of range (model has " +
                    std::to_string(model->sig.outputs.size()) + " outputs)");
  fillInfo(model->sig.outputs[i], info);
  return WHITTLE_OK;
}

int64_t whittle_model_decode_max_tokens(const whittle_model *model) {
  return model ? model->sig.decode.maxTokens : 0;
}

whittle_status whittle_model_decode_output(const whittle_model *model, size_t i,
                                           whittle_tensor_info *info) {
  if (!model || !info)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "whittle_model_decode_output: null argument");
  const DecodeDesc &d = model->sig.decode;
  if (!d.maxTokens)
    return fail(WHITTLE_INVALID_ARGUMENT,
                "model '" + model->sig.name +
                    "' was not compiled with --decode");
  if (i >= d.tokenOutputs.size())
    return fail(WHITTLE_INVALID_ARGUMENT,
                "output index " + std::to_string(i) + " out of range");
  fillInfo(d.tokenOutputs[i], info);
  return WHITTLE_OK;
}

int64_t whittle_model_max_length(const whittle_model *model) {
  return model ? model->sig.lengths.bound() : 0;
}

int64_t whittle_model_min_length(const whittle_model *model) {
  return model && model->sig.lengths.bound() ? model->sig.lengths.minLength : 0;
}

int32_t whittle_model_input_length_axis(const whittle_model *model, size_t i) {
  if (!model || i >= model->sig.lengths.inputAxes.size())
    return -1;
  return static_cast<int32_t>(model->sig.lengths.inputAxes[i]);
}

int32_t whittle_model_output_length_axis(const whittle_model *model, size_t i) {
  if (!model || i >= model->sig.lengths.outputAxes.size())
    return -1;
  return static_cast<int32_t>(model->sig.lengths.outputAxes[i]);
}

int64_t whittle_model_find_input(const whittle_model *model, const char *name) {
  return model ? findByName(model->sig.inputs, name) : -1;
}

int64_t whittle_model_find_output(const whittle_model *model,
                                  const char *name) {
  return model ? findByName(model->sig.outputs, name) : -1;
}

} // extern "C"
