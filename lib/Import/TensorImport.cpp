//===- TensorImport.cpp - ONNX tensors to MLIR attributes -----------------===//

#include "TensorImport.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Alignment.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <climits>
#include <cstring>

using namespace mlir;
using namespace whittle::import;

namespace {
/// Tensors with more elements than this become dense_resource blobs; smaller
/// ones stay DenseElementsAttr so that folders can evaluate them.
constexpr int64_t kMaxDenseElements = 64;

/// ONNX's 4-bit integer types (IR version 10; newer than the protobuf
/// definitions this is built against, so by number).
constexpr int32_t kOnnxUint4 = 21, kOnnxInt4 = 22;
} // namespace

Type whittle::import::convertElementType(MLIRContext &ctx, int32_t type) {
  auto intType = [&](unsigned width, bool isUnsigned) -> Type {
    return IntegerType::get(&ctx, width,
                            isUnsigned ? IntegerType::Unsigned
                                       : IntegerType::Signless);
  };
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(&ctx);
  case onnx::TensorProto::DOUBLE:
    return Float64Type::get(&ctx);
  case onnx::TensorProto::FLOAT16:
    return Float16Type::get(&ctx);
  case onnx::TensorProto::BFLOAT16:
    return BFloat16Type::get(&ctx);
  case onnx::TensorProto::BOOL:
    return intType(1, false);
  case onnx::TensorProto::INT8:
    return intType(8, false);
  case onnx::TensorProto::UINT8:
    return intType(8, true);
  case onnx::TensorProto::INT16:
    return intType(16, false);
  case onnx::TensorProto::UINT16:
    return intType(16, true);
  case onnx::TensorProto::INT32:
    return intType(32, false);
  case onnx::TensorProto::UINT32:
    return intType(32, true);
  case onnx::TensorProto::INT64:
    return intType(64, false);
  case onnx::TensorProto::UINT64:
    return intType(64, true);
  case kOnnxInt4:
    return intType(4, false);
  case kOnnxUint4:
    return intType(4, true);
  default:
    return {};
  }
}

std::string whittle::import::elementTypeName(int32_t type) {
  if (type == kOnnxInt4 || type == kOnnxUint4)
    return type == kOnnxInt4 ? "INT4" : "UINT4";
  if (onnx::TensorProto::DataType_IsValid(type))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(type));
  return "type " + std::to_string(type);
}

/// Storage size of one element as ONNX raw_data lays it out (bool: 1 byte).
static size_t elementByteSize(Type type) {
  return std::max<size_t>(1, type.getIntOrFloatBitWidth() / 8);
}

/// Resource keys are printed bare in the dialect_resources section.
static std::string sanitizeBlobName(StringRef name) {
  std::string result = name.empty() ? "tensor" : name.str();
  for (char &c : result)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  if (!llvm::isAlpha(result.front()) && result.front() != '_')
    result.insert(result.begin(), '_');
  return result;
}

//===----------------------------------------------------------------------===//
// External data
//===----------------------------------------------------------------------===//

/// External data must stay inside the model's directory: a location is
/// relative, has no `..` component and, with symlinks resolved, still lies
/// below the directory. Otherwise a model could compile any file the
/// compiler can read (/etc/passwd, a private key) into a library as weights.
static std::string confinementError(StringRef modelDir, StringRef location,
                                    SmallString<256> &resolved) {
  if (location.empty())
    return "external data has no location";
  if (llvm::sys::path::is_absolute(location) || location.starts_with("/") ||
      location.starts_with("\\"))
    return "external data location '" + location.str() +
           "' is absolute; it must be relative to the model's directory";
  SmallVector<StringRef> parts;
  location.split(parts, '/');
  for (StringRef part : parts) {
    SmallVector<StringRef> sub;
    part.split(sub, '\\');
    for (StringRef p : sub)
      if (p == "..")
        return "external data location '" + location.str() +
               "' contains '..'; it must stay inside the model's directory";
  }
  SmallString<256> dir;
  if (std::error_code ec = llvm::sys::fs::real_path(
          modelDir.empty() ? StringRef(".") : modelDir, dir))
    return "cannot resolve the model's directory '" + modelDir.str() +
           "': " + ec.message();
  SmallString<256> full(modelDir);
  llvm::sys::path::append(full, location);
  if (std::error_code ec = llvm::sys::fs::real_path(full, resolved))
    return "cannot open external data file '" + full.str().str() +
           "': " + ec.message();
  StringRef r = resolved.str();
  if (!r.starts_with(dir.str()) || r.size() == dir.size() ||
      !llvm::sys::path::is_separator(r[dir.size()]))
    return "external data location '" + location.str() + "' resolves to '" +
           r.str() + "', outside the model's directory '" + dir.str().str() +
           "'";
  if (!llvm::sys::fs::is_regular_file(resolved))
    return "external data location '" + location.str() +
           "' is not a regular file";
  return "";
}

