//===- WeightData.cpp - Reading and making constant weights ---------------===//

#include "WeightData.h"

#include "whittle/Dialect/Whittle.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;

std::optional<SmallVector<double>> whittle::readFloatConstant(Value v) {
  ElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  Type elt = attr.getElementType();
  if (!elt.isF32() && !elt.isF64())
    return std::nullopt;
  SmallVector<double> values;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    values.reserve(dense.getNumElements());
    for (const APFloat &x : dense.getValues<APFloat>())
      values.push_back(x.convertToDouble());
    return values;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  ArrayRef<char> data = blob->getData();
  size_t width = elt.isF32() ? sizeof(float) : sizeof(double);
  if (data.size() != size_t(attr.getNumElements()) * width)
    return std::nullopt;
  values.reserve(attr.getNumElements());
  for (size_t i = 0; i < data.size(); i += width) {
    if (elt.isF32()) {
      float x;
      std::memcpy(&x, data.data() + i, sizeof(float));
      values.push_back(x);
    } else {
      double x;
      std::memcpy(&x, data.data() + i, sizeof(double));
      values.push_back(x);
    }
  }
  return values;
}

Value whittle::makeF32Constant(OpBuilder &builder, Location loc,
                               RankedTensorType type, ArrayRef<double> values,
                               StringRef name) {
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(values.size() * sizeof(float), 64);
  MutableArrayRef<char> bytes = blob.getMutableData();
  for (auto [i, x] : llvm::enumerate(values)) {
    float f = static_cast<float>(x);
    std::memcpy(bytes.data() + i * sizeof(float), &f, sizeof(float));
  }
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return ConstantOp::create(builder, loc, attr);
}

std::optional<SmallVector<int64_t>> whittle::readIntegerConstant(Value v) {
  ElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto type = dyn_cast<IntegerType>(attr.getElementType());
  if (!type)
    return std::nullopt;
  bool isUnsigned = type.isUnsigned();
  SmallVector<int64_t> values;
  values.reserve(attr.getNumElements());
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    for (const APInt &x : dense.getValues<APInt>())
      values.push_back(isUnsigned ? int64_t(x.getZExtValue())
                                  : x.getSExtValue());
    return values;
  }
  // 8- and 4-bit resources hold one element per byte (4-bit ones in the
  // low nibble).
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  unsigned bits = type.getWidth();
  if (!blob || (bits != 8 && bits != 4) ||
      blob->getData().size() != size_t(attr.getNumElements()))
    return std::nullopt;
  for (char c : blob->getData()) {
    int64_t v = bits == 8 ? int64_t(uint8_t(c)) : int64_t(uint8_t(c) & 0xF);
    int64_t half = int64_t(1) << (bits - 1);
    values.push_back(!isUnsigned && v >= half ? v - 2 * half : v);
  }
  return values;
}

Value whittle::makeSmallIntConstant(OpBuilder &builder, Location loc,
                                    RankedTensorType type,
                                    ArrayRef<int64_t> values, StringRef name) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(values.size(), 64);
  MutableArrayRef<char> bytes = blob.getMutableData();
  for (auto [i, x] : llvm::enumerate(values))
    bytes[i] = char(uint8_t(x));
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return ConstantOp::create(builder, loc, attr);
}
