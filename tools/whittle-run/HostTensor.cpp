//===- HostTensor.cpp - Reading and writing .pb and .npy tensors ----------===//

#include "HostTensor.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace whittle::run;

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

void HostTensor::allocate() { storage.assign((sizeBytes() + 7) / 8, 0); }

std::string whittle::run::shapeString(const std::vector<int64_t> &dims) {
  if (dims.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

static bool readFile(const std::string &path, std::string &bytes,
                     std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  bytes = ss.str();
  return true;
}

static float halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(mant | 0x400),
                   static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

double whittle::run::elementAsDouble(const HostTensor &t, int64_t i) {
  const auto *p = static_cast<const uint8_t *>(t.data());
  auto load = [&](auto zero) {
    decltype(zero) v;
    std::memcpy(&v, p + i * sizeof(v), sizeof(v));
    return v;
  };
  switch (t.dtype) {
  case WHITTLE_DTYPE_F16:
    return halfToFloat(load(uint16_t()));
  case WHITTLE_DTYPE_F32:
    return load(float());
  case WHITTLE_DTYPE_F64:
    return load(double());
  case WHITTLE_DTYPE_I8:
    return load(int8_t());
  case WHITTLE_DTYPE_I16:
    return load(int16_t());
  case WHITTLE_DTYPE_I32:
    return load(int32_t());
  case WHITTLE_DTYPE_I64:
    return static_cast<double>(load(int64_t()));
  case WHITTLE_DTYPE_U8:
  case WHITTLE_DTYPE_BOOL:
    return load(uint8_t());
  case WHITTLE_DTYPE_U16:
    return load(uint16_t());
  case WHITTLE_DTYPE_U32:
    return load(uint32_t());
  case WHITTLE_DTYPE_U64:
    return static_cast<double>(load(uint64_t()));
  case WHITTLE_DTYPE_INVALID:
    break;
  }
  return NAN;
}

//===----------------------------------------------------------------------===//
// onnx::TensorProto
//===----------------------------------------------------------------------===//

static whittle_dtype fromOnnx(int32_t type) {
  using TP = onnx::TensorProto;
  switch (type) {
  case TP::FLOAT:
    return WHITTLE_DTYPE_F32;
  case TP::FLOAT16:
    return WHITTLE_DTYPE_F16;
  case TP::DOUBLE:
    return WHITTLE_DTYPE_F64;
  case TP::INT8:
    return WHITTLE_DTYPE_I8;
  case TP::INT16:
    return WHITTLE_DTYPE_I16;
  case TP::INT32:
    return WHITTLE_DTYPE_I32;
  case TP::INT64:
    return WHITTLE_DTYPE_I64;
  case TP::UINT8:
    return WHITTLE_DTYPE_U8;
  case TP::UINT16:
    return WHITTLE_DTYPE_U16;
  case TP::UINT32:
    return WHITTLE_DTYPE_U32;
  case TP::UINT64:
    return WHITTLE_DTYPE_U64;
  case TP::BOOL:
    return WHITTLE_DTYPE_BOOL;
  default:
    return WHITTLE_DTYPE_INVALID;
  }
}

/// Narrows the values of a typed repeated field into t's element type.
template <typename Field>
static bool copyTyped(const Field &field, HostTensor &t, std::string &what) {
  if (static_cast<int64_t>(field.size()) != t.numElements()) {
    what = "has " + std::to_string(field.size()) + " values, shape " +
           shapeString(t.dims) + " needs " + std::to_string(t.numElements());
    return false;
  }
  auto *p = static_cast<uint8_t *>(t.data());
  size_t elt = whittle_dtype_size(t.dtype);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    auto v = field.Get(static_cast<int>(i));
    switch (t.dtype) {
    case WHITTLE_DTYPE_F32: {
      float f = static_cast<float>(v);
      std::memcpy(p + i * elt, &f, elt);
      break;
    }
    case WHITTLE_DTYPE_F64: {
      double d = static_cast<double>(v);
      std::memcpy(p + i * elt, &d, elt);
      break;
    }
    default: {
      // Integers, bool and f16 bit patterns: keep the low bytes.
      uint64_t bits = static_cast<uint64_t>(v);
      std::memcpy(p + i * elt, &bits, elt);
      break;
    }
    }
  }
  return true;
}

bool whittle::run::readTensorProto(const std::string &path, HostTensor &out,
                                   std::string &error) {
  std::string bytes;
  if (!readFile(path, bytes, error))
    return false;
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) {
    error = "'" + path + "' is not a serialized onnx.TensorProto";
    return false;
  }
  out = HostTensor();
  out.name = proto.name();
  out.dtype = fromOnnx(proto.data_type());
  if (out.dtype == WHITTLE_DTYPE_INVALID) {
    error = "'" + path + "': unsupported TensorProto data_type " +
            std::to_string(proto.data_type());
    return false;
  }
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "'" + path + "': external tensor data is not supported";
    return false;
  }
  for (int64_t d : proto.dims()) {
    if (d < 0) {
      error = "'" + path + "': negative dim " + std::to_string(d);
      return false;
    }
    out.dims.push_back(d);
  }
  out.allocate();

  std::string what;
  bool ok = true;
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != out.sizeBytes()) {
      what = "has " + std::to_string(proto.raw_data().size()) +
             " bytes of raw_data, shape " + shapeString(out.dims) + " of " +
             whittle_dtype_name(out.dtype) + " needs " +
             std::to_string(out.sizeBytes());
      ok = false;
    } else {
      std::memcpy(out.data(), proto.raw_data().data(), out.sizeBytes());
    }
  } else {
    switch (out.dtype) {
    case WHITTLE_DTYPE_F32:
      ok = copyTyped(proto.float_data(), out, what);
      break;
    case WHITTLE_DTYPE_F64:
      ok = copyTyped(proto.double_data(), out, what);
      break;
    case WHITTLE_DTYPE_I64:
      ok = copyTyped(proto.int64_data(), out, what);
      break;
    case WHITTLE_DTYPE_U32:
    case WHITTLE_DTYPE_U64:
      ok = copyTyped(proto.uint64_data(), out, what);
      break;
    default: // int8/16/32, uint8/16, bool, f16 live in int32_data.
      ok = copyTyped(proto.int32_data(), out, what);
      break;
    }
  }
  if (!ok)
    error = "'" + path + "' (tensor '" + out.name + "') " + what;
  return ok;
}

