//===- WhittleOps.td - whittle dialect operations ----------*- tablegen -*-===//
//
// Every op has value semantics on ranked tensors, a verifier and result-type
// inference. Shapes may be dynamic in the IR; code generation requires static
// shapes, which the driver establishes with --input-shape.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_OPS_TD
#define WHITTLE_OPS_TD

include "WhittleDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// Ops infer their result types through InferTypeOpAdaptor, except `sameType`
// ops (SameOperandsAndResultType), for which ODS generates the inference.
class Whittle_Op<string mnemonic, list<Trait> traits = [], bit sameType = 0>
    : Op<Whittle_Dialect, mnemonic,
         !listconcat(traits, [Pure],
                     !if(sameType,
                         [SameOperandsAndResultType, DeclareOpInterfaceMethods<InferTypeOpInterface>],
                         [InferTypeOpAdaptorWithIsCompatible]))> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  // Inferred types may be less static than the declared ones (for example
  // a range whose bounds are not constants yet).
  let extraClassDefinition = !if(sameType, "", [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange l,
                                            ::mlir::TypeRange r) {
      return ::whittle::areCompatibleReturnTypes(l, r);
    }
  }]);
}

def Whittle_Tensor : RankedTensorOf<[AnyType]>;
def Whittle_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Whittle_BoolTensor : RankedTensorOf<[I1]>;
def Whittle_IntOrFloatTensor : RankedTensorOf<[AnyInteger, AnyFloat]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Whittle_ConstantOp : Op<Whittle_Dialect, "constant",
    [ConstantLike, Pure, InferTypeOpAdaptor]> {
  let summary = "A constant tensor (weights are dense_resource blobs)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Whittle_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Whittle_ConstantOfShapeOp : Whittle_Op<"constant_of_shape"> {
  let summary = "A splat tensor whose shape is given by a 1-D i64 tensor";
  let arguments = (ins RankedTensorOf<[I64]>:$shape, TypedAttrInterface:$value);
  let results = (outs Whittle_Tensor:$result);
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Whittle_ShapeOp : Whittle_Op<"shape"> {
  let summary = "The shape of a tensor as a 1-D i64 tensor";
  let arguments = (ins Whittle_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "0">:$start,
                       OptionalAttr<I64Attr>:$end);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let hasFolder = 1;
}

def Whittle_RangeOp : Whittle_Op<"range"> {
  let summary = "A 1-D sequence start, start+delta, ... below limit";
  let arguments = (ins Whittle_IntOrFloatTensor:$start,
                       Whittle_IntOrFloatTensor:$limit,
                       Whittle_IntOrFloatTensor:$delta);
  let results = (outs Whittle_IntOrFloatTensor:$result);
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// Numpy-broadcasting binary op; the result element type equals the operands'.
class Whittle_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Whittle_Op<mnemonic, !listconcat(traits, [])> {
  let arguments = (ins Whittle_Tensor:$lhs, Whittle_Tensor:$rhs);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_AddOp : Whittle_BinaryOp<"add", [Commutative]> { let summary = "Elementwise addition"; }
def Whittle_SubOp : Whittle_BinaryOp<"sub"> { let summary = "Elementwise subtraction"; }
def Whittle_MulOp : Whittle_BinaryOp<"mul", [Commutative]> { let summary = "Elementwise multiplication"; }
def Whittle_DivOp : Whittle_BinaryOp<"div"> { let summary = "Elementwise division (integer division truncates)"; }
def Whittle_PowOp : Whittle_BinaryOp<"pow"> { let summary = "Elementwise power"; }
def Whittle_ModOp : Whittle_Op<"mod"> {
  let summary = "Elementwise remainder (ONNX Mod)";
  let description = [{
    With `fmod` the remainder has the dividend's sign (C fmod); without, the
    divisor's (Python), integers only. A zero integer divisor gives 0.
  }];
  let arguments = (ins Whittle_Tensor:$lhs, Whittle_Tensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$fmod);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
}
def Whittle_MinOp : Whittle_BinaryOp<"min", [Commutative]> { let summary = "Elementwise minimum"; }
def Whittle_MaxOp : Whittle_BinaryOp<"max", [Commutative]> { let summary = "Elementwise maximum"; }
def Whittle_AndOp : Whittle_BinaryOp<"and", [Commutative]> { let summary = "Logical and of i1 tensors"; }
def Whittle_OrOp : Whittle_BinaryOp<"or", [Commutative]> { let summary = "Logical or of i1 tensors"; }

// Numpy-broadcasting comparison; the result is an i1 tensor.
class Whittle_CompareOp<string mnemonic, list<Trait> traits = []>
    : Whittle_Op<mnemonic, traits> {
  let arguments = (ins Whittle_Tensor:$lhs, Whittle_Tensor:$rhs);
  let results = (outs Whittle_BoolTensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_EqualOp : Whittle_CompareOp<"equal", [Commutative]> { let summary = "Elementwise =="; }
def Whittle_LessOp : Whittle_CompareOp<"less"> { let summary = "Elementwise <"; }
def Whittle_LessEqualOp : Whittle_CompareOp<"less_equal"> { let summary = "Elementwise <="; }
def Whittle_GreaterOp : Whittle_CompareOp<"greater"> { let summary = "Elementwise >"; }
def Whittle_GreaterEqualOp : Whittle_CompareOp<"greater_equal"> { let summary = "Elementwise >="; }

class Whittle_UnaryOp<string mnemonic, Type operandType = Whittle_Tensor,
                      list<Trait> traits = []>
    : Whittle_Op<mnemonic, traits, 1> {
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
}

def Whittle_SqrtOp : Whittle_UnaryOp<"sqrt", Whittle_FloatTensor> {
  let summary = "Elementwise square root";
  let hasFolder = 1;
}
def Whittle_ReciprocalOp : Whittle_UnaryOp<"reciprocal", Whittle_FloatTensor> {
  let summary = "Elementwise 1/x";
  let hasFolder = 1;
}
def Whittle_ExpOp : Whittle_UnaryOp<"exp", Whittle_FloatTensor> { let summary = "Elementwise e^x"; }
def Whittle_LogOp : Whittle_UnaryOp<"log", Whittle_FloatTensor> { let summary = "Elementwise natural log"; }
def Whittle_ErfOp : Whittle_UnaryOp<"erf", Whittle_FloatTensor> { let summary = "Elementwise error function"; }
def Whittle_SinOp : Whittle_UnaryOp<"sin", Whittle_FloatTensor> { let summary = "Elementwise sine"; }
def Whittle_CosOp : Whittle_UnaryOp<"cos", Whittle_FloatTensor> { let summary = "Elementwise cosine"; }
def Whittle_TanhOp : Whittle_UnaryOp<"tanh", Whittle_FloatTensor> { let summary = "Elementwise tanh"; }
def Whittle_SigmoidOp : Whittle_UnaryOp<"sigmoid", Whittle_FloatTensor> { let summary = "Elementwise 1/(1+e^-x)"; }
def Whittle_ReluOp : Whittle_UnaryOp<"relu", Whittle_IntOrFloatTensor> { let summary = "Elementwise max(x, 0)"; }
def Whittle_RoundOp : Whittle_UnaryOp<"round", Whittle_FloatTensor> { let summary = "Elementwise round half to even"; }
def Whittle_FloorOp : Whittle_UnaryOp<"floor", Whittle_FloatTensor> { let summary = "Elementwise round toward -inf"; }
def Whittle_CeilOp : Whittle_UnaryOp<"ceil", Whittle_FloatTensor> { let summary = "Elementwise round toward +inf"; }
def Whittle_NegOp : Whittle_UnaryOp<"neg", Whittle_IntOrFloatTensor> {
  let summary = "Elementwise negation";
  let hasFolder = 1;
}
def Whittle_AbsOp : Whittle_UnaryOp<"abs", Whittle_IntOrFloatTensor> { let summary = "Elementwise absolute value"; }
def Whittle_NotOp : Whittle_UnaryOp<"not", Whittle_BoolTensor> {
  let summary = "Logical negation";
  let hasFolder = 1;
}

def Whittle_GeluOp : Whittle_Op<"gelu", [], 1> {
  let summary = "Gaussian error linear unit";
  let arguments = (ins Whittle_FloatTensor:$input,
                       DefaultValuedAttr<BoolAttr, "false">:$tanh_approximation);
  let results = (outs Whittle_FloatTensor:$result);
}

def Whittle_ClipOp : Whittle_Op<"clip", [], 1> {
  let summary = "Clamps elements to [min, max]; an absent bound is unbounded";
  let arguments = (ins Whittle_IntOrFloatTensor:$input,
                       OptionalAttr<F64Attr>:$min, OptionalAttr<F64Attr>:$max);
  let results = (outs Whittle_IntOrFloatTensor:$result);
  let hasVerifier = 1;
}

def Whittle_CastOp : Whittle_Op<"cast"> {
  let summary = "Elementwise conversion to another element type";
  let arguments = (ins Whittle_Tensor:$input, TypeAttr:$to);
  let results = (outs Whittle_Tensor:$result);
  let hasFolder = 1;
}

def Whittle_WhereOp : Whittle_Op<"where"> {
  let summary = "Broadcasting select: condition ? x : y";
  let arguments = (ins Whittle_BoolTensor:$condition, Whittle_Tensor:$x,
                       Whittle_Tensor:$y);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def Whittle_IntegerTensor : RankedTensorOf<[AnyInteger]>;

def Whittle_QuantizeOp : Whittle_Op<"quantize"> {
  let summary = "Linear quantization to an integer type";
  let description = [{
    `result = saturate(round_half_even(input / scale) + zero_point)`, in the
    zero point's integer type (its range is the saturation bound). `scale`
    and `zero_point` broadcast to `input` (numpy rules): a scalar for one
    scale per tensor, a shape like [C, 1, 1] for one per channel. The result
    has the input's shape.
  }];
  let arguments = (ins Whittle_FloatTensor:$input, Whittle_FloatTensor:$scale,
                       Whittle_IntegerTensor:$zero_point);
  let results = (outs Whittle_IntegerTensor:$result);
  let hasVerifier = 1;
}

def Whittle_DequantizeOp : Whittle_Op<"dequantize"> {
  let summary = "Linear dequantization of an integer tensor";
  let description = [{
    `result = (input - zero_point) * scale`, computed in the scale's float
    type (integers are converted first, as ONNX's DequantizeLinear does).
    `scale` and `zero_point` broadcast to `input` as for whittle.quantize;
    the zero point has the input's element type. With a non-zero
    `block_size` (blocked quantization) they have the input's rank and
    element i along `block_axis` uses parameter i / block_size there
    (ceil(dim / block_size) parameters); other dims match or are 1.
  }];
  let arguments = (ins Whittle_IntegerTensor:$input, Whittle_FloatTensor:$scale,
                       Whittle_IntegerTensor:$zero_point,
                       DefaultValuedAttr<I64Attr, "0">:$block_size,
                       DefaultValuedAttr<I64Attr, "0">:$block_axis);
  let results = (outs Whittle_FloatTensor:$result);
  let hasVerifier = 1;
}

def Whittle_QuantizedMatMulOp : Whittle_Op<"quantized_matmul"> {
  let summary = "Matmul of float activations with integer weights";
  let description = [{
    `result = lhs · ((rhs − zero_point) · scale)`: numpy matmul of `lhs`
    [..., M, K] with the dequantized 2-D weight `rhs` [K, N]. `scale` and
    `zero_point` broadcast to [K, N] (one value, one per output column
    [1, N], or per row [K, 1]); with a non-zero `block_size` they are
    [ceil(K / block_size), N], one per block of K rows and column (4-bit
    and 8-bit block quantization). The zero point has the weight's element
    type, the scale the activations'. The weight stays integer in the library:
    whittle-fold-quantization forms this op from dequantize -> matmul/gemm
    on a constant weight, and each element of the dequantized weight is the
    one whittle.dequantize computes.
  }];
  let arguments = (ins Whittle_FloatTensor:$lhs, Whittle_IntegerTensor:$rhs,
                       Whittle_FloatTensor:$scale,
                       Whittle_IntegerTensor:$zero_point,
                       DefaultValuedAttr<I64Attr, "0">:$block_size);
  let results = (outs Whittle_FloatTensor:$result);
  let hasVerifier = 1;
}

def Whittle_IntegerMatMulOp : Whittle_Op<"integer_matmul"> {
  let summary = "Exact matmul of 8-bit integers with zero points, in i32";
  let description = [{
    `result[..., m, n] = Σ_k (lhs[..., m, k] − lhs_zero_point) ·
    (rhs[k, n] − rhs_zero_point[n])` in 32-bit integers, ONNX's
    MatMulInteger with a 2-D right operand (a weight). `lhs` [..., M, K] and
    `rhs` [K, N] hold 8-bit integers, signed or unsigned each; the zero
    points have their operand's element type, the left one a scalar
    (rank 0) or one per row ([..., M, 1]), the right one a scalar or one per
    column ([N]). The sum is exact: no intermediate saturates, whatever the
    kernel.
  }];
  let arguments = (ins Whittle_IntegerTensor:$lhs, Whittle_IntegerTensor:$rhs,
                       Whittle_IntegerTensor:$lhs_zero_point,
                       Whittle_IntegerTensor:$rhs_zero_point);
  let results = (outs Whittle_IntegerTensor:$result);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Whittle_MatMulOp : Whittle_Op<"matmul"> {
  let summary = "Numpy matmul with batch broadcasting";
  let arguments = (ins Whittle_IntOrFloatTensor:$lhs,
                       Whittle_IntOrFloatTensor:$rhs);
  let results = (outs Whittle_IntOrFloatTensor:$result);
  let hasVerifier = 1;
}

def Whittle_GemmOp : Whittle_Op<"gemm"> {
  let summary = "alpha * op(A) * op(B) + beta * C on 2-D tensors";
  let arguments = (ins Whittle_IntOrFloatTensor:$a, Whittle_IntOrFloatTensor:$b,
                       Optional<Whittle_IntOrFloatTensor>:$c,
                       DefaultValuedAttr<F64Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F64Attr, "1.0">:$beta,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_b);
  let results = (outs Whittle_IntOrFloatTensor:$result);
  let hasVerifier = 1;
}

def Whittle_ConvOp : Whittle_Op<"conv"> {
  let summary = "2-D convolution, NCHW input and FCHW weights";
  let arguments = (ins Whittle_FloatTensor:$input, Whittle_FloatTensor:$weight,
                       Optional<Whittle_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs Whittle_FloatTensor:$result);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

class Whittle_ReduceOp<string mnemonic> : Whittle_Op<mnemonic> {
  let arguments = (ins Whittle_IntOrFloatTensor:$input,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Whittle_IntOrFloatTensor:$result);
  let hasVerifier = 1;
  let description = [{
    Reduces over `axes` (non-negative, sorted, unique). An empty list
    reduces nothing and the op folds to its input.
  }];
  let hasFolder = 1;
}

def Whittle_ReduceSumOp : Whittle_ReduceOp<"reduce_sum"> { let summary = "Sum over axes"; }
def Whittle_ReduceMeanOp : Whittle_ReduceOp<"reduce_mean"> { let summary = "Mean over axes"; }
def Whittle_ReduceMaxOp : Whittle_ReduceOp<"reduce_max"> { let summary = "Maximum over axes"; }
def Whittle_ReduceMinOp : Whittle_ReduceOp<"reduce_min"> { let summary = "Minimum over axes"; }

def Whittle_SoftmaxOp : Whittle_Op<"softmax", [], 1> {
  let summary = "Softmax along one axis";
  let arguments = (ins Whittle_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Whittle_FloatTensor:$result);
  let hasVerifier = 1;
}

def Whittle_CumSumOp : Whittle_Op<"cumsum", [], 1> {
  let summary = "Cumulative sum along one axis";
  let description = [{
    `result[..., i, ...]` is the sum of `input[..., j, ...]` over j <= i
    along `axis` (j < i when `exclusive`; j >= i, or j > i, when `reverse`),
    as ONNX CumSum defines it.
  }];
  let arguments = (ins Whittle_IntOrFloatTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Whittle_IntOrFloatTensor:$result);
  let hasVerifier = 1;
}

def Whittle_LayerNormOp : Whittle_Op<"layer_norm"> {
  let summary = "Layer normalization over the dimensions from axis on";
  let arguments = (ins Whittle_FloatTensor:$input, Whittle_FloatTensor:$scale,
                       Optional<Whittle_FloatTensor>:$bias, I64Attr:$axis,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon);
  let results = (outs Whittle_FloatTensor:$result);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Whittle_AttentionOp : Whittle_Op<"attention", [AttrSizedOperandSegments]> {
  let summary = "softmax(scale * Q K^T + mask) V over grouped-query heads";
  let description = [{
    `query` is [B, Hq, Tq, D], `key` [B, Hkv, Tk, D] and `value`
    [B, Hkv, Tk, Dv] with Hq a multiple of Hkv: query head h reads key/value
    head h / (Hq / Hkv). The optional additive `mask` broadcasts (numpy
    rules) to [B, Hq, Tq, Tk] and stays in its own shape (a key-padding mask
    is [B, 1, 1, Tk]). With `causal`, query i sees keys j <= i + (Tk - Tq)
    (the last query sees every key), as if a -inf mask hid the rest. The
    softmax runs over the keys; the result is [B, Hq, Tq, Dv].

    The optional `position` (one i64, shape [1]) places the queries in a
    longer sequence, as a decode step over a key/value cache does: query i
    is at position `position + i` and, `causal` being required, sees keys
    j <= position + i; keys past position + Tq are never read, so a cache
    may hold anything there.
  }];
  let arguments = (ins Whittle_FloatTensor:$query, Whittle_FloatTensor:$key,
                       Whittle_FloatTensor:$value,
                       Optional<Whittle_FloatTensor>:$mask,
                       Optional<RankedTensorOf<[I64]>>:$position,
                       F64Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal);
  let results = (outs Whittle_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` $mask^)? (`position` $position^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Whittle_ReshapeOp : Whittle_Op<"reshape"> {
  let summary = "Reshape to a fully specified shape (no 0 or -1 entries)";
  let arguments = (ins Whittle_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_TransposeOp : Whittle_Op<"transpose"> {
  let summary = "Permutes dimensions: result dim i is input dim perm[i]";
  let arguments = (ins Whittle_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_ConcatOp : Whittle_Op<"concat"> {
  let summary = "Concatenation along a non-negative axis";
  let arguments = (ins Variadic<Whittle_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_SplitOp : Whittle_Op<"split"> {
  let summary = "Splits along a non-negative axis into pieces of given sizes";
  let arguments = (ins Whittle_Tensor:$input, I64Attr:$axis,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Whittle_Tensor>:$results);
  let hasVerifier = 1;
}

def Whittle_SliceOp : Whittle_Op<"slice"> {
  let summary = "Strided slice with one normalized (start, size, step) per dim";
  let description = [{
    `starts`, `sizes` and `steps` have one entry per input dimension; starts
    are in range and steps are non-zero, so the result shape is `sizes`.
  }];
  let arguments = (ins Whittle_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$steps);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_GatherOp : Whittle_Op<"gather"> {
  let summary = "Gathers slices of data along axis at the given indices";
  let arguments = (ins Whittle_Tensor:$data,
                       RankedTensorOf<[AnyInteger]>:$indices, I64Attr:$axis);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_SqueezeOp : Whittle_Op<"squeeze"> {
  let summary = "Removes the given unit dimensions";
  let arguments = (ins Whittle_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_UnsqueezeOp : Whittle_Op<"unsqueeze"> {
  let summary = "Inserts unit dimensions at the given result positions";
  let arguments = (ins Whittle_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_GatherElementsOp : Whittle_Op<"gather_elements"> {
  let summary = "Gathers elements of data along axis at per-element indices";
  let description = [{
    `result[i...]` is `data[i...]` with the coordinate along `axis` replaced
    by `indices[i...]` (negative indices wrap); the result has the indices'
    shape, which may be smaller than the data's in every dimension.
  }];
  let arguments = (ins Whittle_Tensor:$data,
                       RankedTensorOf<[AnyInteger]>:$indices, I64Attr:$axis);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
}

def Whittle_ExpandOp : Whittle_Op<"expand"> {
  let summary = "Broadcasts the input to shape (numpy rules, both ways)";
  let arguments = (ins Whittle_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Whittle_TriluOp : Whittle_Op<"trilu", [], 1> {
  let summary = "Keeps the upper or lower triangle of the last two dims";
  let arguments = (ins Whittle_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "0">:$k,
                       DefaultValuedAttr<BoolAttr, "true">:$upper);
  let results = (outs Whittle_Tensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // WHITTLE_OPS_TD
