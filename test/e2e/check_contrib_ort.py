#!/usr/bin/env python3
"""Checks Whittle's import of ONNX Runtime's contrib ops against ONNX
Runtime itself: each case is a small graph of one op with random inputs; ORT
(bench/ort_run.js, CPU provider) computes the reference outputs, then the
graph is compiled with whittle-compile and compared with whittle-run.

    check_contrib_ort.py --work DIR [--only CASE ...] [--atol 1e-4]

Exit status: 0 when every case matches, 1 on the first failure, 77 when
node or onnxruntime-node is unavailable.
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SRC = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ORT_RUN = os.path.join(SRC, "bench", "ort_run.js")
MS = "com.microsoft"


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def case(name, node, inputs, outputs, opset=17, weights=(), numpy_ref=None):
    """inputs: [(name, array)] fed at run time; weights: [(name, array)] as
    initializers; outputs: [name]. numpy_ref computes the outputs for ops
    that ONNX Runtime has no CPU kernel for."""
    graph = helper.make_graph(
        node if isinstance(node, list) else [node], name,
        [helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], a.shape)
         for n, a in inputs],
        [helper.make_tensor_value_info(o, TensorProto.INT32 if o == "MaskIndex"
                                       else TensorProto.FLOAT, None) for o in outputs],
        initializer=[numpy_helper.from_array(a, n) for n, a in weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset),
                                                    helper.make_opsetid(MS, 1)])
    model.ir_version = 10 if opset >= 21 else 8
    return name, model, inputs, outputs, numpy_ref


def cases():
    x = rand([2, 5, 8], 1)
    g, bta, bias = rand([8], 2), rand([8], 3), rand([8], 4)
    skip = rand([2, 5, 8], 5)
    yield case("fused_matmul_alpha_transA",
               helper.make_node("FusedMatMul", ["A", "B"], ["Y"], domain=MS, alpha=0.5, transA=1),
               [("A", rand([2, 3, 5, 4], 6)), ("B", rand([2, 3, 5, 6], 7))], ["Y"])
    yield case("fused_matmul_transB_broadcast",
               helper.make_node("FusedMatMul", ["A", "B"], ["Y"], domain=MS, alpha=0.25, transB=1),
               [("A", rand([2, 3, 5, 4], 8)), ("B", rand([6, 4], 9))], ["Y"])
    yield case("fused_matmul_transBatchA",
               helper.make_node("FusedMatMul", ["A", "B"], ["Y"], domain=MS, transBatchA=1),
               [("A", rand([5, 2, 3, 4], 10)), ("B", rand([2, 3, 4, 6], 11))], ["Y"])
    yield case("fused_matmul_transBatchB_transB",
               helper.make_node("FusedMatMul", ["A", "B"], ["Y"], domain=MS, transB=1,
                                transBatchB=1),
               [("A", rand([2, 3, 5, 4], 12)), ("B", rand([6, 2, 3, 4], 13))], ["Y"])
    for act, extra in (("Relu", {}), ("Tanh", {}), ("Sigmoid", {}),
                       ("LeakyRelu", {"activation_alpha": 0.2})):
        yield case(f"fused_gemm_{act.lower()}",
                   helper.make_node("FusedGemm", ["A", "W", "C"], ["Y"], domain=MS, transB=1,
                                    alpha=0.5, beta=2.0, activation=act, **extra),
                   [("A", rand([4, 8], 14))], ["Y"],
                   weights=[("W", rand([6, 8], 15)), ("C", rand([6], 16))])
    yield case("gelu", helper.make_node("Gelu", ["X"], ["Y"], domain=MS), [("X", x)], ["Y"])
    yield case("fast_gelu_bias", helper.make_node("FastGelu", ["X", "B"], ["Y"], domain=MS),
               [("X", x)], ["Y"], weights=[("B", bias)])
    yield case("bias_gelu", helper.make_node("BiasGelu", ["X", "B"], ["Y"], domain=MS),
               [("X", x)], ["Y"], weights=[("B", bias)])
    yield case("quick_gelu", helper.make_node("QuickGelu", ["X"], ["Y"], domain=MS, alpha=1.5),
               [("X", x)], ["Y"])
    # BiasAdd has only a CUDA kernel in ONNX Runtime; its schema says
    # Y = X + bias + skip.
    yield case("bias_add", helper.make_node("BiasAdd", ["X", "B", "S"], ["Y"], domain=MS),
               [("X", x), ("S", skip)], ["Y"], weights=[("B", bias)],
               numpy_ref=lambda: [x + bias + skip])
    yield case("layer_norm_opset14",
               helper.make_node("LayerNormalization", ["X", "G", "Bt"], ["Y"], epsilon=1e-3),
               [("X", x)], ["Y"], opset=14, weights=[("G", g), ("Bt", bta)])
    yield case("simplified_layer_norm",
               helper.make_node("SimplifiedLayerNormalization", ["X", "G"], ["Y"],
                                epsilon=1e-4),
               [("X", x)], ["Y"], opset=14, weights=[("G", g)])
    yield case("skip_layer_norm",
               helper.make_node("SkipLayerNormalization", ["X", "S", "G", "Bt", "B"],
                                ["Y", "", "", "Sum"], domain=MS, epsilon=1e-5),
               [("X", x), ("S", skip)], ["Y", "Sum"],
               weights=[("G", g), ("Bt", bta), ("B", bias)])
    yield case("skip_simplified_layer_norm",
               helper.make_node("SkipSimplifiedLayerNormalization", ["X", "S", "G", "B"],
                                ["Y", "", "", "Sum"], domain=MS, epsilon=1e-5),
               [("X", x), ("S", skip)], ["Y", "Sum"], weights=[("G", g), ("B", bias)])


def embed_and_rotary_cases():
    rng = np.random.default_rng(20)
    ids = rng.integers(0, 30, (2, 6)).astype(np.int32)
    seg = rng.integers(0, 2, (2, 6)).astype(np.int32)
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], np.int32)
    h = 8
    emb_w = [("W", rand([30, h], 21)), ("P", rand([16, h], 22)), ("T", rand([2, h], 23)),
             ("G", rand([h], 24)), ("Bt", rand([h], 25))]
    yield case("embed_layer_norm",
               helper.make_node("EmbedLayerNormalization",
                                ["ids", "seg", "W", "P", "T", "G", "Bt", "mask"],
                                ["Y", "MaskIndex", "Sum"], domain=MS, epsilon=1e-5),
               [("ids", ids), ("seg", seg), ("mask", mask)], ["Y", "MaskIndex", "Sum"],
               weights=emb_w)
    # Rotary: half-split and interleaved, 3-D with num_heads and 4-D,
    # explicit positions and a start offset, partial rotation.
    b_, s_, n_, d_ = 2, 5, 2, 8
    pos = np.array([[0, 1, 2, 3, 4], [3, 4, 5, 6, 7]], np.int64)
    for name, shape, attrs, rot, positions in (
            ("rotary_half_3d", [b_, s_, n_ * d_], {"num_heads": n_}, d_, pos),
            ("rotary_interleaved_3d", [b_, s_, n_ * d_], {"num_heads": n_, "interleaved": 1},
             d_, pos),
            ("rotary_half_4d", [b_, n_, s_, d_], {}, d_, pos),
            ("rotary_offset_4d", [b_, n_, s_, d_], {}, d_, np.array([2], np.int64)),
            ("rotary_partial_4d", [b_, n_, s_, d_], {"rotary_embedding_dim": 4, "num_heads": n_}, 4, pos)):
        angles = np.arange(16)[:, None] * (1.0 / 10000 ** (np.arange(rot // 2) / (rot // 2)))
        node = helper.make_node("RotaryEmbedding", ["X", "pos", "cos", "sin"], ["Y"],
                                domain=MS, **attrs)
        yield case(name, node, [("X", rand(shape, 30)), ("pos", positions)], ["Y"],
                   weights=[("cos", np.cos(angles).astype(np.float32)),
                            ("sin", np.sin(angles).astype(np.float32))])


def attention_cases():
    bsz, seq, hid, heads = 2, 5, 8, 2
    x = rand([bsz, seq, hid], 40)
    w, bias = rand([hid, 3 * hid], 41), rand([3 * hid], 42)
    raw = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], np.int32)
    lengths = np.array([3, 5], np.int32)
    yield case("attention_raw_mask",
               helper.make_node("Attention", ["X", "W", "B", "M"], ["Y"], domain=MS,
                                num_heads=heads),
               [("X", x), ("M", raw)], ["Y"], weights=[("W", w), ("B", bias)])
    yield case("attention_lengths_unidirectional",
               helper.make_node("Attention", ["X", "W", "B", "M"], ["Y"], domain=MS,
                                num_heads=heads, unidirectional=1),
               [("X", x), ("M", lengths)], ["Y"], weights=[("W", w), ("B", bias)])
    yield case("attention_bias_scale",
               helper.make_node("Attention", ["X", "W", "B", "", "", "AB"], ["Y"], domain=MS,
                                num_heads=heads, scale=0.3),
               [("X", x), ("AB", rand([1, heads, seq, seq], 43))], ["Y"],
               weights=[("W", w), ("B", bias)])
    q, k, v = rand([bsz, seq, hid], 44), rand([bsz, 7, hid], 45), rand([bsz, 7, hid], 46)
    kpm = np.array([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], np.int32)
    yield case("mha_key_padding_bias",
               helper.make_node("MultiHeadAttention", ["Q", "K", "V", "B", "M"], ["Y"],
                                domain=MS, num_heads=heads),
               [("Q", q), ("K", k), ("V", v), ("M", kpm)], ["Y"],
               weights=[("B", rand([3 * hid], 47))])
    yield case("mha_attention_bias",
               helper.make_node("MultiHeadAttention", ["Q", "K", "V", "", "", "AB"], ["Y"],
                                domain=MS, num_heads=heads),
               [("Q", q), ("K", k), ("V", v), ("AB", rand([bsz, 1, seq, 7], 48))], ["Y"])
    # A past in [B, N, P, H]: the attention runs over the past and the new
    # keys, and present_key/value are both, concatenated.
    pk, pv = rand([bsz, heads, 3, hid // heads], 60), rand([bsz, heads, 3, hid // heads], 61)
    yield case("mha_past",
               helper.make_node("MultiHeadAttention", ["Q", "K", "V", "", "", "", "PK", "PV"],
                                ["Y", "KP", "VP"], domain=MS, num_heads=heads),
               [("Q", q), ("K", k), ("V", v), ("PK", pk), ("PV", pv)], ["Y", "KP", "VP"])
    kpm_past = np.array([[1] * 8 + [0] * 2, [1] * 10], np.int32)
    yield case("mha_past_key_padding",
               helper.make_node("MultiHeadAttention", ["Q", "K", "V", "", "M", "", "PK", "PV"],
                                ["Y", "KP", "VP"], domain=MS, num_heads=heads),
               [("Q", q), ("K", k), ("V", v), ("M", kpm_past), ("PK", pk), ("PV", pv)],
               ["Y", "KP", "VP"])
    yield case("mha_unidirectional",
               helper.make_node("MultiHeadAttention", ["Q", "K", "V"], ["Y"], domain=MS,
                                num_heads=heads, unidirectional=1),
               [("Q", q), ("K", q), ("V", rand([bsz, seq, hid], 49))], ["Y"])


def gqa_cases():
    # ORT wants head sizes that are multiples of 8.
    bsz, seq, d = 2, 5, 8
    q, k, v = rand([bsz, seq, 4 * d], 50), rand([bsz, seq, 2 * d], 51), rand([bsz, seq, 2 * d], 52)
    total = np.array(seq, np.int32)
    for name, lens in (("gqa_prefill", [4, 4]), ("gqa_prefill_padded", [4, 2])):
        yield case(name,
                   helper.make_node("GroupQueryAttention",
                                    ["Q", "K", "V", "", "", "L", "T"], ["Y", "PK", "PV"],
                                    domain=MS, num_heads=4, kv_num_heads=2),
                   [("Q", q), ("K", k), ("V", v), ("L", np.array(lens, np.int32)),
                    ("T", total)], ["Y", "PK", "PV"])
    # An empty past (as --decode makes a past input): a prefill whose
    # presents are the new keys and values.
    empty = np.zeros([bsz, 2, 0, d], np.float32)
    yield case("gqa_empty_past",
               helper.make_node("GroupQueryAttention",
                                ["Q", "K", "V", "PK", "PV", "L", "T"], ["Y", "KP", "VP"],
                                domain=MS, num_heads=4, kv_num_heads=2),
               [("Q", q), ("K", k), ("V", v), ("PK", empty), ("PV", empty),
                ("L", np.array([4, 2], np.int32)), ("T", total)], ["Y", "KP", "VP"])


def pack_nbits(codes, bits):
    """Packs [rows, count] codes low-first into bytes along the last axis."""
    if bits == 8:
        return codes.astype(np.uint8)
    padded = np.zeros((codes.shape[0], (codes.shape[1] + 1) // 2 * 2), np.uint8)
    padded[:, :codes.shape[1]] = codes
    return (padded[:, 0::2] | (padded[:, 1::2] << 4)).astype(np.uint8)


def nbits_cases():
    """MatMulNBits: random codes, per-block scales and zero points packed as
    ONNX Runtime's quantizer writes them."""
    for name, k, n, bits, block, zp, bias in (
            ("matmul_nbits4_zp_bias", 64, 24, 4, 32, True, True),
            ("matmul_nbits4_ragged_k", 40, 8, 4, 16, False, False),
            ("matmul_nbits8_zp", 128, 16, 8, 64, True, False),
            ("matmul_nbits4_float_zp", 40, 8, 4, 16, "float", False)):
        rng = np.random.default_rng(k + n + bits)
        blocks = -(-k // block)
        codes = rng.integers(0, 1 << bits, (n, blocks * block), dtype=np.uint8)
        codes[:, k:] = 0
        b = pack_nbits(codes, bits).reshape(n, blocks, block * bits // 8)
        scales = (rng.random(n * blocks, dtype=np.float32) * 0.1 + 0.01).astype(np.float32)
        inputs = ["A", "B", "S"]
        weights = [("B", b), ("S", scales)]
        if zp == "float":  # not packed: N x blocks, the scales' type
            zps = (rng.random((n, blocks), dtype=np.float32) * 15).astype(np.float32)
            weights.append(("Z", zps.reshape(-1)))
            inputs.append("Z")
        elif zp:
            zps = rng.integers(0, 1 << bits, (n, blocks), dtype=np.uint8)
            weights.append(("Z", pack_nbits(zps, bits).reshape(-1)))
            inputs.append("Z")
        if bias:
            inputs += ([] if zp else [""]) + ["", "bias"]  # bias is input 5
            weights.append(("bias", rand([n], 60)))
        node = helper.make_node("MatMulNBits", inputs, ["Y"], domain=MS, K=k, N=n, bits=bits,
                                block_size=block)
        yield case(name, node, [("A", rand([2, 5, k], 61))], ["Y"], weights=weights)


def blocked_quantize_cases():
    """Opset-21 blocked QuantizeLinear (a short last block), dequantized back
    by a blocked DequantizeLinear so that the output is float."""
    rng = np.random.default_rng(80)
    scale = (rng.random((3, 3), dtype=np.float32) * 0.05 + 0.01).astype(np.float32)
    zero = rng.integers(0, 256, (3, 3), dtype=np.uint8)
    nodes = [helper.make_node("QuantizeLinear", ["X", "S", "Z"], ["Q"], axis=1, block_size=3),
             helper.make_node("DequantizeLinear", ["Q", "S", "Z"], ["Y"], axis=1, block_size=3)]
    yield case("quantize_linear_blocked", nodes, [("X", rand([3, 7], 81))], ["Y"], opset=21,
               weights=[("S", scale), ("Z", zero)])


def integer_matmul_cases():
    rng = np.random.default_rng(70)
    a = rng.integers(0, 256, (2, 5, 8), dtype=np.uint8)
    w = rng.integers(-128, 128, (8, 6), dtype=np.int8)
    yield case("matmul_integer_to_float",
               helper.make_node("MatMulIntegerToFloat",
                                ["A", "B", "AS", "BS", "AZ", "BZ", "bias"], ["Y"], domain=MS),
               [("A", a)], ["Y"],
               weights=[("B", w), ("AS", np.array(0.02, np.float32)),
                        ("BS", (rng.random(6, dtype=np.float32) * 0.05).astype(np.float32)),
                        ("AZ", np.array(120, np.uint8)),
                        ("BZ", rng.integers(-3, 4, 6, dtype=np.int8)),
                        ("bias", rand([6], 71))])
    yield case("dynamic_quantize_matmul",
               helper.make_node("DynamicQuantizeMatMul", ["A", "B", "BS", "", "bias"], ["Y"],
                                domain=MS),
               [("A", rand([2, 5, 8], 72))], ["Y"],
               weights=[("B", w), ("BS", np.array(0.03, np.float32)),
                        ("bias", rand([6], 73))])


def run(cmd):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.call(cmd)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--only", nargs="+")
    p.add_argument("--atol", default="1e-4")
    args = p.parse_args()
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(SRC, "bench", "node_modules",
                                                  "onnxruntime-node")):
        print("skipped: node or onnxruntime-node unavailable (bash bench/setup.sh)")
        return 77
    os.makedirs(args.work, exist_ok=True)
    import itertools
    for name, model, inputs, outputs, numpy_ref in itertools.chain(
            cases(), embed_and_rotary_cases(), attention_cases(), gqa_cases(),
            nbits_cases(), integer_matmul_cases(), blocked_quantize_cases()):
        if args.only and name not in args.only:
            continue
        d = os.path.join(args.work, name)
        data = os.path.join(d, "test_data_set_0")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(data)
        path = os.path.join(d, "model.onnx")
        onnx.save(model, path)
        for k, (n, a) in enumerate(inputs):
            with open(os.path.join(data, f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())
        ort_out = os.path.join(d, "ort")
        if numpy_ref is None and run([node, ORT_RUN, path, "--test-data", data,
                                      "--iterations", "0", "--output-dir", ort_out]) != 0:
            print(f"{name}: ONNX Runtime failed", file=sys.stderr)
            return 1
        refs = numpy_ref() if numpy_ref else None
        for k, o in enumerate(outputs):
            ref = refs[k] if refs else np.load(os.path.join(ort_out, o + ".npy"))
            with open(os.path.join(data, f"output_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(ref, o).SerializeToString())
        lib = os.path.join(d, name + ".so")
        if run(["whittle-compile", path, "-o", lib]) != 0 or \
                run(["whittle-run", lib, "--test-data", data, "--atol", args.atol]) != 0:
            print(f"{name}: FAILED", file=sys.stderr)
            return 1
        print(f"{name}: ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
