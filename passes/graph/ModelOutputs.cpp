//===- ModelOutputs.cpp - Adding outputs to the model function ------------===//

#include "ModelOutputs.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

void whittle::appendModelOutputs(func::FuncOp func, ArrayRef<Value> values,
                                 ArrayRef<Attribute> names) {
  auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
  OpBuilder b(ret);
  SmallVector<Value> results(ret.getOperands());
  results.append(values.begin(), values.end());
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  SmallVector<Type> resultTypes(func.getResultTypes());
  for (Value v : values)
    resultTypes.push_back(v.getType());
  func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                 resultTypes));
  SmallVector<Attribute> outputNames;
  if (auto old = func->getAttrOfType<ArrayAttr>("whittle.output_names"))
    outputNames.append(old.begin(), old.end());
  outputNames.append(names.begin(), names.end());
  func->setAttr("whittle.output_names", b.getArrayAttr(outputNames));
}