FailureOr<ArrayRef<char>>
TensorImporter::externalData(const onnx::TensorProto &tensor,
                             Location tensorLoc, StringRef what) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    StringRef value = entry.value();
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      uint64_t n;
      if (value.getAsInteger(10, n)) {
        emitError(tensorLoc) << what << ": external data " << entry.key()
                             << " '" << value << "' is not a number";
        return failure();
      }
      if (entry.key() == "offset")
        offset = n;
      else
        length = n;
    }
  }
  SmallString<256> resolved;
  std::string error = confinementError(modelDir, location, resolved);
  if (!error.empty()) {
    emitError(tensorLoc) << what << ": " << error;
    return failure();
  }
  auto &file = storage->externalFiles[resolved];
  if (!file) {
    auto buffer = llvm::MemoryBuffer::getFile(resolved, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer) {
      emitError(tensorLoc) << what << ": cannot open external data file '"
                           << location << "': " << buffer.getError().message();
      return failure();
    }
    file = std::move(*buffer);
  }
  uint64_t size = file->getBufferSize();
  if (offset > size || (length && *length > size - offset)) {
    emitError(tensorLoc) << what << ": external data [" << offset << ", "
                         << offset + length.value_or(0) << ") lies outside '"
                         << location << "' (" << size << " bytes)";
    return failure();
  }
  return ArrayRef<char>(file->getBufferStart() + offset,
                        length.value_or(size - offset));
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

FailureOr<ElementsAttr>
TensorImporter::makeElements(RankedTensorType type, ArrayRef<char> bytes,
                             bool borrowed, StringRef name, Location tensorLoc,
                             std::string *releasable) {
  Type elt = type.getElementType();
  int64_t n = type.getNumElements();
  size_t eltBytes = elementByteSize(elt);
  if (bytes.size() != static_cast<uint64_t>(n) * eltBytes) {
    emitError(tensorLoc) << "tensor '" << name << "' holds " << bytes.size()
                         << " bytes but its type " << type << " needs "
                         << static_cast<uint64_t>(n) * eltBytes;
    return failure();
  }
  // MLIR packs dense i1 bits, ONNX stores one byte per bool.
  if (elt.isInteger(1)) {
    SmallVector<bool> bits;
    bits.reserve(n);
    for (char c : bytes)
      bits.push_back(c != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, bits));
  }
  if (n <= kMaxDenseElements) {
    if (n == 0) {
      if (isa<FloatType>(elt))
        return cast<ElementsAttr>(
            DenseElementsAttr::get(type, ArrayRef<APFloat>()));
      return cast<ElementsAttr>(
          DenseElementsAttr::get(type, ArrayRef<APInt>()));
    }
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, bytes));
  }
  AsmResourceBlob blob;
  if (borrowed && llvm::isAddrAligned(llvm::Align(eltBytes), bytes.data())) {
    // Zero-copy: the blob points into the model storage and keeps it alive.
    // When the blob goes (a pass that repacked the weight released it), the
    // protobuf string it borrowed is freed too, unless another blob shares
    // it.
    std::string *owner = releasable;
    if (owner && ++storage->borrowers[owner] > 1)
      owner = nullptr;
    blob = AsmResourceBlob(
        bytes, eltBytes,
        [keepAlive = storage, owner](void *, size_t, size_t) {
          if (owner && keepAlive->borrowers[owner] == 1)
            std::string().swap(*owner);
        },
        /*dataIsMutable=*/false);
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, eltBytes);
  }
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(
      type, sanitizeBlobName(name), std::move(blob)));
}