//===----------------------------------------------------------------------===//
// NumPy .npy
//===----------------------------------------------------------------------===//

namespace {
struct NpyType {
  whittle_dtype dtype;
  const char *descr; ///< Written form; reading also accepts '=' and '|'.
};
constexpr NpyType npyTypes[] = {
    {WHITTLE_DTYPE_F16, "<f2"}, {WHITTLE_DTYPE_F32, "<f4"},
    {WHITTLE_DTYPE_F64, "<f8"}, {WHITTLE_DTYPE_I8, "|i1"},
    {WHITTLE_DTYPE_I16, "<i2"}, {WHITTLE_DTYPE_I32, "<i4"},
    {WHITTLE_DTYPE_I64, "<i8"}, {WHITTLE_DTYPE_U8, "|u1"},
    {WHITTLE_DTYPE_U16, "<u2"}, {WHITTLE_DTYPE_U32, "<u4"},
    {WHITTLE_DTYPE_U64, "<u8"}, {WHITTLE_DTYPE_BOOL, "|b1"},
};

/// Returns the text after 'key': in a header dict, or "" if absent.
std::string dictValue(const std::string &header, const std::string &key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos)
    return "";
  size_t colon = header.find(':', k);
  if (colon == std::string::npos)
    return "";
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos)
    return "";
  char open = header[start];
  if (open == '\'' || open == '"') {
    size_t end = header.find(open, start + 1);
    return end == std::string::npos ? ""
                                    : header.substr(start + 1, end - start - 1);
  }
  if (open == '(') {
    size_t end = header.find(')', start);
    return end == std::string::npos ? ""
                                    : header.substr(start, end - start + 1);
  }
  size_t end = header.find_first_of(",}", start);
  return header.substr(start, end - start);
}
} // namespace

