//===- TensorFile.cpp - .npy and TensorProto tensor files -----------------===//

#include "whittle/Support/TensorFile.h"

#include <onnx/onnx_pb.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

using namespace whittle::support;
using TP = onnx::TensorProto;

int64_t TensorData::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

size_t whittle::support::elementSize(int32_t type) {
  switch (type) {
  case TP::FLOAT:
  case TP::INT32:
  case TP::UINT32:
    return 4;
  case TP::DOUBLE:
  case TP::INT64:
  case TP::UINT64:
    return 8;
  case TP::FLOAT16:
  case TP::BFLOAT16:
  case TP::INT16:
  case TP::UINT16:
    return 2;
  case TP::INT8:
  case TP::UINT8:
  case TP::BOOL:
    return 1;
  default:
    return 0;
  }
}

static std::string typeName(int32_t type) {
  if (TP::DataType_IsValid(type))
    return TP::DataType_Name(static_cast<TP::DataType>(type));
  return "type " + std::to_string(type);
}

/// Checks dims and sizes `out.bytes` for them; false on overflow or a
/// negative dim.
static bool checkedSize(const TensorData &t, size_t eltBytes, uint64_t &size,
                        std::string &error) {
  uint64_t n = 1;
  for (int64_t d : t.dims) {
    if (d < 0) {
      error = "negative dimension " + std::to_string(d);
      return false;
    }
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / 16 /
                          static_cast<uint64_t>(d)) {
      error = "the shape has too many elements";
      return false;
    }
    n *= d;
  }
  size = n * eltBytes;
  return true;
}

//===----------------------------------------------------------------------===//
// NumPy .npy
//===----------------------------------------------------------------------===//

namespace {
struct NpyType {
  int32_t type;
  const char *descr; ///< Written form; reading also accepts '=' and '|'.
};
constexpr NpyType npyTypes[] = {
    {TP::FLOAT16, "<f2"}, {TP::FLOAT, "<f4"},  {TP::DOUBLE, "<f8"},
    {TP::INT8, "|i1"},    {TP::INT16, "<i2"},  {TP::INT32, "<i4"},
    {TP::INT64, "<i8"},   {TP::UINT8, "|u1"},  {TP::UINT16, "<u2"},
    {TP::UINT32, "<u4"},  {TP::UINT64, "<u8"}, {TP::BOOL, "|b1"},
};

/// The text after 'key': in a header dict (quotes stripped, parentheses
/// kept), or "" when absent.
std::string dictValue(std::string_view header, const std::string &key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string_view::npos)
    return "";
  size_t colon = header.find(':', k);
  if (colon == std::string_view::npos)
    return "";
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string_view::npos)
    return "";
  char open = header[start];
  if (open == '\'' || open == '"') {
    size_t end = header.find(open, start + 1);
    return end == std::string_view::npos
               ? ""
               : std::string(header.substr(start + 1, end - start - 1));
  }
  if (open == '(') {
    size_t end = header.find(')', start);
    return end == std::string_view::npos
               ? ""
               : std::string(header.substr(start, end - start + 1));
  }
  size_t end = header.find_first_of(",}", start);
  if (end == std::string_view::npos)
    return "";
  return std::string(header.substr(start, end - start));
}
} // namespace

bool whittle::support::parseNpy(std::string_view bytes, TensorData &out,
                                std::string &error) {
  out = TensorData();
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") {
    error = "not a .npy file (bad magic)";
    return false;
  }
  unsigned major = static_cast<uint8_t>(bytes[6]);
  size_t headerLen = 0, headerStart;
  if (major == 1) {
    headerLen =
        static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      error = "truncated .npy header";
      return false;
    }
    for (int i = 3; i >= 0; --i)
      headerLen = (headerLen << 8) | static_cast<uint8_t>(bytes[8 + i]);
    headerStart = 12;
  } else {
    error = "unsupported .npy version " + std::to_string(major);
    return false;
  }
  if (bytes.size() - headerStart < headerLen) {
    error = "truncated .npy header";
    return false;
  }
  std::string_view header = bytes.substr(headerStart, headerLen);

  std::string descr = dictValue(header, "descr");
  std::string given = descr;
  if (!descr.empty() && (descr[0] == '=' || descr[0] == '|'))
    descr[0] = '<';
  for (const NpyType &t : npyTypes) {
    std::string d = t.descr;
    d[0] = '<';
    if (descr == d)
      out.elementType = t.type;
  }
  if (out.elementType == 0) {
    error = "unsupported NumPy dtype '" + given +
            "' (little-endian numeric or bool only)";
    return false;
  }
  if (dictValue(header, "fortran_order") != "False") {
    error = "Fortran-order arrays are not supported (save a C-order array, "
            "e.g. numpy.ascontiguousarray)";
    return false;
  }
  std::string shape = dictValue(header, "shape");
  if (shape.size() < 2 || shape.front() != '(') {
    error = "malformed shape in the .npy header";
    return false;
  }
  std::stringstream ss(shape.substr(1, shape.size() - 2));
  for (std::string item; std::getline(ss, item, ',');) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos)
      continue;
    item = item.substr(b, item.find_last_not_of(' ') - b + 1);
    if (item.empty() || item.size() > 18 ||
        item.find_first_not_of("0123456789") != std::string::npos) {
      error = "malformed shape '" + shape + "'";
      return false;
    }
    out.dims.push_back(std::stoll(item));
  }
  uint64_t size;
  if (!checkedSize(out, elementSize(out.elementType), size, error))
    return false;
  size_t dataStart = headerStart + headerLen;
  if (bytes.size() - dataStart != size) {
    error = "the .npy data holds " + std::to_string(bytes.size() - dataStart) +
            " bytes but its shape needs " + std::to_string(size);
    return false;
  }
  out.bytes.assign(bytes.substr(dataStart));
  return true;
}

