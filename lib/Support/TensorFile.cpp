//===- TensorFile.cpp - .npy and TensorProto tensor files -----------------===//

#include "whittle/Support/TensorFile.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

using namespace whittle::support;

int64_t TensorData::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

size_t whittle::support::elementSize(int32_t type) {
  switch (type) {
  case FLOAT:
  case INT32:
  case UINT32:
    return 4;
  case DOUBLE:
  case INT64:
  case UINT64:
    return 8;
  case FLOAT16:
  case BFLOAT16:
  case INT16:
  case UINT16:
    return 2;
  case INT8:
  case UINT8:
  case BOOL:
    return 1;
  default:
    return 0;
  }
}

const char *whittle::support::elementTypeName(int32_t type) {
  static const char *const names[] = {
      "UNDEFINED",      "FLOAT",      "UINT8",
      "INT8",           "UINT16",     "INT16",
      "INT32",          "INT64",      "STRING",
      "BOOL",           "FLOAT16",    "DOUBLE",
      "UINT32",         "UINT64",     "COMPLEX64",
      "COMPLEX128",     "BFLOAT16",   "FLOAT8E4M3FN",
      "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",          "INT4",       "FLOAT4E2M1",
      "FLOAT8E8M0",     "UINT2",      "INT2"};
  if (type < 0 || type >= static_cast<int32_t>(std::size(names)))
    return "";
  return names[type];
}

static std::string typeName(int32_t type) {
  const char *name = elementTypeName(type);
  return *name ? name : "type " + std::to_string(type);
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
    {FLOAT16, "<f2"}, {FLOAT, "<f4"},  {DOUBLE, "<f8"}, {INT8, "|i1"},
    {INT16, "<i2"},   {INT32, "<i4"},  {INT64, "<i8"},  {UINT8, "|u1"},
    {UINT16, "<u2"},  {UINT32, "<u4"}, {UINT64, "<u8"}, {BOOL, "|b1"},
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
// onnx.TensorProto, decoded from the protobuf wire format
//===----------------------------------------------------------------------===//

namespace {
enum WireType : uint32_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

/// A bounds-checked cursor over protobuf wire format. Its limits are
/// protobuf's own, so that both accept the same files: varints of at most 10
/// bytes (bits past 64 dropped), tags of at most 5 (bits past 32 dropped),
/// lengths below 2 GiB.
class WireReader {
public:
  explicit WireReader(std::string_view bytes)
      : p(bytes.data()), end(bytes.data() + bytes.size()) {}
  bool atEnd() const { return p == end; }

  bool varint(uint64_t &value, int maxBytes = 10) {
    value = 0;
    for (int i = 0; i < maxBytes && p != end; ++i) {
      uint8_t b = static_cast<uint8_t>(*p++);
      value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80)
        return true;
    }
    return false;
  }

  /// False on a malformed tag or field number 0.
  bool tag(uint32_t &field, uint32_t &wireType) {
    uint64_t v;
    if (!varint(v, 5))
      return false;
    field = static_cast<uint32_t>(v) >> 3;
    wireType = v & 7;
    return field != 0;
  }

  bool fixed(size_t n, uint64_t &value) {
    if (static_cast<size_t>(end - p) < n)
      return false;
    value = 0;
    for (size_t i = 0; i < n; ++i)
      value |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
    p += n;
    return true;
  }

  bool bytes(std::string_view &out) {
    uint64_t n;
    if (!varint(n, 5) || n >= (uint64_t(1) << 31) ||
        n > static_cast<uint64_t>(end - p))
      return false;
    out = std::string_view(p, n);
    p += n;
    return true;
  }

  /// A scalar of wire type Varint, Fixed32 or Fixed64.
  bool scalar(uint32_t wireType, uint64_t &value) {
    if (wireType == Varint)
      return varint(value);
    return fixed(wireType == Fixed32 ? 4 : 8, value);
  }

  /// Skips a field. Groups (wire types 3 and 4, deprecated and never part of
  /// a TensorProto) and wire types 6 and 7 are malformed.
  bool skip(uint32_t wireType) {
    uint64_t v;
    std::string_view s;
    switch (wireType) {
    case Varint:
    case Fixed64:
    case Fixed32:
      return scalar(wireType, v);
    case Bytes:
      return bytes(s);
    default:
      return false;
    }
  }

private:
  const char *p, *end;
};

/// The wire type of a numeric repeated field's values, or Bytes for the
/// other fields.
uint32_t repeatedWireType(uint32_t field) {
  switch (field) {
  case 1:  // dims
  case 5:  // int32_data
  case 7:  // int64_data
  case 11: // uint64_data
    return Varint;
  case 4: // float_data
    return Fixed32;
  case 10: // double_data
    return Fixed64;
  default:
    return Bytes;
  }
}

/// Reads one occurrence of a numeric repeated field, a single value (wire
/// type `native`) or packed ones (Bytes), passing each to `f`.
template <typename F>
bool readRepeated(WireReader &r, uint32_t wireType, uint32_t native, F &&f) {
  uint64_t v;
  if (wireType == native) {
    if (!r.scalar(native, v))
      return false;
    f(v);
    return true;
  }
  std::string_view packed;
  if (!r.bytes(packed))
    return false;
  if (native != Varint && packed.size() % (native == Fixed32 ? 4 : 8) != 0)
    return false;
  WireReader values(packed);
  while (!values.atEnd()) {
    if (!values.scalar(native, v))
      return false;
    f(v);
  }
  return true;
}

/// Whether `bytes` is a well-formed message: protobuf rejects a TensorProto
/// whose Segment or StringStringEntryProto is malformed.
bool isMessage(std::string_view bytes) {
  WireReader r(bytes);
  uint32_t field, wireType;
  while (!r.atEnd())
    if (!r.tag(field, wireType) || !r.skip(wireType))
      return false;
  return true;
}

/// The fields of a TensorProto that decoding needs. Typed values are only
/// counted here and copied by a second pass, once data_type is known.
struct TensorFields {
  int32_t dataType = 0;
  int32_t dataLocation = 0;
  bool hasSegment = false;
  bool hasRawData = false;
  std::string_view name, rawData;
  std::vector<int64_t> dims;
  uint64_t counts[12] = {}; ///< Values per typed field number.
};

/// Protobuf's semantics: the last occurrence of a scalar field wins,
/// repeated fields concatenate across packed and unpacked occurrences, a
/// known field with another wire type is an unknown field, and an unknown
/// data_location value is ignored.
bool scanTensorProto(std::string_view bytes, TensorFields &t) {
  WireReader r(bytes);
  while (!r.atEnd()) {
    uint32_t field, wireType;
    if (!r.tag(field, wireType))
      return false;
    uint32_t native = repeatedWireType(field);
    uint64_t v;
    std::string_view s;
    bool ok;
    if (native != Bytes && (wireType == native || wireType == Bytes)) {
      if (field == 1)
        ok = readRepeated(r, wireType, native, [&](uint64_t d) {
          t.dims.push_back(static_cast<int64_t>(d));
        });
      else
        ok = readRepeated(r, wireType, native,
                          [&](uint64_t) { ++t.counts[field]; });
    } else if (field == 2 && wireType == Varint) {
      ok = r.varint(v);
      t.dataType = static_cast<int32_t>(static_cast<uint32_t>(v));
    } else if ((field == 3 || field == 13) && wireType == Bytes) {
      // segment, external_data: messages.
      ok = r.bytes(s) && isMessage(s);
      t.hasSegment |= field == 3;
    } else if (field == 8 && wireType == Bytes) {
      ok = r.bytes(t.name);
    } else if (field == 9 && wireType == Bytes) {
      ok = r.bytes(t.rawData);
      t.hasRawData = true;
    } else if (field == 14 && wireType == Varint) {
      ok = r.varint(v);
      int32_t location = static_cast<int32_t>(static_cast<uint32_t>(v));
      if (location == 0 || location == 1) // DEFAULT, EXTERNAL
        t.dataLocation = location;
    } else {
      // string_data, doc_string and unknown fields.
      ok = r.skip(wireType);
    }
    if (!ok)
      return false;
  }
  return true;
}

/// Passes each value of the numeric repeated field `field` of a TensorProto
/// that scanTensorProto accepted to `f`.
template <typename F>
void forEachValue(std::string_view bytes, uint32_t field, F &&f) {
  WireReader r(bytes);
  uint32_t native = repeatedWireType(field);
  uint32_t at, wireType;
  while (!r.atEnd() && r.tag(at, wireType)) {
    if (at == field && (wireType == native || wireType == Bytes))
      readRepeated(r, wireType, native, f);
    else
      r.skip(wireType);
  }
}

/// The typed field holding the values of an element type without raw_data.
uint32_t typedField(int32_t elementType) {
  switch (elementType) {
  case FLOAT:
    return 4;
  case DOUBLE:
    return 10;
  case INT64:
    return 7;
  case UINT32:
  case UINT64:
    return 11;
  default: // int8/16/32, uint8/16, bool, f16, bf16 live in int32_data.
    return 5;
  }
}
} // namespace

