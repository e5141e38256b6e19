//===- HostTensor.cpp - Host tensors and their files ----------------------===//
//
// The file formats themselves are read by lib/Support (shared with the
// importer); this maps them onto the runtime's dtypes.
//

#include "HostTensor.h"

#include "whittle/Support/TensorFile.h"

#include <cmath>
#include <cstring>

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
// Files (through lib/Support)
//===----------------------------------------------------------------------===//

static const std::pair<int32_t, whittle_dtype> dtypeMap[] = {
    {whittle::support::FLOAT, WHITTLE_DTYPE_F32},
    {whittle::support::FLOAT16, WHITTLE_DTYPE_F16},
    {whittle::support::DOUBLE, WHITTLE_DTYPE_F64},
    {whittle::support::INT8, WHITTLE_DTYPE_I8},
    {whittle::support::INT16, WHITTLE_DTYPE_I16},
    {whittle::support::INT32, WHITTLE_DTYPE_I32},
    {whittle::support::INT64, WHITTLE_DTYPE_I64},
    {whittle::support::UINT8, WHITTLE_DTYPE_U8},
    {whittle::support::UINT16, WHITTLE_DTYPE_U16},
    {whittle::support::UINT32, WHITTLE_DTYPE_U32},
    {whittle::support::UINT64, WHITTLE_DTYPE_U64},
    {whittle::support::BOOL, WHITTLE_DTYPE_BOOL},
};

bool whittle::run::readTensorFile(const std::string &path, HostTensor &out,
                                  std::string &error) {
  whittle::support::TensorData data;
  if (!whittle::support::readTensorFile(path, data, error))
    return false;
  out = HostTensor();
  out.name = data.name;
  for (auto [onnxType, dtype] : dtypeMap)
    if (onnxType == data.elementType)
      out.dtype = dtype;
  if (out.dtype == WHITTLE_DTYPE_INVALID) {
    error = "'" + path + "': element type " +
            whittle::support::elementTypeName(data.elementType) +
            " has no runtime dtype";
    return false;
  }
  out.dims = data.dims;
  out.allocate();
  std::memcpy(out.data(), data.bytes.data(), data.bytes.size());
  return true;
}

bool whittle::run::writeNpy(const std::string &path, const HostTensor &t,
                            std::string &error) {
  for (auto [onnxType, dtype] : dtypeMap)
    if (dtype == t.dtype)
      return whittle::support::writeNpy(path, onnxType, t.dims, t.data(),
                                        t.sizeBytes(), error);
  error = "cannot write dtype " + std::string(whittle_dtype_name(t.dtype));
  return false;
}
