#!/usr/bin/env python3
"""Checks --decode on a decoder built on com.microsoft GroupQueryAttention
with past inputs, as ONNX Runtime GenAI's exports are.

    check_gqa_decode.py --work DIR [--max-tokens 32] [--chunk 8]
                        [--lengths 1 5 13 32] [--atol 1e-4]

The model (two layers, 4 query heads over 2 key/value heads of 8 dims,
written with onnx.helper) takes input_ids [1, seq], attention_mask
[1, total] and past_key/past_value.N [1, 2, past, 8], and derives seqlens_k
(the mask's sum - 1) and total_sequence_length (its width) from the mask;
its outputs are the logits and present_key/value.N. Compiled with
--decode=MAX:CHUNK and no other flag, the pasts start empty and the
session's cache replaces them. For each length N, ONNX Runtime runs the
model on N random tokens with empty pasts (every position at once); one
Whittle library computes the same through its prefill chunks and single
steps (`whittle-run --test-data` with [1, N] inputs), and the logits and
presents of every position are compared.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import check_model  # noqa: E402
ORT_RUN = os.path.join(SRC, "bench", "ort_run.js")
VOCAB, HIDDEN, HEADS, KV_HEADS, DIM, LAYERS = 32, 32, 4, 2, 8, 2


def build_model():
    rng = np.random.default_rng(3)

    def w(name, shape):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * 0.3).astype(np.float32), name)

    inits = [w("embed", [VOCAB, HIDDEN]), w("head", [HIDDEN, VOCAB]),
             numpy_helper.from_array(np.array([1], np.int64), "axis1"),
             numpy_helper.from_array(np.array(1, np.int64), "one")]
    nodes = [
        helper.make_node("Gather", ["embed", "input_ids"], ["x0"]),
        helper.make_node("ReduceSum", ["attention_mask", "axis1"], ["mask_sum"],
                         keepdims=0),
        helper.make_node("Sub", ["mask_sum", "one"], ["last"]),
        helper.make_node("Cast", ["last"], ["seqlens_k"], to=TensorProto.INT32),
        helper.make_node("Shape", ["attention_mask"], ["mask_shape"]),
        helper.make_node("Gather", ["mask_shape", "one"], ["total64"]),
        helper.make_node("Cast", ["total64"], ["total"], to=TensorProto.INT32),
    ]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                            [1, "total"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                             [1, "seq", VOCAB])]
    x = "x0"
    for layer in range(LAYERS):
        p = f"l{layer}_"
        inits += [w(p + "wq", [HIDDEN, HEADS * DIM]), w(p + "wk", [HIDDEN, KV_HEADS * DIM]),
                  w(p + "wv", [HIDDEN, KV_HEADS * DIM]), w(p + "wo", [HEADS * DIM, HIDDEN])]
        past = [f"past_key_values.{layer}.key", f"past_key_values.{layer}.value"]
        present = [f"present.{layer}.key", f"present.{layer}.value"]
        for name in past:
            inputs.append(helper.make_tensor_value_info(
                name, TensorProto.FLOAT, [1, KV_HEADS, "past", DIM]))
        for name in present:
            outputs.append(helper.make_tensor_value_info(
                name, TensorProto.FLOAT, [1, KV_HEADS, "total", DIM]))
        nodes += [
            helper.make_node("MatMul", [x, p + "wq"], [p + "q"]),
            helper.make_node("MatMul", [x, p + "wk"], [p + "k"]),
            helper.make_node("MatMul", [x, p + "wv"], [p + "v"]),
            helper.make_node("GroupQueryAttention",
                             [p + "q", p + "k", p + "v", *past, "seqlens_k", "total"],
                             [p + "att", *present], domain="com.microsoft",
                             num_heads=HEADS, kv_num_heads=KV_HEADS),
            helper.make_node("MatMul", [p + "att", p + "wo"], [p + "proj"]),
            helper.make_node("Add", [x, p + "proj"], [p + "out"]),
        ]
        x = p + "out"
    nodes.append(helper.make_node("MatMul", [x, "head"], ["logits"]))
    graph = helper.make_graph(nodes, "gqa_decoder", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    return model


def run(cmd):
    print("$ " + " ".join(cmd), flush=True)
    if subprocess.call(cmd) != 0:
        print(f"error: {cmd[0]} failed", file=sys.stderr)
        sys.exit(1)


def write(path, array, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--max-tokens", type=int, default=32)
    p.add_argument("--chunk", type=int, default=8)
    p.add_argument("--lengths", type=int, nargs="+", default=[1, 5, 13, 32])
    p.add_argument("--atol", default="1e-4")
    args = p.parse_args()
    node = check_model.check_onnxruntime()
    os.makedirs(args.work, exist_ok=True)
    model = build_model()
    path = os.path.join(args.work, "gqa_decoder.onnx")
    onnx.save(model, path)
    lib = os.path.join(args.work, "gqa_decoder.so")
    run(["whittle-compile", path, f"--decode={args.max_tokens}:{args.chunk}", "-o", lib])

    rng = np.random.default_rng(5)
    empty = np.zeros([1, KV_HEADS, 0, DIM], np.float32)
    outputs = [o.name for o in model.graph.output]
    for n in args.lengths:
        ids = rng.integers(0, VOCAB, size=(1, n)).astype(np.int64)
        mask = np.ones((1, n), np.int64)
        d = os.path.join(args.work, f"length_{n}")
        ort_data = os.path.join(d, "ort_inputs")
        ours = os.path.join(d, "test_data_set_0")
        os.makedirs(ort_data, exist_ok=True)
        os.makedirs(ours, exist_ok=True)
        feeds = [("input_ids", ids), ("attention_mask", mask)]
        for layer in range(LAYERS):
            feeds += [(f"past_key_values.{layer}.key", empty),
                      (f"past_key_values.{layer}.value", empty)]
        for k, (name, value) in enumerate(feeds):
            write(os.path.join(ort_data, f"input_{k}.pb"), value, name)
        write(os.path.join(ours, "input_0.pb"), ids, "input_ids")
        write(os.path.join(ours, "input_1.pb"), mask, "attention_mask")
        ort_out = os.path.join(d, "ort")
        run([node, ORT_RUN, path, "--test-data", ort_data, "--iterations", "0",
             "--output-dir", ort_out])
        for k, name in enumerate(outputs):
            write(os.path.join(ours, f"output_{k}.pb"),
                  np.load(os.path.join(ort_out, name + ".npy")), name)
        print(f"length {n}:", flush=True)
        run(["whittle-run", lib, "--test-data", ours, "--atol", args.atol])
    print(f"gqa decoder: lengths {' '.join(map(str, args.lengths))} from one --decode "
          "library match ONNX Runtime: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
