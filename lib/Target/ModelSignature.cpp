//===- ModelSignature.cpp - Model inputs/outputs, metadata and MODEL.h ----===//

#include "whittle/Target/Backend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace whittle;

int64_t TensorSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorSpec::elementBytes() const {
  if (dtype == "bool" || dtype == "i8" || dtype == "u8")
    return 1;
  if (dtype == "f16" || dtype == "i16" || dtype == "u16")
    return 2;
  if (dtype == "f32" || dtype == "i32" || dtype == "u32")
    return 4;
  return 8;
}

static FailureOr<std::string> dtypeName(Type type) {
  if (type.isF16())
    return std::string("f16");
  if (type.isF32())
    return std::string("f32");
  if (type.isF64())
    return std::string("f64");
  if (auto intType = dyn_cast<IntegerType>(type)) {
    unsigned width = intType.getWidth();
    if (width == 1)
      return std::string("bool");
    if (width == 8 || width == 16 || width == 32 || width == 64)
      return (intType.isUnsigned() ? "u" : "i") + std::to_string(width);
  }
  return failure();
}

static LogicalResult collect(func::FuncOp func, TypeRange types,
                             ArrayAttr names, StringRef kind,
                             std::vector<TensorSpec> &specs) {
  for (auto [i, type] : llvm::enumerate(types)) {
    TensorSpec spec;
    if (names && i < names.size())
      if (auto name = dyn_cast<StringAttr>(names[i]))
        spec.name = name.str();
    if (spec.name.empty())
      spec.name = (kind + Twine(i)).str();
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasStaticShape())
      return func.emitError()
             << kind << " '" << spec.name
             << "' must be a statically shaped tensor, got " << type;
    FailureOr<std::string> dtype = dtypeName(shaped.getElementType());
    if (failed(dtype))
      return func.emitError()
             << kind << " '" << spec.name << "' has unsupported element type "
             << shaped.getElementType();
    spec.dtype = *dtype;
    spec.shape.assign(shaped.getShape().begin(), shaped.getShape().end());
    specs.push_back(std::move(spec));
  }
  return success();
}

FailureOr<ModelSignature> whittle::extractModelSignature(ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func || func.isExternal())
    return module.emitError("the model has no 'func.func @main'");
  ModelSignature signature;
  if (auto name = module->getAttrOfType<StringAttr>("whittle.model_name"))
    signature.modelName = name.str();
  if (signature.modelName.empty())
    signature.modelName = "model";
  if (failed(collect(func, func.getArgumentTypes(),
                     func->getAttrOfType<ArrayAttr>("whittle.input_names"),
                     "input", signature.inputs)) ||
      failed(collect(func, func.getResultTypes(),
                     func->getAttrOfType<ArrayAttr>("whittle.output_names"),
                     "output", signature.outputs)))
    return failure();
  if (auto decode = module->getAttrOfType<DictionaryAttr>("whittle.decode")) {
    DecodeSignature d;
    auto get = [&](StringRef key) -> int64_t {
      auto attr = decode.getAs<IntegerAttr>(key);
      return attr ? attr.getInt() : 0;
    };
    d.maxTokens = get("max_tokens");
    d.chunk = get("chunk");
    auto step = module.lookupSymbol<func::FuncOp>("decode_step_" +
                                                  std::to_string(d.chunk));
    auto axes = step ? step->getAttrOfType<ArrayAttr>("whittle.output_seq_axes")
                     : ArrayAttr();
    if (!step || !axes || step.getNumArguments() < 2 ||
        axes.size() != signature.outputs.size())
      return module.emitError("malformed decode step functions");
    for (Type type : step.getArgumentTypes().drop_front(2)) {
      auto shaped = cast<ShapedType>(type);
      d.cacheOffsets.push_back(d.stateBytes);
      d.stateBytes += llvm::alignTo(
          shaped.getNumElements() * shaped.getElementTypeBitWidth() / 8, 64);
    }
    for (Attribute axis : axes)
      d.outputSeqAxes.push_back(cast<IntegerAttr>(axis).getInt());
    signature.decode = std::move(d);
  }
  if (auto lengths = module->getAttrOfType<DictionaryAttr>("whittle.lengths")) {
    LengthSignature l;
    auto array = [&](StringRef key, std::vector<int64_t> &out) {
      auto attr = lengths.getAs<DenseI64ArrayAttr>(key);
      if (attr)
        out.assign(attr.asArrayRef().begin(), attr.asArrayRef().end());
      return attr != nullptr;
    };
    auto minLength = lengths.getAs<IntegerAttr>("min_length");
    if (!array("variants", l.variants) || l.variants.empty() ||
        !array("input_axes", l.inputAxes) ||
        !array("output_axes", l.outputAxes) || !minLength ||
        l.inputAxes.size() != signature.inputs.size() ||
        l.outputAxes.size() != signature.outputs.size())
      return module.emitError("malformed whittle.lengths");
    l.minLength = minLength.getInt();
    signature.lengths = std::move(l);
  }
  return signature;
}

