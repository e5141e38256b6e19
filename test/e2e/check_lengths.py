#!/usr/bin/env python3
"""Checks that one library computes a model at every sequence length up to
its bound.

    check_lengths.py NAME --cache DIR --work DIR --max-tokens 64
                     [--chunk 16 | --bounded] [--lengths 1 17 48 64]
                     [--pad-mask] [--atol 1e-4] [--reference numpy|torch]

The zoo model NAME (a dynamic-axes export) is compiled once, with
--decode=MAX:CHUNK (a causal decoder: whittle_session_decode_sequence runs
prefill chunks and single steps over the key/value cache), or with
--bounded as `--input-shape input_ids=1x?MAX` (any model: the length
variants of whittle-build-length-variants). For each length N, random token
ids [1, N] with an all-ones mask (--pad-mask: its last quarter zero, a
padded sequence, where N >= 4) are written as test data with every output
from the numpy ONNX interpreter (test/python/onnx_numpy_ref.py, independent
of Whittle) on the exported graph, or with --reference torch from the
PyTorch module the zoo exported, and `whittle-run --test-data` runs them
through the one library and compares.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

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
    p.add_argument("--max-tokens", type=int, required=True)
    p.add_argument("--chunk", type=int, default=16)
    p.add_argument("--bounded", action="store_true",
                   help="compile with a bounded sequence axis instead of --decode")
    p.add_argument("--variants", help="--length-variants for --bounded")
    p.add_argument("--pad-mask", action="store_true",
                   help="zero the last quarter of the mask (N >= 4)")
    p.add_argument("--lengths", type=int, nargs="+", default=[1, 17, 48, 64])
    p.add_argument("--atol", default="1e-4")
    p.add_argument("--reference", choices=["numpy", "torch"], default="numpy",
                   help="the numpy ONNX interpreter on the exported graph, or "
                        "the PyTorch module it was exported from")
    args = p.parse_args()

    model_dir = check_model.ensure_model(args.cache, args.name)
    onnx_path = os.path.join(model_dir, "model.onnx")
    model = onnx.load(onnx_path)
    inputs, vocab = check_model.decoder_signature(model)
    outputs = [o.name for o in model.graph.output]
    if not args.bounded:
        outputs = outputs[:1]  # the logits
    os.makedirs(args.work, exist_ok=True)

    lib = os.path.join(args.work, f"{args.name}_upto{args.max_tokens}.so")
    if args.bounded:
        flags = [f"--input-shape={inputs[0]}=1x?{args.max_tokens}"]
        if args.variants:
            flags.append(f"--length-variants={args.variants}")
    else:
        flags = [f"--decode={args.max_tokens}:{args.chunk}"]
    check_model.run(["whittle-compile", onnx_path, *flags, "-o", lib])

    def reference(feeds):
        return onnx_numpy_ref.run(model, feeds)[:len(outputs)]

    if args.reference == "torch":
        # The zoo's module as check_model.ensure_model exported it (seed 0).
        import torch
        sys.path.insert(0, os.path.join(HERE, "..", "models"))
        import make_models
        module = make_models.build(make_models.zoo()[args.name], 0)[0].eval()

        def reference(feeds):  # noqa: F811
            with torch.no_grad():
                out = module(*[torch.from_numpy(feeds[n]) for n in inputs])
            out = out if isinstance(out, (tuple, list)) else [out]
            return [o.numpy() for o in out[:len(outputs)]]

    rng = np.random.default_rng(11)
    for n in args.lengths:
        ids = rng.integers(0, vocab, size=(1, n)).astype(np.int64)
        feeds = {inputs[0]: ids}
        for name in inputs[1:]:
            feeds[name] = np.ones_like(ids)
            if args.pad_mask and n >= 4:
                feeds[name][:, n - n // 4:] = 0
        expected = reference(feeds)
        data = os.path.join(args.work, f"length_{n}")
        os.makedirs(data, exist_ok=True)
        for k, name in enumerate(inputs):
            with open(os.path.join(data, f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(feeds[name], name).SerializeToString())
        for k, (name, value) in enumerate(zip(outputs, expected)):
            with open(os.path.join(data, f"output_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(value, name).SerializeToString())
        print(f"length {n}:", flush=True)
        check_model.run(["whittle-run", lib, "--test-data", data, "--atol", args.atol])
    print(f"{args.name}: lengths {' '.join(map(str, args.lengths))} from one library: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
