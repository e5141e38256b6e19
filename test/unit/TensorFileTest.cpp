//===- TensorFileTest.cpp - parseTensorProto against protobuf -------------===//
//
// parseTensorProto decodes the wire format by hand; these tests feed it what
// protobuf's generated onnx::TensorProto serializes (and, for the forms
// protobuf does not write, bytes built by hand).
//
//===----------------------------------------------------------------------===//

#include "whittle/Support/TensorFile.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>

using namespace whittle::support;
using TP = onnx::TensorProto;

// The element types protobuf knows have its numbers.
static_assert(int32_t(FLOAT) == TP::FLOAT && int32_t(UINT8) == TP::UINT8 &&
              int32_t(INT8) == TP::INT8 && int32_t(UINT16) == TP::UINT16 &&
              int32_t(INT16) == TP::INT16 && int32_t(INT32) == TP::INT32 &&
              int32_t(INT64) == TP::INT64 && int32_t(STRING) == TP::STRING &&
              int32_t(BOOL) == TP::BOOL && int32_t(FLOAT16) == TP::FLOAT16 &&
              int32_t(DOUBLE) == TP::DOUBLE && int32_t(UINT32) == TP::UINT32 &&
              int32_t(UINT64) == TP::UINT64 &&
              int32_t(COMPLEX64) == TP::COMPLEX64 &&
              int32_t(COMPLEX128) == TP::COMPLEX128 &&
              int32_t(BFLOAT16) == TP::BFLOAT16);

namespace {

std::string serialize(const TP &proto) {
  std::string bytes;
  EXPECT_TRUE(proto.SerializeToString(&bytes));
  return bytes;
}

std::string varint(uint64_t v) {
  std::string s;
  for (; v >= 0x80; v >>= 7)
    s += static_cast<char>(v | 0x80);
  return s + static_cast<char>(v);
}

std::string tag(uint32_t field, uint32_t wireType) {
  return varint(field << 3 | wireType);
}

std::string fixed32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i)
    s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

std::string lengthDelimited(uint32_t field, const std::string &payload) {
  return tag(field, 2) + varint(payload.size()) + payload;
}

/// dims = [n], data_type = FLOAT: a prefix for hand-built tensors.
std::string floatHeader(int64_t n) {
  return tag(1, 0) + varint(n) + tag(2, 0) + varint(FLOAT);
}

TensorData parseOk(const std::string &bytes) {
  TensorData t;
  std::string error;
  EXPECT_TRUE(parseTensorProto(bytes, t, error)) << error;
  return t;
}

std::string parseError(const std::string &bytes) {
  TensorData t;
  std::string error;
  EXPECT_FALSE(parseTensorProto(bytes, t, error));
  return error;
}

template <typename T> std::vector<T> values(const TensorData &t) {
  std::vector<T> v(t.bytes.size() / sizeof(T));
  std::memcpy(v.data(), t.bytes.data(), v.size() * sizeof(T));
  EXPECT_EQ(v.size() * sizeof(T), t.bytes.size());
  return v;
}

const char *const notSerialized = "not a serialized onnx.TensorProto";

TEST(TensorProto, RawDataFloat) {
  TP proto;
  proto.set_name("input 0");
  proto.set_data_type(TP::FLOAT);
  proto.add_dims(2);
  proto.add_dims(3);
  std::vector<float> data = {1, 2.5f, -3, 0, 1e30f, -0.0f};
  proto.set_raw_data(data.data(), data.size() * sizeof(float));
  TensorData t = parseOk(serialize(proto));
  EXPECT_EQ(t.name, "input 0");
  EXPECT_EQ(t.elementType, FLOAT);
  EXPECT_EQ(t.dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<float>(t), data);
}

TEST(TensorProto, FloatDataPacked) {
  TP proto;
  proto.set_data_type(TP::FLOAT);
  proto.add_dims(3);
  for (float f : {1.5f, -2.0f, 3.25f})
    proto.add_float_data(f);
  std::string bytes = serialize(proto);
  ASSERT_NE(bytes.find(tag(4, 2)), std::string::npos); // packed
  EXPECT_EQ(values<float>(parseOk(bytes)),
            (std::vector<float>{1.5f, -2.0f, 3.25f}));
}