bool whittle::run::readNpy(const std::string &path, HostTensor &out,
                           std::string &error) {
  std::string bytes;
  if (!readFile(path, bytes, error))
    return false;
  auto bad = [&](const std::string &why) {
    error = "'" + path + "': " + why;
    return false;
  };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return bad("not a .npy file (bad magic)");
  unsigned major = static_cast<uint8_t>(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen =
        static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return bad("truncated header");
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = (headerLen << 8) | static_cast<uint8_t>(bytes[8 + i]);
    headerStart = 12;
  } else {
    return bad("unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() < headerStart + headerLen)
    return bad("truncated header");
  std::string header = bytes.substr(headerStart, headerLen);

  std::string descr = dictValue(header, "descr");
  if (!descr.empty() && (descr[0] == '=' || descr[0] == '|'))
    descr[0] = '<';
  out = HostTensor();
  for (const NpyType &t : npyTypes) {
    std::string d = t.descr;
    d[0] = '<';
    if (descr == d)
      out.dtype = t.dtype;
  }
  if (out.dtype == WHITTLE_DTYPE_INVALID)
    return bad("unsupported dtype '" + dictValue(header, "descr") +
               "' (little-endian numeric or bool only)");
  if (dictValue(header, "fortran_order") != "False")
    return bad("Fortran-order arrays are not supported (save a C-order "
               "array, e.g. numpy.ascontiguousarray)");
  std::string shape = dictValue(header, "shape");
  if (shape.size() < 2 || shape.front() != '(')
    return bad("malformed shape in header");
  std::stringstream ss(shape.substr(1, shape.size() - 2));
  for (std::string item; std::getline(ss, item, ',');) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos)
      continue;
    item = item.substr(b, item.find_last_not_of(' ') - b + 1);
    if (item.empty() ||
        item.find_first_not_of("0123456789") != std::string::npos)
      return bad("malformed shape '" + shape + "'");
    out.dims.push_back(std::stoll(item));
  }
  out.allocate();
  size_t dataStart = headerStart + headerLen;
  if (bytes.size() - dataStart != out.sizeBytes())
    return bad("has " + std::to_string(bytes.size() - dataStart) +
               " data bytes, shape " + shapeString(out.dims) + " needs " +
               std::to_string(out.sizeBytes()));
  std::memcpy(out.data(), bytes.data() + dataStart, out.sizeBytes());
  return true;
}

bool whittle::run::writeNpy(const std::string &path, const HostTensor &t,
                            std::string &error) {
  const char *descr = nullptr;
  for (const NpyType &n : npyTypes)
    if (n.dtype == t.dtype)
      descr = n.descr;
  if (!descr) {
    error = "cannot write dtype " + std::string(whittle_dtype_name(t.dtype));
    return false;
  }
  std::string shape = "(";
  for (int64_t d : t.dims)
    shape += std::to_string(d) + ", ";
  if (t.dims.size() > 1)
    shape.resize(shape.size() - 2);
  else if (t.dims.size() == 1)
    shape.pop_back(); // "(6,)"
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the data starts on a 64-byte boundary, as numpy does.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::ofstream outFile(path, std::ios::binary);
  if (!outFile) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  uint16_t len = static_cast<uint16_t>(header.size());
  outFile.write("\x93NUMPY\x01\x00", 8);
  char lenBytes[2] = {static_cast<char>(len & 0xff),
                      static_cast<char>(len >> 8)};
  outFile.write(lenBytes, 2);
  outFile << header;
  outFile.write(static_cast<const char *>(t.data()), t.sizeBytes());
  if (!outFile) {
    error = "error writing '" + path + "'";
    return false;
  }
  return true;
}