bool whittle::support::writeNpy(const std::string &path, int32_t elementType,
                                const std::vector<int64_t> &dims,
                                const void *data, size_t sizeBytes,
                                std::string &error) {
  const char *descr = nullptr;
  for (const NpyType &n : npyTypes)
    if (n.type == elementType)
      descr = n.descr;
  if (!descr) {
    error = "cannot write element type " + typeName(elementType) + " as .npy";
    return false;
  }
  std::string shape = "(";
  for (int64_t d : dims)
    shape += std::to_string(d) + ", ";
  if (dims.size() > 1)
    shape.resize(shape.size() - 2);
  else if (dims.size() == 1)
    shape.pop_back(); // "(6,)"
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the data starts on a 64-byte boundary, as numpy does.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::ofstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  uint16_t len = static_cast<uint16_t>(header.size());
  file.write("\x93NUMPY\x01\x00", 8);
  char lenBytes[2] = {static_cast<char>(len & 0xff),
                      static_cast<char>(len >> 8)};
  file.write(lenBytes, 2);
  file << header;
  file.write(static_cast<const char *>(data), sizeBytes);
  if (!file) {
    error = "error writing '" + path + "'";
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// onnx::TensorProto
//===----------------------------------------------------------------------===//

/// Narrows the values of a typed repeated field into out.bytes.
template <typename Field>
static bool copyTyped(const Field &field, TensorData &out, size_t eltBytes,
                      std::string &error) {
  if (static_cast<int64_t>(field.size()) != out.numElements()) {
    error = "has " + std::to_string(field.size()) + " values but its shape " +
            "needs " + std::to_string(out.numElements());
    return false;
  }
  out.bytes.resize(field.size() * eltBytes);
  char *p = out.bytes.data();
  for (int i = 0; i < field.size(); ++i) {
    auto v = field.Get(i);
    if (out.elementType == TP::FLOAT) {
      float f = static_cast<float>(v);
      std::memcpy(p + i * eltBytes, &f, eltBytes);
    } else if (out.elementType == TP::DOUBLE) {
      double d = static_cast<double>(v);
      std::memcpy(p + i * eltBytes, &d, eltBytes);
    } else {
      // Integers, bool and f16/bf16 bit patterns: keep the low bytes
      // (little endian).
      uint64_t bits = static_cast<uint64_t>(v);
      std::memcpy(p + i * eltBytes, &bits, eltBytes);
    }
  }
  return true;
}

bool whittle::support::decodeTensorProto(const TP &proto, TensorData &out,
                                         std::string &error) {
  out = TensorData();
  out.name = proto.name();
  out.elementType = proto.data_type();
  size_t eltBytes = elementSize(out.elementType);
  if (eltBytes == 0) {
    error = "unsupported element type " + typeName(out.elementType);
    return false;
  }
  if (proto.data_location() == TP::EXTERNAL) {
    error = "external tensor data is not supported in a tensor file";
    return false;
  }
  if (proto.has_segment()) {
    error = "segmented tensors are not supported";
    return false;
  }
  out.dims.assign(proto.dims().begin(), proto.dims().end());
  uint64_t size;
  if (!checkedSize(out, eltBytes, size, error))
    return false;
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != size) {
      error = "has " + std::to_string(proto.raw_data().size()) +
              " bytes of raw_data but its shape needs " + std::to_string(size);
      return false;
    }
    out.bytes = proto.raw_data();
    return true;
  }
  switch (out.elementType) {
  case TP::FLOAT:
    return copyTyped(proto.float_data(), out, eltBytes, error);
  case TP::DOUBLE:
    return copyTyped(proto.double_data(), out, eltBytes, error);
  case TP::INT64:
    return copyTyped(proto.int64_data(), out, eltBytes, error);
  case TP::UINT32:
  case TP::UINT64:
    return copyTyped(proto.uint64_data(), out, eltBytes, error);
  default: // int8/16/32, uint8/16, bool, f16, bf16 live in int32_data.
    return copyTyped(proto.int32_data(), out, eltBytes, error);
  }
}

bool whittle::support::parseTensorProto(std::string_view bytes, TensorData &out,
                                        std::string &error) {
  TP proto;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error = "not a serialized onnx.TensorProto";
    return false;
  }
  return decodeTensorProto(proto, out, error);
}

bool whittle::support::readTensorFile(const std::string &path, TensorData &out,
                                      std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::string bytes((std::istreambuf_iterator<char>(file)),
                    std::istreambuf_iterator<char>());
  if (file.bad()) {
    error = "cannot read '" + path + "'";
    return false;
  }
  bool isNpy =
      path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  bool ok =
      isNpy ? parseNpy(bytes, out, error) : parseTensorProto(bytes, out, error);
  if (!ok) {
    std::string tensor = out.name.empty() ? "" : " (tensor '" + out.name + "')";
    error = "'" + path + "'" + tensor + ": " + error;
    if (!isNpy && error.find("not a serialized") != std::string::npos)
      error += " (expected an ONNX TensorProto .pb or a .npy file)";
  }
  return ok;
}