TEST(TensorProto, FloatDataUnpacked) {
  float a = 1.5f, b = -2.0f, c = 3.25f;
  uint32_t bits[3];
  std::memcpy(&bits[0], &a, 4);
  std::memcpy(&bits[1], &b, 4);
  std::memcpy(&bits[2], &c, 4);
  std::string bytes = floatHeader(3);
  for (uint32_t v : bits)
    bytes += tag(4, 5) + fixed32(v);
  EXPECT_EQ(values<float>(parseOk(bytes)), (std::vector<float>{a, b, c}));

  // Packed and unpacked occurrences concatenate.
  bytes = floatHeader(3) + tag(4, 5) + fixed32(bits[0]) +
          lengthDelimited(4, fixed32(bits[1]) + fixed32(bits[2]));
  EXPECT_EQ(values<float>(parseOk(bytes)), (std::vector<float>{a, b, c}));
}

TEST(TensorProto, Int64Data) {
  TP proto;
  proto.set_data_type(TP::INT64);
  proto.add_dims(4);
  for (int64_t v : {int64_t(0), int64_t(-1), INT64_MAX, INT64_MIN})
    proto.add_int64_data(v);
  TensorData t = parseOk(serialize(proto));
  EXPECT_EQ(t.elementType, INT64);
  EXPECT_EQ(values<int64_t>(t),
            (std::vector<int64_t>{0, -1, INT64_MAX, INT64_MIN}));
}

TEST(TensorProto, Int32DataNarrowed) {
  TP proto;
  proto.set_data_type(TP::INT8);
  proto.add_dims(3);
  for (int v : {-1, 127, -128})
    proto.add_int32_data(v);
  EXPECT_EQ(values<int8_t>(parseOk(serialize(proto))),
            (std::vector<int8_t>{-1, 127, -128}));

  proto.Clear();
  proto.set_data_type(TP::BOOL);
  proto.add_dims(3);
  for (int v : {1, 0, 1})
    proto.add_int32_data(v);
  EXPECT_EQ(values<uint8_t>(parseOk(serialize(proto))),
            (std::vector<uint8_t>{1, 0, 1}));

  proto.Clear();
  proto.set_data_type(TP::FLOAT16);
  proto.add_dims(2);
  proto.add_int32_data(0x3c00); // 1.0
  proto.add_int32_data(0xbc00); // -1.0
  EXPECT_EQ(values<uint16_t>(parseOk(serialize(proto))),
            (std::vector<uint16_t>{0x3c00, 0xbc00}));

  // Unpacked, as older writers emit.
  std::string bytes = tag(1, 0) + varint(2) + tag(2, 0) + varint(INT32) +
                      tag(5, 0) + varint(uint64_t(-5)) + tag(5, 0) + varint(7);
  EXPECT_EQ(values<int32_t>(parseOk(bytes)), (std::vector<int32_t>{-5, 7}));
}

TEST(TensorProto, DoubleData) {
  TP proto;
  proto.set_data_type(TP::DOUBLE);
  proto.add_dims(2);
  proto.add_double_data(0.1);
  proto.add_double_data(-1e300);
  TensorData t = parseOk(serialize(proto));
  EXPECT_EQ(t.elementType, DOUBLE);
  EXPECT_EQ(values<double>(t), (std::vector<double>{0.1, -1e300}));
}

TEST(TensorProto, Uint64Data) {
  TP proto;
  proto.set_data_type(TP::UINT64);
  proto.add_dims(2);
  proto.add_uint64_data(UINT64_MAX);
  proto.add_uint64_data(42);
  EXPECT_EQ(values<uint64_t>(parseOk(serialize(proto))),
            (std::vector<uint64_t>{UINT64_MAX, 42}));

  proto.set_data_type(TP::UINT32);
  proto.set_uint64_data(0, 4000000000u);
  EXPECT_EQ(values<uint32_t>(parseOk(serialize(proto))),
            (std::vector<uint32_t>{4000000000u, 42}));
}

