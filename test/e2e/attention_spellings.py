#!/usr/bin/env python3
"""Attention as exporters spell it, at the ONNX level: each graph must fuse
into one whittle.attention (the compile report's attention.fused and
unfused_softmax) and match numpy's softmax(scale q k^T + mask) v at atol
1e-5; each must-not-fire graph must keep its softmax and still match.

    attention_spellings.py --work DIR [--bin-dir DIR] [--only NAME ...]

Spellings: the scale as Div or Mul on the scores, on Q, or sqrt on both Q
and K (SDPA); no scale; K transposed from [B, H, T, D] or in one
permutation from [B, T, H, D]; Softmax on axis -1 or 3; Casts to float
around the Softmax (Llama's dtype=float32); an additive padding mask
(1 - m) * -10000; a boolean keep mask and masked_fill; causal masks from
Trilu, a constant lower triangle, a Slice of a registered [1, 1, max, max]
buffer (GPT-2), each through Where with -inf or finfo.min; Q, K and V
split from one fused projection (Split, and Slice); grouped-query heads
through Unsqueeze + Expand + Reshape (repeat_kv) and through Tile (whose
heads repeat in the other order: fused, without sharing key heads).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

B, H, T, D = 2, 4, 12, 8
SCALE = 1.0 / np.sqrt(D)
F32 = TensorProto.FLOAT
FMIN = float(np.finfo(np.float32).min)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention(q, k, v, mask=None, scale=SCALE):
    s = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        s = s + mask
    return softmax(s) @ v


def causal_additive(t):
    return np.where(np.tril(np.ones((t, t), dtype=bool)), 0.0, -np.inf).astype(np.float32)


class Graph:
    """Builds one ONNX graph node by node."""

    def __init__(self):
        self.nodes, self.inits, self.inputs, self.feeds = [], [], [], {}
        self.count = 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def input(self, name, array, elem=F32):
        self.inputs.append(helper.make_tensor_value_info(name, elem, array.shape))
        self.feeds[name] = array
        return name

    def const(self, array, base="c"):
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, outputs=1, **attrs):
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, **attrs))
        return names[0] if outputs == 1 else names

    def model(self, outputs):
        values = [helper.make_tensor_value_info(o, F32, None) for o in outputs]
        graph = helper.make_graph(self.nodes, "attention", self.inputs, values, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        return model


def rng(seed):
    return np.random.default_rng(seed)


def qkv(g, r, hkv=H):
    q = g.input("q", r.standard_normal((B, H, T, D)).astype(np.float32))
    k = g.input("k", r.standard_normal((B, hkv, T, D)).astype(np.float32))
    v = g.input("v", r.standard_normal((B, hkv, T, D)).astype(np.float32))
    return q, k, v


def kt(g, k):
    return g.op("Transpose", [k], perm=[0, 1, 3, 2])


def finish(g, scores, v, axis=-1):
    p = g.op("Softmax", [scores], axis=axis)
    return g.op("MatMul", [p, v])


# Each case returns (model, expected outputs, fused attentions expected).
def case_div_scores(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    s = g.op("Div", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(np.sqrt(D)))])
    out = finish(g, s, v)
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"], f["v"])], 1


def case_mul_q(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    qs = g.op("Mul", [q, g.const(np.float32(SCALE))])
    out = finish(g, g.op("MatMul", [qs, kt(g, k)]), v)
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"], f["v"])], 1


def case_sqrt_both(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    root = g.const(np.float32(np.sqrt(SCALE)))
    qs = g.op("Mul", [q, root])
    ks = g.op("Mul", [kt(g, k), root])
    out = finish(g, g.op("MatMul", [qs, ks]), v)
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"], f["v"])], 1


def case_no_scale(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    out = finish(g, g.op("MatMul", [q, kt(g, k)]), v)
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"], f["v"], scale=1.0)], 1


def case_k_bthd(seed):
    g, r = Graph(), rng(seed)
    q = g.input("q", r.standard_normal((B, H, T, D)).astype(np.float32))
    k = g.input("k", r.standard_normal((B, T, H, D)).astype(np.float32))
    v = g.input("v", r.standard_normal((B, H, T, D)).astype(np.float32))
    kT = g.op("Transpose", [k], perm=[0, 2, 3, 1])
    s = g.op("Mul", [g.op("MatMul", [q, kT]), g.const(np.float32(SCALE))])
    out = finish(g, s, v, axis=3)
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"].transpose(0, 2, 1, 3), f["v"])], 1


def case_einsum(seed):
    # Both products written as Einsum (as exports of torch.einsum code do).
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    s = g.op("Einsum", [q, k], equation="bhqd,bhkd->bhqk")
    s = g.op("Mul", [s, g.const(np.float32(SCALE))])
    p = g.op("Softmax", [s], axis=-1)
    out = g.op("Einsum", [p, v], equation="bhqk,bhkd->bhqd")
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"], f["v"])], 1


def case_einsum_bthd(seed):
    # Einsum on [B, T, H, D] projections, the output back in that layout.
    g, r = Graph(), rng(seed)
    q = g.input("q", r.standard_normal((B, T, H, D)).astype(np.float32))
    k = g.input("k", r.standard_normal((B, T, H, D)).astype(np.float32))
    v = g.input("v", r.standard_normal((B, T, H, D)).astype(np.float32))
    s = g.op("Einsum", [q, k], equation="bqhd,bkhd->bhqk")
    s = g.op("Div", [s, g.const(np.float32(np.sqrt(D)))])
    p = g.op("Softmax", [s], axis=-1)
    out = g.op("Einsum", [p, v], equation="bhqk,bkhd->bqhd")
    f = g.feeds
    t = lambda x: x.transpose(0, 2, 1, 3)
    return g.model([out]), [t(attention(t(f["q"]), t(f["k"]), t(f["v"])))], 1


def case_cast_softmax(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(SCALE))])
    p = g.op("Cast", [g.op("Softmax", [g.op("Cast", [s], to=F32)], axis=-1)], to=F32)
    out = g.op("MatMul", [p, v])
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"], f["v"])], 1


def case_padding_additive(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    keep = np.ones((B, 1, 1, T), dtype=np.float32)
    keep[0, ..., T - 3:] = 0
    m = g.input("mask", keep)
    add = g.op("Mul", [g.op("Sub", [g.const(np.float32(1)), m]), g.const(np.float32(-10000))])
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(SCALE))])
    out = finish(g, g.op("Add", [s, add]), v)
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"], f["v"], (1 - keep) * -10000)], 1


def case_keep_mask_where(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    keep = np.ones((B, 1, 1, T), dtype=bool)
    keep[1, ..., :2] = False
    m = g.input("mask", keep, TensorProto.BOOL)
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(SCALE))])
    out = finish(g, g.op("Where", [m, s, g.const(np.float32(-np.inf))]), v)
    f = g.feeds
    mask = np.where(keep, 0.0, -np.inf).astype(np.float32)
    return g.model([out]), [attention(f["q"], f["k"], f["v"], mask)], 1


def case_masked_fill(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    hide = np.zeros((B, 1, 1, T), dtype=bool)
    hide[0, ..., 5] = True
    m = g.input("mask", hide, TensorProto.BOOL)
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(SCALE))])
    out = finish(g, g.op("Where", [m, g.const(np.float32(FMIN)), s]), v)
    f = g.feeds
    mask = np.where(hide, FMIN, 0.0).astype(np.float32)
    return g.model([out]), [attention(f["q"], f["k"], f["v"], mask)], 1


def causal_case(seed, make_keep):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(SCALE))])
    keep = make_keep(g)
    out = finish(g, g.op("Where", [keep, s, g.const(np.float32(FMIN))]), v)
    f = g.feeds
    return g.model([out]), [attention(f["q"], f["k"], f["v"], causal_additive(T))], 1


def case_trilu_causal(seed):
    return causal_case(seed, lambda g: g.op(
        "Cast", [g.op("Trilu", [g.const(np.ones((T, T), np.float32))], upper=0)],
        to=TensorProto.BOOL))


def case_constant_triangle(seed):
    return causal_case(seed, lambda g: g.const(np.tril(np.ones((T, T), dtype=bool))))


def case_buffer_slice(seed):
    # GPT-2: a registered [1, 1, max, max] tril buffer sliced to [.., :T, :T].
    def keep(g):
        buf = g.const(np.tril(np.ones((1, 1, 32, 32), dtype=bool)))
        starts, ends = g.const(np.array([0, 0], np.int64)), g.const(np.array([T, T], np.int64))
        axes = g.const(np.array([2, 3], np.int64))
        return g.op("Slice", [buf, starts, ends, axes])
    return causal_case(seed, keep)


def split_heads(g, x):
    # [B, T, H*D] -> [B, H, T, D]
    r = g.op("Reshape", [x, g.const(np.array([B, T, H, D], np.int64))])
    return g.op("Transpose", [r], perm=[0, 2, 1, 3])


def fused_qkv(seed, use_slice):
    g, r = Graph(), rng(seed)
    x = g.input("x", r.standard_normal((B, T, 16)).astype(np.float32))
    w = r.standard_normal((16, 3 * H * D)).astype(np.float32) * 0.3
    qkv_all = g.op("MatMul", [x, g.const(w)])
    if use_slice:
        parts = []
        for i in range(3):
            parts.append(g.op("Slice", [qkv_all, g.const(np.array([i * H * D], np.int64)),
                                        g.const(np.array([(i + 1) * H * D], np.int64)),
                                        g.const(np.array([2], np.int64))]))
    else:
        parts = g.op("Split", [qkv_all, g.const(np.array([H * D] * 3, np.int64))],
                     outputs=3, axis=2)
    q, k, v = (split_heads(g, p) for p in parts)
    s = g.op("Div", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(np.sqrt(D)))])
    out = finish(g, s, v)
    y = g.feeds["x"] @ w
    heads = [y[..., i * H * D:(i + 1) * H * D].reshape(B, T, H, D).transpose(0, 2, 1, 3)
             for i in range(3)]
    return g.model([out]), [attention(*heads)], 1


def case_fused_qkv_split(seed):
    return fused_qkv(seed, use_slice=False)


def case_fused_qkv_slice(seed):
    return fused_qkv(seed, use_slice=True)


def case_gqa_repeat_kv(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r, hkv=2)

    def repeat(x):
        u = g.op("Unsqueeze", [x, g.const(np.array([2], np.int64))])
        e = g.op("Expand", [u, g.const(np.array([B, 2, 2, T, D], np.int64))])
        return g.op("Reshape", [e, g.const(np.array([B, H, T, D], np.int64))])
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, repeat(k))]), g.const(np.float32(SCALE))])
    out = finish(g, s, repeat(v))
    f = g.feeds
    kk, vv = np.repeat(f["k"], 2, axis=1), np.repeat(f["v"], 2, axis=1)
    return g.model([out]), [attention(f["q"], kk, vv)], 1


def case_gqa_tile(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r, hkv=2)
    reps = g.const(np.array([1, 2, 1, 1], np.int64))
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, g.op("Tile", [k, reps]))]),
                     g.const(np.float32(SCALE))])
    out = finish(g, s, g.op("Tile", [v, reps]))
    f = g.feeds
    kk, vv = np.tile(f["k"], (1, 2, 1, 1)), np.tile(f["v"], (1, 2, 1, 1))
    return g.model([out]), [attention(f["q"], kk, vv)], 1


# Must not fire: the probabilities are also an output; the softmax runs over
# the queries.
def case_probs_returned(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(SCALE))])
    p = g.op("Softmax", [s], axis=-1)
    out = g.op("MatMul", [p, v])
    f = g.feeds
    probs = softmax(f["q"] @ np.swapaxes(f["k"], -1, -2) * SCALE)
    return g.model([out, p]), [probs @ f["v"], probs], 0


def case_softmax_over_queries(seed):
    g, r = Graph(), rng(seed)
    q, k, v = qkv(g, r)
    s = g.op("Mul", [g.op("MatMul", [q, kt(g, k)]), g.const(np.float32(SCALE))])
    out = finish(g, s, v, axis=2)
    f = g.feeds
    sc = f["q"] @ np.swapaxes(f["k"], -1, -2) * SCALE
    e = np.exp(sc - sc.max(axis=2, keepdims=True))
    return g.model([out]), [(e / e.sum(axis=2, keepdims=True)) @ f["v"]], 0


CASES = {name[5:]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}

# What the report must say of the fused site, where it matters: causal masks
# become the attribute (no mask operand), padding masks stay [B, 1, 1, T],
# repeat_kv shares key heads while Tile (another head order) does not.
SITES = {
    "trilu_causal": {"causal": True, "mask": "none"},
    "constant_triangle": {"causal": True, "mask": "none"},
    "buffer_slice": {"causal": True, "mask": "none"},
    "padding_additive": {"causal": False, "mask": "padding"},
    "keep_mask_where": {"causal": False, "mask": "padding"},
    "masked_fill": {"causal": False, "mask": "padding"},
    "gqa_repeat_kv": {"heads": H, "kv_heads": 2},
    "gqa_tile": {"heads": H, "kv_heads": H},
    "div_scores": {"causal": False, "mask": "none", "head_dim": D},
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", required=True)
    p.add_argument("--bin-dir", default="")
    p.add_argument("--only", nargs="*")
    args = p.parse_args()
    tool = lambda t: os.path.join(args.bin_dir, t) if args.bin_dir else t
    os.makedirs(args.work, exist_ok=True)
    failed = 0
    for seed, name in enumerate(args.only or CASES):
        model, expected, fused = CASES[name](seed)
        for out, want in zip(model.graph.output, expected):
            out.CopyFrom(helper.make_tensor_value_info(out.name, F32, want.shape))
        onnx.checker.check_model(model)
        d = os.path.join(args.work, name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "model.onnx")
        onnx.save(model, path)
        data = os.path.join(d, "data")
        os.makedirs(data, exist_ok=True)
        g_feeds = _feeds_of(name, seed)
        for i, input_name in enumerate(i.name for i in model.graph.input):
            with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(g_feeds[input_name], input_name).SerializeToString())
        for i, (out, want) in enumerate(zip(model.graph.output, expected)):
            with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(want.astype(np.float32), out.name).SerializeToString())
        lib, report = os.path.join(d, "model.so"), os.path.join(d, "report.json")
        subprocess.run([tool("whittle-compile"), path, "-o", lib, f"--report={report}"], check=True)
        att = json.load(open(report))["attention"]
        run = subprocess.run([tool("whittle-run"), lib, "--test-data", data, "--atol", "1e-5"],
                             capture_output=True, text=True)
        fused_ok = att["fused"] == fused and att["unfused_softmax"] == (1 - fused)
        site = att["sites"][0] if att["sites"] else {}
        for key, want in SITES.get(name, {}).items():
            if site.get(key) != want:
                print(f"{name}: site {key} is {site.get(key)}, expected {want}")
                fused_ok = False
        ok = fused_ok and run.returncode == 0
        failed += not ok
        print(f"{name}: fused {att['fused']}, unfused softmax {att['unfused_softmax']} "
              f"(expected {fused}, {1 - fused}); outputs {'match' if run.returncode == 0 else 'DIFFER'}"
              f" at atol 1e-5: {'ok' if ok else 'FAILED'}", flush=True)
        if run.returncode:
            print(run.stdout + run.stderr, file=sys.stderr)
    print(f"{len(args.only or CASES) - failed} of {len(args.only or CASES)} spellings ok")
    return 1 if failed else 0


def _feeds_of(name, seed):
    # The cases record their inputs in the Graph they build; rebuild to get
    # them (deterministic for a seed).
    captured = {}
    original = Graph.model

    def model(self, outputs):
        captured.update(self.feeds)
        return original(self, outputs)
    Graph.model = model
    try:
        CASES[name](seed)
    finally:
        Graph.model = original
    return captured


if __name__ == "__main__":
    sys.exit(main())