static std::string percentEncode(StringRef text) {
  std::string out;
  for (unsigned char c : text) {
    if (c <= ' ' || c == '%' || c >= 0x7f) {
      out += '%';
      out += llvm::hexdigit(c >> 4);
      out += llvm::hexdigit(c & 15);
    } else {
      out += c;
    }
  }
  return out;
}

static std::string formatDims(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string out;
  for (auto [i, d] : llvm::enumerate(shape))
    out += (i ? "x" : "") + std::to_string(d);
  return out;
}

std::string whittle::formatModelMetadata(const ModelSignature &signature) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "whittle-model 1\n";
  os << "name " << percentEncode(signature.modelName) << "\n";
  for (const TensorSpec &spec : signature.inputs)
    os << "input " << percentEncode(spec.name) << " " << spec.dtype << " "
       << formatDims(spec.shape) << "\n";
  for (const TensorSpec &spec : signature.outputs)
    os << "output " << percentEncode(spec.name) << " " << spec.dtype << " "
       << formatDims(spec.shape) << "\n";
  if (const std::optional<DecodeSignature> &d = signature.decode) {
    os << "decode " << d->maxTokens << " " << d->chunk << " " << d->stateBytes;
    for (int64_t axis : d->outputSeqAxes)
      os << " " << axis;
    os << "\n";
  }
  if (const std::optional<LengthSignature> &l = signature.lengths) {
    os << "lengths " << l->minLength << " " << l->variants.size();
    for (int64_t v : l->variants)
      os << " " << v;
    for (int64_t axis : l->inputAxes)
      os << " " << axis;
    for (int64_t axis : l->outputAxes)
      os << " " << axis;
    os << "\n";
  }
  if (!signature.gpuArch.empty())
    os << "device cuda " << signature.gpuArch << "\n";
  return text;
}

std::string whittle::sanitizeCIdentifier(StringRef stem) {
  std::string out;
  for (char c : stem)
    out += llvm::isAlnum(c) ? c : '_';
  if (out.empty() || llvm::isDigit(out[0]))
    out = "m_" + out;
  return out;
}

static std::string cType(StringRef dtype) {
  if (dtype == "f16")
    return "uint16_t"; // IEEE half bits.
  if (dtype == "f32")
    return "float";
  if (dtype == "f64")
    return "double";
  if (dtype == "bool")
    return "bool";
  if (dtype[0] == 'u')
    return ("uint" + dtype.drop_front() + "_t").str();
  return ("int" + dtype.drop_front() + "_t").str();
}

/// Parameter names in MODEL_run: the tensor names as C identifiers, made
/// unique.
static std::vector<std::string> parameterNames(const ModelSignature &sig) {
  std::vector<std::string> names;
  llvm::StringSet<> used;
  auto add = [&](StringRef name) {
    std::string id = sanitizeCIdentifier(name);
    std::string unique = id;
    for (int i = 1; !used.insert(unique).second; ++i)
      unique = id + "_" + std::to_string(i);
    names.push_back(unique);
  };
  for (const TensorSpec &spec : sig.inputs)
    add(spec.name);
  for (const TensorSpec &spec : sig.outputs)
    add(spec.name);
  return names;
}