TEST(TensorProto, Dims) {
  TP proto;
  proto.set_data_type(TP::UINT8);
  for (int64_t d : {2, 1, 3})
    proto.add_dims(d);
  proto.set_raw_data(std::string(6, 'x'));
  std::string bytes = serialize(proto);
  // dims is not declared packed: protobuf writes one tag per value.
  ASSERT_EQ(bytes.find(tag(1, 2)), std::string::npos);
  EXPECT_EQ(parseOk(bytes).dims, (std::vector<int64_t>{2, 1, 3}));

  // Packed, as proto3 writers emit.
  bytes = lengthDelimited(1, varint(2) + varint(1) + varint(3)) + tag(2, 0) +
          varint(UINT8) + lengthDelimited(9, std::string(6, 'x'));
  EXPECT_EQ(parseOk(bytes).dims, (std::vector<int64_t>{2, 1, 3}));

  // Unpacked and packed occurrences concatenate.
  bytes = tag(1, 0) + varint(2) + lengthDelimited(1, varint(1) + varint(3)) +
          tag(2, 0) + varint(UINT8) + lengthDelimited(9, std::string(6, 'x'));
  EXPECT_EQ(parseOk(bytes).dims, (std::vector<int64_t>{2, 1, 3}));

  // No dims: a scalar.
  proto.clear_dims();
  proto.set_raw_data("x");
  TensorData t = parseOk(serialize(proto));
  EXPECT_TRUE(t.dims.empty());
  EXPECT_EQ(t.bytes, "x");

  proto.add_dims(-1);
  EXPECT_EQ(parseError(serialize(proto)), "negative dimension -1");
}

TEST(TensorProto, LastScalarWins) {
  std::string bytes = tag(2, 0) + varint(INT64) + lengthDelimited(8, "a") +
                      floatHeader(1) + lengthDelimited(8, "b") +
                      lengthDelimited(9, "abcdefgh") +
                      lengthDelimited(9, "wxyz");
  TensorData t = parseOk(bytes);
  EXPECT_EQ(t.elementType, FLOAT);
  EXPECT_EQ(t.name, "b");
  EXPECT_EQ(t.bytes, "wxyz");
}

TEST(TensorProto, ExternalDataRejected) {
  TP proto;
  proto.set_name("w");
  proto.set_data_type(TP::FLOAT);
  proto.add_dims(1);
  proto.set_data_location(TP::EXTERNAL);
  onnx::StringStringEntryProto *entry = proto.add_external_data();
  entry->set_key("location");
  entry->set_value("weights.bin");
  TensorData t;
  std::string error;
  EXPECT_FALSE(parseTensorProto(serialize(proto), t, error));
  EXPECT_EQ(error, "external tensor data is not supported in a tensor file");
  EXPECT_EQ(t.name, "w");

  // external_data alone, and an unknown data_location, are ignored.
  proto.clear_data_location();
  proto.add_float_data(1);
  EXPECT_TRUE(parseTensorProto(serialize(proto), t, error)) << error;
  std::string bytes = floatHeader(1) + tag(14, 0) + varint(7) +
                      lengthDelimited(9, std::string(4, '\0'));
  parseOk(bytes);
}

TEST(TensorProto, SegmentRejected) {
  TP proto;
  proto.set_data_type(TP::FLOAT);
  proto.add_dims(1);
  proto.add_float_data(1);
  proto.mutable_segment()->set_begin(0);
  proto.mutable_segment()->set_end(1);
  EXPECT_EQ(parseError(serialize(proto)),
            "segmented tensors are not supported");
  // A malformed nested message is a malformed TensorProto, as for protobuf.
  EXPECT_EQ(parseError(floatHeader(0) + lengthDelimited(3, "\x08")),
            notSerialized);
  EXPECT_EQ(parseError(floatHeader(0) + lengthDelimited(13, "\x0a\x05x")),
            notSerialized);
}

TEST(TensorProto, TruncatedRejected) {
  TP proto;
  proto.set_data_type(TP::FLOAT);
  proto.add_dims(2);
  proto.add_float_data(1);
  proto.add_float_data(2);
  std::string bytes = serialize(proto);
  // Every prefix that protobuf rejects is malformed for parseTensorProto too;
  // the others are well-formed tensors with missing fields.
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string prefix = bytes.substr(0, n);
    TP ref;
    TensorData t;
    std::string error;
    bool ok = parseTensorProto(prefix, t, error);
    EXPECT_FALSE(ok) << n;
    EXPECT_EQ(error == notSerialized,
              !ref.ParseFromArray(prefix.data(), prefix.size()))
        << n << ": " << error;
  }
  EXPECT_EQ(parseError(floatHeader(0) + tag(4, 5) + "\x01\x02"), notSerialized);
  EXPECT_EQ(parseError(floatHeader(0) + lengthDelimited(4, "\x01\x02\x03")),
            notSerialized); // not a whole number of floats
  EXPECT_EQ(parseError(floatHeader(0) + tag(7, 0) + "\x80"), notSerialized);
  EXPECT_EQ(parseError(floatHeader(0) + lengthDelimited(7, "\x80")),
            notSerialized); // a varint running past its packed field
}

