"""The ONNX ops (default domain) that whittle-compile imports.

Every whittle dialect op (dialects/Whittle/WhittleOps.td) under its ONNX
name, plus the ops the importer removes or folds away (Identity, Dropout,
Flatten, Constant). Keep this list in step with the importer; the model
generator (test/models/make_models.py) and the ONNX backend harness
(test/e2e/onnx_backend.py) select by it.
"""

SUPPORTED_OPS = frozenset({
    # elementwise
    "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "And", "Or", "Not",
    "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
    "Sqrt", "Reciprocal", "Exp", "Log", "Erf", "Tanh", "Sigmoid", "Relu",
    "Neg", "Abs", "Gelu", "Clip", "Cast", "Where",
    # linear algebra
    "MatMul", "Gemm", "Conv",
    # reductions and normalizations
    "ReduceSum", "ReduceMean", "ReduceMax", "Softmax", "LayerNormalization",
    # data movement and shapes
    "Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "Squeeze",
    "Unsqueeze", "Expand", "Trilu", "Shape", "ConstantOfShape", "Range",
    # removed or folded by the importer
    "Constant", "Identity", "Dropout", "Flatten",
})

# Opsets the importer accepts for the default ONNX domain.
MIN_OPSET, MAX_OPSET = 13, 21

# Element types of the model ABI (include/whittle/model_abi.h).
SUPPORTED_DTYPES = frozenset({
    "FLOAT16", "FLOAT", "DOUBLE", "INT8", "INT16", "INT32", "INT64",
    "UINT8", "UINT16", "UINT32", "UINT64", "BOOL",
})