std::string whittle::generateHeader(const ModelSignature &signature,
                                    StringRef cPrefix) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = StringRef(cPrefix).upper() + "_H";
  std::vector<std::string> names = parameterNames(signature);
  os << "/* Generated by whittle-compile for model '" << signature.modelName
     << "'. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdbool.h>\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#ifndef WHITTLE_MODEL_ABI_H\n#define WHITTLE_MODEL_ABI_H\n"
     << "#define WHITTLE_MODEL_ABI_VERSION 1\n"
     << "typedef void (*whittle_task_fn)(void *context, int64_t begin, "
        "int64_t end);\n"
     << "typedef struct whittle_executor {\n  void *pool;\n"
     << "  void (*parallel_for)(void *pool, int64_t count, whittle_task_fn "
        "body,\n                       void *context);\n"
     << "  void *gpu;\n"
     << "  int32_t (*gpu_launch)(void *gpu, int64_t kernel, int64_t grid_x,\n"
     << "                        int64_t grid_y, int64_t grid_z, int64_t "
        "block_x,\n"
     << "                        int64_t block_y, int64_t block_z,\n"
     << "                        int64_t shared_bytes, void *params,\n"
     << "                        int64_t num_params);\n"
     << "  void *gpu_weights;\n} whittle_executor;\n"
     << "int32_t whittle_model_abi_version(void);\n"
     << "const char *whittle_model_metadata(void);\n"
     << "int64_t whittle_model_workspace_size(void);\n"
     << "int32_t whittle_model_run(void *const *inputs, void *const *outputs,\n"
     << "                          void *workspace, const whittle_executor "
        "*executor);\n"
     << "#endif /* WHITTLE_MODEL_ABI_H */\n\n";
  if (const std::optional<DecodeSignature> &d = signature.decode) {
    std::string upper = StringRef(cPrefix).upper();
    os << "#define " << upper << "_DECODE_MAX_TOKENS " << d->maxTokens << "\n"
       << "#define " << upper << "_DECODE_CHUNK " << d->chunk << "\n"
       << "#define " << upper << "_DECODE_STATE_BYTES " << d->stateBytes
       << "\n";
    os << "/* Decoding over a key/value cache of " << d->maxTokens
       << " positions held in `state`\n"
       << " * (" << d->stateBytes
       << " bytes, 64-byte aligned): runs n tokens (n == 1 or n == " << d->chunk
       << ") at\n"
       << " * `position` and writes the outputs for those tokens. */\n"
       << "int64_t whittle_model_decode_workspace_size(void);\n"
       << "int32_t whittle_model_decode(int64_t n, const void *tokens, "
          "int64_t position,\n"
       << "                             void *state, void *const *outputs, "
          "void *workspace,\n"
       << "                             const whittle_executor *executor);\n\n";
  }
  if (const std::optional<LengthSignature> &l = signature.lengths) {
    std::string upper = StringRef(cPrefix).upper();
    os << "#define " << upper << "_MAX_LENGTH " << l->variants.back() << "\n"
       << "#define " << upper << "_MIN_LENGTH " << l->minLength << "\n";
    os << "/* Every length n in [" << l->minLength << ", " << l->variants.back()
       << "] of the bounded sequence axis: inputs and\n"
       << " * outputs have L rows there, L the smallest of";
    for (int64_t v : l->variants)
      os << " " << v;
    os << " that is >= n;\n"
       << " * input rows from n on must be finite (zero them) and output rows "
          "from n\n"
       << " * on are scratch. */\n"
       << "int64_t whittle_model_length_workspace_size(void);\n"
       << "int32_t whittle_model_run_length(int64_t n, void *const *inputs,\n"
       << "                                 void *const *outputs, void "
          "*workspace,\n"
       << "                                 const whittle_executor "
          "*executor);\n\n";
  }
  if (!signature.gpuArch.empty()) {
    os << "/* A CUDA library for " << signature.gpuArch
       << ": run it through libwhittle_rt (whittle_session_run),\n"
       << " * which loads the kernels, uploads the weights and launches. */\n"
       << "typedef struct whittle_gpu_weight {\n  const void *host;\n"
       << "  int64_t bytes;\n  int64_t device_offset;\n} whittle_gpu_weight;\n"
       << "const char *whittle_model_gpu_kernels(void);\n"
       << "const void *whittle_model_gpu_image(int32_t format, int64_t "
          "*bytes);\n"
       << "const whittle_gpu_weight *whittle_model_gpu_weights(int64_t "
          "*count,\n"
       << "                                                    int64_t "
          "*device_bytes);\n"
       << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
    return text;
  }
  os << "/* Runs the model serially; allocates and frees the workspace.\n";
  size_t index = 0;
  for (const TensorSpec &spec : signature.inputs)
    os << " *   input  " << names[index++] << ": " << spec.dtype << "["
       << formatDims(spec.shape) << "]\n";
  for (const TensorSpec &spec : signature.outputs)
    os << " *   output " << names[index++] << ": " << spec.dtype << "["
       << formatDims(spec.shape) << "]\n";
  os << " * Returns 0 on success. */\n";
  os << "int32_t " << cPrefix << "_run(";
  index = 0;
  bool first = true;
  for (const TensorSpec &spec : signature.inputs) {
    os << (first ? "" : ", ") << "const " << cType(spec.dtype) << " *"
       << names[index++];
    first = false;
  }
  for (const TensorSpec &spec : signature.outputs) {
    os << (first ? "" : ", ") << cType(spec.dtype) << " *" << names[index++];
    first = false;
  }
  if (first)
    os << "void";
  os << ");\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return text;
}