TEST(TensorProto, HugeLengthRejected) {
  for (uint64_t n : {uint64_t(5), uint64_t(INT32_MAX), uint64_t(1) << 31,
                     uint64_t(1) << 32, UINT64_MAX})
    EXPECT_EQ(parseError(floatHeader(1) + tag(9, 2) + varint(n) + "abcd"),
              notSerialized)
        << n;
  // Varints: ten bytes at most (here FLOAT, padded).
  std::string raw = lengthDelimited(9, std::string(4, '\0'));
  parseOk(tag(2, 0) + '\x81' + std::string(8, '\x80') + '\0' + raw);
  EXPECT_EQ(
      parseError(tag(2, 0) + '\x81' + std::string(9, '\x80') + '\0' + raw),
      notSerialized);
}

TEST(TensorProto, UnknownFieldsSkipped) {
  TP proto;
  proto.set_data_type(TP::FLOAT);
  proto.add_dims(1);
  proto.add_float_data(4);
  proto.set_doc_string("documentation");
  proto.add_string_data("unused");
  std::string bytes = serialize(proto) + tag(100, 0) + varint(UINT64_MAX) +
                      tag(101, 1) + std::string(8, '\xff') +
                      lengthDelimited(102, "skipped") + tag(103, 5) +
                      fixed32(7) +
                      // A known field with another wire type is unknown.
                      tag(2, 5) + fixed32(INT64) + tag(8, 0) + varint(1);
  TensorData t = parseOk(bytes);
  EXPECT_EQ(t.elementType, FLOAT);
  EXPECT_EQ(values<float>(t), (std::vector<float>{4}));
  EXPECT_EQ(t.name, "");
}

TEST(TensorProto, MalformedRejected) {
  std::string valid = floatHeader(0);
  EXPECT_EQ(parseError(valid + tag(0, 0) + varint(1)), notSerialized);
  EXPECT_EQ(parseError(valid + tag(100, 3) + tag(100, 4)), notSerialized);
  EXPECT_EQ(parseError(valid + tag(100, 4)), notSerialized);
  EXPECT_EQ(parseError(valid + tag(100, 6) + varint(0)), notSerialized);
  EXPECT_EQ(parseError(valid + tag(100, 7) + varint(0)), notSerialized);
  EXPECT_EQ(parseError("\x93NUMPY"), notSerialized);
}

TEST(TensorProto, DecodeErrors) {
  TP proto;
  proto.set_name("t");
  proto.set_data_type(TP::FLOAT);
  proto.add_dims(2);
  proto.add_dims(3);
  proto.set_raw_data(std::string(4, '\0'));
  EXPECT_EQ(parseError(serialize(proto)),
            "has 4 bytes of raw_data but its shape needs 24");
  proto.clear_raw_data();
  proto.add_float_data(1);
  proto.add_float_data(2);
  EXPECT_EQ(parseError(serialize(proto)), "has 2 values but its shape needs 6");
  proto.set_data_type(TP::STRING);
  EXPECT_EQ(parseError(serialize(proto)), "unsupported element type STRING");
  proto.set_data_type(99);
  EXPECT_EQ(parseError(serialize(proto)), "unsupported element type type 99");
  proto.set_data_type(TP::UNDEFINED);
  EXPECT_EQ(parseError(serialize(proto)), "unsupported element type UNDEFINED");
  EXPECT_EQ(parseError(""), "unsupported element type UNDEFINED");
}

TEST(ElementType, Names) {
  for (int type = TP::DataType_MIN; type <= TP::DataType_MAX; ++type)
    EXPECT_EQ(elementTypeName(type), TP::DataType_Name(type));
  EXPECT_STREQ(elementTypeName(FLOAT4E2M1), "FLOAT4E2M1");
  EXPECT_STREQ(elementTypeName(INT2), "INT2");
  EXPECT_STREQ(elementTypeName(-1), "");
  EXPECT_STREQ(elementTypeName(1000), "");
}

} // namespace
