//===- Status.cpp - Error reporting and dtype helpers ---------------------===//

#include "Internal.h"

#include <cstring>

using namespace whittle::rt;

namespace {
// Per thread so concurrent sessions never see each other's messages.
thread_local std::string lastError;

struct DTypeEntry {
  whittle_dtype dtype;
  const char *name;
  size_t size;
};

constexpr DTypeEntry dtypeTable[] = {
    {WHITTLE_DTYPE_F16, "f16", 2}, {WHITTLE_DTYPE_F32, "f32", 4},
    {WHITTLE_DTYPE_F64, "f64", 8}, {WHITTLE_DTYPE_I8, "i8", 1},
    {WHITTLE_DTYPE_I16, "i16", 2}, {WHITTLE_DTYPE_I32, "i32", 4},
    {WHITTLE_DTYPE_I64, "i64", 8}, {WHITTLE_DTYPE_U8, "u8", 1},
    {WHITTLE_DTYPE_U16, "u16", 2}, {WHITTLE_DTYPE_U32, "u32", 4},
    {WHITTLE_DTYPE_U64, "u64", 8}, {WHITTLE_DTYPE_BOOL, "bool", 1},
};
} // namespace

whittle_status whittle::rt::fail(whittle_status status, std::string msg) {
  lastError = std::move(msg);
  return status;
}

extern "C" {

const char *whittle_last_error(void) { return lastError.c_str(); }

const char *whittle_status_name(whittle_status status) {
  switch (status) {
  case WHITTLE_OK:
    return "OK";
  case WHITTLE_INVALID_ARGUMENT:
    return "INVALID_ARGUMENT";
  case WHITTLE_LOAD_FAILED:
    return "LOAD_FAILED";
  case WHITTLE_SHAPE_MISMATCH:
    return "SHAPE_MISMATCH";
  case WHITTLE_TYPE_MISMATCH:
    return "TYPE_MISMATCH";
  case WHITTLE_OUT_OF_MEMORY:
    return "OUT_OF_MEMORY";
  case WHITTLE_RUN_FAILED:
    return "RUN_FAILED";
  case WHITTLE_NO_DEVICE:
    return "NO_DEVICE";
  }
  return "UNKNOWN";
}

const char *whittle_dtype_name(whittle_dtype dtype) {
  for (const DTypeEntry &e : dtypeTable)
    if (e.dtype == dtype)
      return e.name;
  return "invalid";
}

whittle_dtype whittle_dtype_from_name(const char *name) {
  if (!name)
    return WHITTLE_DTYPE_INVALID;
  for (const DTypeEntry &e : dtypeTable)
    if (std::strcmp(e.name, name) == 0)
      return e.dtype;
  return WHITTLE_DTYPE_INVALID;
}

size_t whittle_dtype_size(whittle_dtype dtype) {
  for (const DTypeEntry &e : dtypeTable)
    if (e.dtype == dtype)
      return e.size;
  return 0;
}

} // extern "C"
