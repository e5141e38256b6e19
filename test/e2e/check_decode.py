#!/usr/bin/env python3
"""Checks --decode: greedy generation through the key/value cache must pick
exactly the tokens that full recomputation picks.

    check_decode.py NAME --cache DIR --work DIR [--max-tokens 48]
                    [--chunk 8] [--prompt 7] [--generate 32]

The zoo model NAME (a causal decoder exported with a dynamic sequence axis)
is compiled once with --decode=MAX:CHUNK. whittle-run --generate prefills a
random prompt and generates greedily. The reference recomputes the whole
sequence for every new token with the numpy ONNX interpreter
(test/python/onnx_numpy_ref.py, independent of Whittle) on the exported
graph; each token is the argmax of the last position's logits, and the
generated tokens must be identical. Since an untrained model may repeat a
token, the logits of every position are compared too (--atol): the
library's decode entry point is called directly (model_abi.h) on the final
sequence, prefill chunks (the last one partial, padded) and then one token
per step, against the reference logits of that sequence. With
--self-reference (quantized forms), the reference is the same library's
full-length entry point on the padded sequence.
"""
import argparse
import ctypes
import os
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import check_model  # noqa: E402
import onnx_numpy_ref  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--cache", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--max-tokens", type=int, default=48)
    p.add_argument("--chunk", type=int, default=8)
    p.add_argument("--prompt", type=int, default=11)
    p.add_argument("--generate", type=int, default=32)
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--self-reference", action="store_true",
                   help="recompute with the library's full-length entry point "
                        "instead of the fp32 ONNX graph")
    p.add_argument("--compile-arg", action="append", default=[])
    args = p.parse_args()

    model_dir = check_model.ensure_model(args.cache, args.name)
    onnx_path = os.path.join(model_dir, "model.onnx")
    model = onnx.load(onnx_path)
    inputs, vocab = check_model.decoder_signature(model)
    os.makedirs(args.work, exist_ok=True)

    lib = os.path.join(args.work, args.name + "_decode.so")
    shapes = []
    for name in inputs:
        shapes += ["--input-shape", f"{name}=1x{args.max_tokens}"]
    check_model.run(["whittle-compile", onnx_path, *shapes,
                     f"--decode={args.max_tokens}:{args.chunk}", *args.compile_arg,
                     "-o", lib])

    rng = np.random.default_rng(7)
    prompt = rng.integers(0, vocab, size=(1, args.prompt)).astype(np.int64)
    got = check_model.generate(lib, inputs[0], prompt, args.work, args.generate)

    # Full recomputation of every prefix.
    if args.self_reference:
        full = full_run(lib, len(inputs), args.max_tokens, vocab)
    else:
        def full(ids):
            feeds = {inputs[0]: ids}
            for name in inputs[1:]:
                feeds[name] = np.ones_like(ids)
            return onnx_numpy_ref.run(model, feeds)[0]
    seq = prompt[0].tolist()
    expected = []
    for _ in range(args.generate):
        logits = full(np.array([seq], np.int64))
        nxt = int(np.argmax(logits[0, -1]))
        expected.append(nxt)
        seq.append(nxt)
    print("recomputed:", " ".join(map(str, expected)))
    if got != expected:
        first = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b) \
            if len(got) == len(expected) else min(len(got), len(expected))
        print(f"error: generated tokens differ from recomputation at token {first}",
              file=sys.stderr)
        return 1
    print(f"ok: {len(got)} tokens identical")

    # Logits of every position through whittle_model_decode.
    seq = np.array([prompt[0].tolist() + expected[:-1]], np.int64)
    reference = full(seq)
    logits = decode_logits(lib, seq, args.prompt, vocab)
    err = float(np.abs(logits - reference).max())
    print(f"logits of {seq.shape[1]} positions: max abs error {err:.3g} "
          f"(atol {args.atol})")
    if not err <= args.atol:
        print("error: decode logits differ from the reference", file=sys.stderr)
        return 1
    return 0


def full_run(lib_path, num_inputs, max_tokens, vocab):
    """The library's own full-length entry point as the reference (for forms
    such as 4-bit weights that the fp32 graph does not compute): the sequence
    is padded to MAX, which a causal model's earlier positions never see."""
    lib = ctypes.CDLL(lib_path)
    lib.whittle_model_workspace_size.restype = ctypes.c_int64
    lib.whittle_model_run.restype = ctypes.c_int32
    workspace = np.zeros(lib.whittle_model_workspace_size() + 64, np.uint8)

    def run(ids):
        n = ids.shape[1]
        padded = np.zeros((1, max_tokens), np.int64)
        padded[0, :n] = ids[0]
        feeds = [padded] + [np.ones((1, max_tokens), np.int64)] * (num_inputs - 1)
        out = np.zeros((1, max_tokens, vocab), np.float32)
        ins = (ctypes.c_void_p * num_inputs)(*[f.ctypes.data for f in feeds])
        outs = (ctypes.c_void_p * 1)(out.ctypes.data)
        if lib.whittle_model_run(ins, outs, ctypes.c_void_p(workspace.ctypes.data), None):
            sys.exit("error: whittle_model_run failed")
        return out[:, :n]
    return run


def decode_logits(lib_path, seq, prompt, vocab):
    """Logits [1, T, vocab] of every position of seq through the library's
    decode entry point: the prompt in padded chunks, then single tokens."""
    lib = ctypes.CDLL(lib_path)
    lib.whittle_model_metadata.restype = ctypes.c_char_p
    record = [l.split() for l in lib.whittle_model_metadata().decode().splitlines()
              if l.startswith("decode ")][0]
    chunk, state_bytes = int(record[2]), int(record[3])
    lib.whittle_model_workspace_size.restype = ctypes.c_int64
    lib.whittle_model_decode_workspace_size.restype = ctypes.c_int64
    lib.whittle_model_decode.restype = ctypes.c_int32
    lib.whittle_model_decode.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64] + \
        [ctypes.c_void_p] * 4
    workspace = np.zeros(lib.whittle_model_decode_workspace_size() + 64, np.uint8)
    state = np.zeros(state_bytes, np.uint8)
    total = seq.shape[1]
    out = np.zeros((1, total, vocab), np.float32)
    pos = 0
    while pos < total:
        n = min(chunk, prompt - pos) if pos < prompt else 1
        width = chunk if n > 1 else 1
        tokens = np.zeros((1, width), np.int64)
        tokens[0, :n] = seq[0, pos:pos + n]
        result = np.zeros((1, width, vocab), np.float32)
        outputs = (ctypes.c_void_p * 1)(result.ctypes.data)
        rc = lib.whittle_model_decode(width, tokens.ctypes.data, pos, state.ctypes.data,
                                      outputs, workspace.ctypes.data, None)
        if rc != 0:
            sys.exit(f"error: whittle_model_decode returned {rc}")
        out[0, pos:pos + n] = result[0, :n]
        pos += n
    return out


if __name__ == "__main__":
    sys.exit(main())