FailureOr<ElementsAttr>
TensorImporter::convertTensor(const onnx::TensorProto &tensor,
                              Location tensorLoc, StringRef name) {
  Type elt = convertElementType(ctx, tensor.data_type());
  if (!elt) {
    emitError(tensorLoc) << "tensor '" << name
                         << "' has unsupported element type "
                         << elementTypeName(tensor.data_type());
    return failure();
  }
  if (tensor.has_segment()) {
    emitError(tensorLoc) << "tensor '" << name
                         << "' is segmented, which is not supported";
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t n = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && n > INT64_MAX / d / 8)) {
      emitError(tensorLoc) << "tensor '" << name << "' has invalid dimension "
                           << d;
      return failure();
    }
    n *= d;
    shape.push_back(d);
  }
  auto type = RankedTensorType::get(shape, elt);

  // 4-bit integers come two to a byte, the first element in the low nibble
  // (raw or external bytes, or one byte per int32_data entry); they are
  // kept one to a byte, signed ones sign-extended.
  if (elt.isInteger(4)) {
    std::string packedField;
    ArrayRef<char> packed;
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
      auto bytes =
          externalData(tensor, tensorLoc, "tensor '" + name.str() + "'");
      if (failed(bytes))
        return failure();
      packed = *bytes;
    } else if (tensor.has_raw_data()) {
      packed =
          ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size());
    } else {
      for (int32_t x : tensor.int32_data())
        packedField.push_back(char(x));
      packed = ArrayRef<char>(packedField.data(), packedField.size());
    }
    if (packed.size() != size_t((n + 1) / 2)) {
      emitError(tensorLoc) << "tensor '" << name << "' holds " << packed.size()
                           << " bytes but its type " << type << " packs into "
                           << (n + 1) / 2;
      return failure();
    }
    bool isSigned = !elt.isUnsignedInteger();
    std::vector<char> bytes(n);
    for (int64_t i = 0; i < n; ++i) {
      int nibble = (uint8_t(packed[i / 2]) >> (4 * (i % 2))) & 0xF;
      bytes[i] = char(isSigned && nibble >= 8 ? nibble - 16 : nibble);
    }
    return makeElements(type, bytes, /*borrowed=*/false, name, tensorLoc);
  }

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto bytes = externalData(tensor, tensorLoc, "tensor '" + name.str() + "'");
    if (failed(bytes))
      return failure();
    return makeElements(type, *bytes, /*borrowed=*/true, name, tensorLoc);
  }
  if (tensor.has_raw_data())
    return makeElements(
        type,
        ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size()),
        /*borrowed=*/true, name, tensorLoc,
        // The storage owns the tensor, so its bytes may be freed with the
        // blob.
        const_cast<std::string *>(&tensor.raw_data()));

  // Typed fields. Those whose C++ type matches the element type are
  // borrowed; the rest are narrowed into a temporary buffer.
  auto borrow = [&](const auto &field) {
    using T = std::decay_t<decltype(*field.data())>;
    return makeElements(
        type,
        ArrayRef<char>(reinterpret_cast<const char *>(field.data()),
                       field.size() * sizeof(T)),
        /*borrowed=*/true, name, tensorLoc);
  };
  auto narrow = [&](const auto &field) {
    size_t eltBytes = elementByteSize(elt);
    std::vector<char> bytes(field.size() * eltBytes);
    for (int i = 0; i < field.size(); ++i) {
      uint64_t x = static_cast<uint64_t>(field.Get(i));
      std::memcpy(bytes.data() + i * eltBytes, &x, eltBytes); // little endian
    }
    return makeElements(type, bytes, /*borrowed=*/false, name, tensorLoc);
  };
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    return borrow(tensor.float_data());
  case onnx::TensorProto::DOUBLE:
    return borrow(tensor.double_data());
  case onnx::TensorProto::INT64:
    return borrow(tensor.int64_data());
  case onnx::TensorProto::UINT64:
    return borrow(tensor.uint64_data());
  case onnx::TensorProto::INT32:
    return borrow(tensor.int32_data());
  case onnx::TensorProto::UINT32:
    return narrow(tensor.uint64_data());
  default:
    // int8, uint8, int16, uint16, bool, float16 and bfloat16 (as bits).
    return narrow(tensor.int32_data());
  }
}