bool whittle::support::parseTensorProto(std::string_view bytes, TensorData &out,
                                        std::string &error) {
  out = TensorData();
  TensorFields t;
  if (!scanTensorProto(bytes, t)) {
    error = "not a serialized onnx.TensorProto";
    return false;
  }
  out.name = std::string(t.name);
  out.elementType = t.dataType;
  size_t eltBytes = elementSize(out.elementType);
  if (eltBytes == 0) {
    error = "unsupported element type " + typeName(out.elementType);
    return false;
  }
  if (t.dataLocation == 1) {
    error = "external tensor data is not supported in a tensor file";
    return false;
  }
  if (t.hasSegment) {
    error = "segmented tensors are not supported";
    return false;
  }
  out.dims = std::move(t.dims);
  uint64_t size;
  if (!checkedSize(out, eltBytes, size, error))
    return false;
  if (t.hasRawData) {
    if (t.rawData.size() != size) {
      error = "has " + std::to_string(t.rawData.size()) +
              " bytes of raw_data but its shape needs " + std::to_string(size);
      return false;
    }
    out.bytes.assign(t.rawData);
    return true;
  }
  uint32_t field = typedField(out.elementType);
  uint64_t count = t.counts[field];
  if (count != static_cast<uint64_t>(out.numElements())) {
    error = "has " + std::to_string(count) + " values but its shape needs " +
            std::to_string(out.numElements());
    return false;
  }
  // Each value narrowed to its low bytes, little endian: the bits of a float
  // or double, an integer truncated, a f16/bf16 bit pattern.
  out.bytes.resize(count * eltBytes);
  char *dst = out.bytes.data();
  forEachValue(bytes, field, [&](uint64_t v) {
    for (size_t i = 0; i < eltBytes; ++i)
      *dst++ = static_cast<char>(v >> (8 * i));
  });
  return true;
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
