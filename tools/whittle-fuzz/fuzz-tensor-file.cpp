//===- fuzz-tensor-file.cpp - libFuzzer target: .npy/.pb tensor files -----===//
//
// The readers whittle-run (inputs, expected outputs) and --freeze-input use:
// parseNpy and parseTensorProto on the same bytes. whittle-run copies a
// parsed tensor's bytes into a buffer sized from its dims, so a successful
// parse must hold exactly numElements * elementSize bytes.
//
//===----------------------------------------------------------------------===//

#include "whittle/Support/TensorFile.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace whittle::support;

static void check(const TensorData &t, const char *reader) {
  size_t elt = elementSize(t.elementType);
  bool ok = elt != 0;
  for (int64_t d : t.dims)
    ok &= d >= 0;
  if (ok && static_cast<uint64_t>(t.numElements()) * elt != t.bytes.size())
    ok = false;
  if (!ok) {
    std::fprintf(stderr,
                 "whittle-fuzz-tensor-file: %s accepted a tensor whose "
                 "bytes do not match its type and dims\n",
                 reader);
    std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  TensorData t;
  std::string error;
  if (parseNpy(bytes, t, error))
    check(t, "parseNpy");
  if (parseTensorProto(bytes, t, error))
    check(t, "parseTensorProto");
  return 0;
}
