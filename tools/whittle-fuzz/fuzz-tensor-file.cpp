//===- fuzz-tensor-file.cpp - libFuzzer target: .npy/.pb tensor files -----===//
//
// The readers whittle-run (inputs, expected outputs) and --freeze-input use:
// parseNpy and parseTensorProto on the same bytes. whittle-run copies a
// parsed tensor's bytes into a buffer sized from its dims, so a successful
// parse must hold exactly numElements * elementSize bytes.
//
// parseTensorProto decodes the wire format by hand; protobuf's generated
// onnx::TensorProto is the reference. The same bytes parsed by protobuf and
// decoded as parseTensorProto did when it was built on protobuf must agree
// with it: malformed for both or for neither, and otherwise the same result
// (name, element type, dims, bytes, or error). The one exception is groups
// (deprecated wire types 3 and 4): protobuf keeps them as unknown fields,
// parseTensorProto rejects them as malformed.
//
//===----------------------------------------------------------------------===//

#include "whittle/Support/TensorFile.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

using namespace whittle::support;
using TP = onnx::TensorProto;

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

[[noreturn]] static void disagree(const char *what, const std::string &ours,
                                  const std::string &reference) {
  std::fprintf(stderr,
               "whittle-fuzz-tensor-file: parseTensorProto and protobuf "
               "disagree on %s: '%s' vs '%s'\n",
               what, ours.c_str(), reference.c_str());
  std::abort();
}

/// Narrows a typed repeated field into out.bytes (as raw_data lays it out).
template <typename Field>
static bool referenceTyped(const Field &field, TensorData &out, size_t elt,
                           std::string &error) {
  if (static_cast<int64_t>(field.size()) != out.numElements()) {
    error = "has " + std::to_string(field.size()) + " values but its shape " +
            "needs " + std::to_string(out.numElements());
    return false;
  }
  out.bytes.resize(field.size() * elt);
  for (int i = 0; i < field.size(); ++i) {
    auto v = field.Get(i);
    if (out.elementType == FLOAT || out.elementType == DOUBLE) {
      std::memcpy(&out.bytes[i * elt], &v, elt);
    } else {
      uint64_t bits = static_cast<uint64_t>(v); // little endian: low bytes
      std::memcpy(&out.bytes[i * elt], &bits, elt);
    }
  }
  return true;
}

/// What parseTensorProto returned for a TensorProto protobuf parsed.
static bool referenceDecode(const TP &proto, TensorData &out,
                            std::string &error) {
  out = TensorData();
  out.name = proto.name();
  out.elementType = proto.data_type();
  size_t elt = elementSize(out.elementType);
  if (elt == 0) {
    const char *name = elementTypeName(out.elementType);
    error = std::string("unsupported element type ") +
            (*name ? name : "type " + std::to_string(out.elementType));
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
  uint64_t n = 1;
  for (int64_t d : out.dims) {
    if (d < 0) {
      error = "negative dimension " + std::to_string(d);
      return false;
    }
    if (d != 0 && n > INT64_MAX / 16 / static_cast<uint64_t>(d)) {
      error = "the shape has too many elements";
      return false;
    }
    n *= d;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != n * elt) {
      error = "has " + std::to_string(proto.raw_data().size()) +
              " bytes of raw_data but its shape needs " +
              std::to_string(n * elt);
      return false;
    }
    out.bytes = proto.raw_data();
    return true;
  }
  switch (out.elementType) {
  case FLOAT:
    return referenceTyped(proto.float_data(), out, elt, error);
  case DOUBLE:
    return referenceTyped(proto.double_data(), out, elt, error);
  case INT64:
    return referenceTyped(proto.int64_data(), out, elt, error);
  case UINT32:
  case UINT64:
    return referenceTyped(proto.uint64_data(), out, elt, error);
  default:
    return referenceTyped(proto.int32_data(), out, elt, error);
  }
}

static bool hasGroup(const google::protobuf::UnknownFieldSet &fields) {
  for (int i = 0; i < fields.field_count(); ++i)
    if (fields.field(i).type() == google::protobuf::UnknownField::TYPE_GROUP)
      return true;
  return false;
}

/// Whether protobuf kept a group anywhere in the message.
static bool hasGroup(const TP &proto) {
  bool group = hasGroup(proto.unknown_fields()) ||
               hasGroup(proto.segment().unknown_fields());
  for (const onnx::StringStringEntryProto &entry : proto.external_data())
    group |= hasGroup(entry.unknown_fields());
  return group;
}

static void compareWithProtobuf(std::string_view bytes) {
  TensorData t;
  std::string error;
  bool ok = parseTensorProto(bytes, t, error);
  bool wellFormed = ok || error != "not a serialized onnx.TensorProto";

  TP proto;
  bool refWellFormed =
      bytes.size() <= INT_MAX &&
      proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  if (refWellFormed && hasGroup(proto)) {
    if (wellFormed)
      disagree("a message with a group", "accepted", "rejected");
    return;
  }
  if (wellFormed != refWellFormed)
    disagree("the wire format", wellFormed ? "well-formed" : error,
             refWellFormed ? "well-formed" : "malformed");
  if (!refWellFormed)
    return;

  TensorData ref;
  std::string refError;
  bool refOk = referenceDecode(proto, ref, refError);
  if (ok != refOk || error != refError)
    disagree("the result", ok ? "ok" : error, refOk ? "ok" : refError);
  if (t.name != ref.name)
    disagree("the name", t.name, ref.name);
  if (!ok)
    return;
  if (t.elementType != ref.elementType)
    disagree("the element type", std::to_string(t.elementType),
             std::to_string(ref.elementType));
  if (t.dims != ref.dims)
    disagree("the dims", std::to_string(t.dims.size()) + " dims",
             std::to_string(ref.dims.size()) + " dims");
  if (t.bytes != ref.bytes)
    disagree("the bytes", std::to_string(t.bytes.size()) + " bytes",
             std::to_string(ref.bytes.size()) + " bytes");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  TensorData t;
  std::string error;
  if (parseNpy(bytes, t, error))
    check(t, "parseNpy");
  if (parseTensorProto(bytes, t, error))
    check(t, "parseTensorProto");
  compareWithProtobuf(bytes);
  return 0;
}
