//===- TensorFile.h - Tensor files shared by the compiler and tools -*- C++
//-*-===//
//
// Reading and writing the tensor file formats users hand to Whittle: NumPy
// .npy and serialized ONNX TensorProtos (the ONNX test data's input_K.pb).
// Used by the importer (--freeze-input) and by whittle-run (inputs, expected
// outputs), so both accept exactly the same files. No LLVM dependency: the
// tools that link it do not otherwise need LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_SUPPORT_TENSORFILE_H
#define WHITTLE_SUPPORT_TENSORFILE_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace whittle::support {

/// A dense tensor as raw little-endian bytes (one byte per bool), typed by
/// its ONNX element type (onnx::TensorProto::DataType).
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

/// Decodes a TensorProto held in memory (raw_data or the typed fields).
/// External data is rejected: a tensor file stands alone.
bool decodeTensorProto(const onnx::TensorProto &proto, TensorData &out,
                       std::string &error);

/// Parses the bytes of a serialized TensorProto.
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
