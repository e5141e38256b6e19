//===- TensorFile.h - Tensor files shared by the compiler and tools -*- C++
//-*-===//
//
// Reading and writing the tensor file formats users hand to Whittle: NumPy
// .npy and serialized ONNX TensorProtos (the ONNX test data's input_K.pb).
// Used by the importer (--freeze-input) and by whittle-run (inputs, expected
// outputs), so both accept exactly the same files. Plain C++, no LLVM and no
// protobuf (TensorProtos are decoded by hand): the tools that link it run on
// devices that have neither.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_SUPPORT_TENSORFILE_H
#define WHITTLE_SUPPORT_TENSORFILE_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace whittle::support {

/// ONNX element types (onnx.TensorProto.DataType), numbered as in onnx.proto.
enum ElementType : int32_t {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
  FLOAT8E8M0 = 24,
  UINT2 = 25,
  INT2 = 26,
};

/// The ONNX name of an element type ("FLOAT"), or "" when `type` names none.
const char *elementTypeName(int32_t type);

/// A dense tensor as raw little-endian bytes (one byte per bool), typed by
/// its ONNX element type (ElementType).
struct TensorData {
  std::string name; ///< From the file, when the format carries one.
  int32_t elementType = 0;
  std::vector<int64_t> dims;
  std::string bytes;

  int64_t numElements() const;
};

/// Bytes per element of an ONNX element type as raw_data lays it out, or 0
/// for types without a fixed-size dense layout (strings, 4-bit types).
size_t elementSize(int32_t elementType);

/// Parses the bytes of a .npy file (format 1.0 to 3.0, C order, little
/// endian or byte-sized dtypes).
bool parseNpy(std::string_view bytes, TensorData &out, std::string &error);

/// Parses the bytes of a serialized onnx.TensorProto (raw_data or the typed
/// fields). External and segmented data are rejected: a tensor file stands
/// alone.
bool parseTensorProto(std::string_view bytes, TensorData &out,
                      std::string &error);

/// Reads a tensor file: NumPy when the path ends in .npy, else a serialized
/// TensorProto. Errors name the file.
bool readTensorFile(const std::string &path, TensorData &out,
                    std::string &error);

/// Writes a dense tensor of `elementType` as a .npy file (format 1.0, data
/// 64-byte aligned).
bool writeNpy(const std::string &path, int32_t elementType,
              const std::vector<int64_t> &dims, const void *data,
              size_t sizeBytes, std::string &error);

} // namespace whittle::support

#endif // WHITTLE_SUPPORT_TENSORFILE_H
