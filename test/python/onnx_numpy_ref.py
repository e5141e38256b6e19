"""A small numpy interpreter for ONNX graphs restricted to the Whittle op set.

onnx 1.12 has no onnx.reference; this module checks that an exported graph
computes what the PyTorch model computed (test/models/make_models.py), so a
mismatch seen later in Whittle is not an exporter artifact. Semantics follow
the ONNX operator specs for opsets 13..17 (axes/split/clip bounds as inputs),
plus the opset 11/12 forms the zoo's old-opset models use (axes and split as
attributes, Softmax over the input coerced to 2-D).

    outputs = run(model_proto, {"input_ids": array, ...})
"""
import math

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import helper

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _axes(axes, rank):
    return tuple(sorted(int(a) % rank for a in axes))


def _reduce(fn, x, axes, keepdims, noop_with_empty_axes=0):
    if axes is None or len(axes) == 0:
        if noop_with_empty_axes:
            return x
        axes = range(x.ndim)
    return fn(x, axis=_axes(axes, x.ndim), keepdims=bool(keepdims)).astype(x.dtype)


def _conv(x, w, b, strides, dilations, pads, group):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (x.shape[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    out = np.zeros((n, f, oh, ow), dtype=np.float64)
    fg = f // group
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = w[g * fg:(g + 1) * fg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dilations[0]: i * dilations[0] + strides[0] * (oh - 1) + 1: strides[0],
                           j * dilations[1]: j * dilations[1] + strides[1] * (ow - 1) + 1: strides[1]]
                out[:, g * fg:(g + 1) * fg] += np.einsum("nchw,fc->nfhw", patch, ws[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out.astype(x.dtype)


def _softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(x.dtype)


_BINARY = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Pow": np.power,
    "And": np.logical_and, "Or": np.logical_or, "Equal": np.equal, "Less": np.less,
    "LessOrEqual": np.less_equal, "Greater": np.greater, "GreaterOrEqual": np.greater_equal,
}
_UNARY = {
    "Sqrt": np.sqrt, "Reciprocal": np.reciprocal, "Exp": np.exp, "Log": np.log,
    "Tanh": np.tanh, "Neg": np.negative, "Abs": np.abs, "Not": np.logical_not,
    "Relu": lambda x: np.maximum(x, 0).astype(x.dtype),
    "Sigmoid": lambda x: (1.0 / (1.0 + np.exp(-x))).astype(x.dtype),
    "Erf": lambda x: _erf(x).astype(x.dtype),
    "Identity": lambda x: x,
}


def _node(op, ins, a, opset):
    x = ins[0] if ins else None
    if op in _BINARY:
        r = _BINARY[op](ins[0], ins[1])
        return [r.astype(ins[0].dtype) if op in ("Add", "Sub", "Mul", "Pow") else r]
    if op in _UNARY:
        return [_UNARY[op](x)]
    if op == "Div":
        if np.issubdtype(x.dtype, np.integer):
            return [np.trunc(x / ins[1]).astype(x.dtype)]
        return [(x / ins[1]).astype(x.dtype)]
    if op in ("Min", "Max"):
        fn = np.minimum if op == "Min" else np.maximum
        r = ins[0]
        for y in ins[1:]:
            r = fn(r, y)
        return [r]
    if op == "Constant":
        if "value" in a:
            return [onnx.numpy_helper.to_array(a["value"])]
        for k, dt in (("value_float", np.float32), ("value_int", np.int64),
                      ("value_floats", np.float32), ("value_ints", np.int64)):
            if k in a:
                return [np.array(a[k], dtype=dt)]
        raise NotImplementedError("Constant " + ",".join(a))
    if op == "ConstantOfShape":
        v = onnx.numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(tuple(int(s) for s in x), v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Shape":
        s = np.array(x.shape, dtype=np.int64)
        return [s[a.get("start", 0):a.get("end", None)]]
    if op == "Range":
        return [np.arange(ins[0], ins[1], ins[2]).astype(ins[0].dtype)]
    if op == "Gelu":
        if a.get("approximate", b"none") in (b"tanh", "tanh"):
            r = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        else:
            r = 0.5 * x * (1 + _erf(x / math.sqrt(2)))
        return [r.astype(x.dtype)]
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
        r = x
        if lo is not None:
            r = np.maximum(r, lo)
        if hi is not None:
            r = np.minimum(r, hi)
        return [r.astype(x.dtype)]
    if op == "Cast":
        return [x.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])]
    if op == "Where":
        return [np.where(ins[0], ins[1], ins[2])]
    if op == "MatMul":
        return [np.matmul(ins[0], ins[1])]
    if op == "Gemm":
        A = ins[0].T if a.get("transA", 0) else ins[0]
        B = ins[1].T if a.get("transB", 0) else ins[1]
        r = a.get("alpha", 1.0) * (A @ B)
        if len(ins) > 2 and ins[2] is not None:
            r = r + a.get("beta", 1.0) * ins[2]
        return [r.astype(A.dtype)]
    if op == "Conv":
        w = ins[1]
        strides, dil = a.get("strides", [1, 1]), a.get("dilations", [1, 1])
        pads = a.get("pads", [0, 0, 0, 0])
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = [0] * 4
            for i in range(2):
                size = x.shape[2 + i]
                out = -(-size // strides[i])
                total = max(0, (out - 1) * strides[i] + dil[i] * (w.shape[2 + i] - 1) + 1 - size)
                small, big = total // 2, total - total // 2
                pads[i], pads[i + 2] = (small, big) if auto == "SAME_UPPER" else (big, small)
        elif auto == "VALID":
            pads = [0] * 4
        return [_conv(x, w, ins[2] if len(ins) > 2 else None, strides, dil, pads, a.get("group", 1))]
    if op == "ReduceSum":
        # axes: an input from opset 13, an attribute before.
        axes = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("axes")
        return [_reduce(np.sum, x, axes, a.get("keepdims", 1), a.get("noop_with_empty_axes", 0))]
    if op in ("ReduceMean", "ReduceMax"):
        axes = a.get("axes") if "axes" in a else (ins[1] if len(ins) > 1 else None)
        fn = np.mean if op == "ReduceMean" else np.max
        return [_reduce(fn, x, axes, a.get("keepdims", 1), a.get("noop_with_empty_axes", 0))]
    if op == "Softmax":
        if opset >= 13:
            return [_softmax(x, a.get("axis", -1))]
        # Opsets < 13: x is coerced to 2-D at axis (default 1), softmax over dim 1.
        axis = a.get("axis", 1) % x.ndim
        flat = x.reshape(int(np.prod(x.shape[:axis])), -1)
        return [_softmax(flat, 1).reshape(x.shape)]
    if op == "LayerNormalization":
        axis = a.get("axis", -1) % x.ndim
        axes = tuple(range(axis, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        inv = 1.0 / np.sqrt(var + a.get("epsilon", 1e-5))
        r = (x - mean) * inv * ins[1]
        if len(ins) > 2 and ins[2] is not None:
            r = r + ins[2]
        return [r.astype(x.dtype), mean, inv]
    if op == "Reshape":
        shape = [int(s) for s in ins[1]]
        if not a.get("allowzero", 0):
            shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return [x.reshape(shape)]
    if op == "Flatten":
        ax = a.get("axis", 1)
        ax = ax + x.ndim if ax < 0 else ax
        return [x.reshape(int(np.prod(x.shape[:ax])), -1)]
    if op == "Transpose":
        return [np.transpose(x, a.get("perm"))]
    if op == "Concat":
        return [np.concatenate(ins, axis=a["axis"])]
    if op == "Split":
        axis = a.get("axis", 0) % x.ndim
        if len(ins) > 1 and ins[1] is not None:
            sizes = [int(s) for s in ins[1]]
        elif "split" in a:
            sizes = list(a["split"])
        else:
            n = a.get("num_outputs", _node.nout)
            q = -(-x.shape[axis] // n)
            sizes = [q] * (n - 1) + [x.shape[axis] - q * (n - 1)]
        return np.split(x, np.cumsum(sizes)[:-1], axis=axis)
    if op == "Slice":
        starts, ends = ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        sl = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            sl[int(ax) % x.ndim] = slice(int(s), int(e), int(st))
        # numpy clamps like ONNX, except that INT64 extremes are fine too.
        return [x[tuple(sl)]]
    if op == "Gather":
        axis = a.get("axis", 0) % x.ndim
        idx = np.where(ins[1] < 0, ins[1] + x.shape[axis], ins[1])
        return [np.take(x, idx, axis=axis)]
    if op == "Squeeze":
        axes = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("axes")
        if axes is None:
            return [np.squeeze(x)]
        return [np.squeeze(x, axis=_axes(axes, x.ndim))]
    if op == "Unsqueeze":
        axes = ins[1] if len(ins) > 1 else a["axes"]
        out_rank = x.ndim + len(axes)
        return [np.expand_dims(x, axis=_axes(axes, out_rank))]
    if op == "Expand":
        shape = np.broadcast_shapes(x.shape, tuple(int(s) for s in ins[1]))
        return [np.broadcast_to(x, shape).copy()]
    if op == "Trilu":
        k = int(ins[1]) if len(ins) > 1 and ins[1] is not None else 0
        return [np.triu(x, k) if a.get("upper", 1) else np.tril(x, k)]
    if op == "Dropout":
        return [x, np.ones(x.shape, dtype=bool)]
    raise NotImplementedError(op)


def run(model, feeds):
    """Runs graph `model` (ModelProto) on `feeds` (name -> ndarray); returns
    the graph outputs in order."""
    env = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    env[""] = None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # Exported masks add finfo.min twice (-inf), as PyTorch does.
        return _run_nodes(model, env)


def _run_nodes(model, env):
    opset = {o.domain: o.version for o in model.opset_import}.get("", 0)
    for n in model.graph.node:
        if n.domain not in ("", "ai.onnx"):
            raise NotImplementedError(f"{n.domain}::{n.op_type}")
        ins = [env[i] for i in n.input]
        _node.nout = len(n.output)
        outs = _node(n.op_type, ins, _attrs(n), opset)
        for name, v in zip(n.output, outs):
            if name:
                env[name] = np.asarray(v)
    return [env[o.name] for o in model.graph.output]
