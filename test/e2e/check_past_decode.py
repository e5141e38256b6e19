#!/usr/bin/env python3
"""Checks --decode on an export that carries its own key/value cache.

    check_past_decode.py NAME --work DIR [--max-tokens 48] [--chunk 8]
                         [--lengths 1 13 48] [--prompt 11] [--generate 16]

The GPT-2-style zoo model NAME is exported as Hugging Face decoders are
(past_key_values.N.key/value inputs with a dynamic past length,
present.N.key/value outputs; make_models.export_gpt2_with_past) and compiled
with --decode=MAX:CHUNK and no other flag: the pasts start empty and the
session's cache replaces them, so the library takes only the tokens and the
mask. References are the PyTorch module itself:

- for each length N, the outputs with an empty past on N random tokens (the
  logits and every present, i.e. the keys and values of all N positions),
  which `whittle-run --test-data` compares with what one library computes
  through its prefill chunks and single steps;
- greedy generation, PyTorch stepping with its own pasts (one token per call,
  the presents fed back), against `whittle-run --generate`.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
sys.path.insert(0, HERE)
import check_model  # noqa: E402


def write(path, array, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--work", required=True)
    p.add_argument("--max-tokens", type=int, default=48)
    p.add_argument("--chunk", type=int, default=8)
    p.add_argument("--lengths", type=int, nargs="+", default=[1, 13, 48])
    p.add_argument("--prompt", type=int, default=11)
    p.add_argument("--generate", type=int, default=16)
    p.add_argument("--atol", default="1e-4")
    args = p.parse_args()

    import torch
    import make_models

    os.makedirs(args.work, exist_ok=True)
    onnx_path = os.path.join(args.work, args.name + "_past.onnx")
    wrapped, names = make_models.export_gpt2_with_past(args.name, onnx_path)
    cfg = make_models.zoo()[args.name]["cfg"]
    heads, dim = cfg.heads, cfg.hidden // cfg.heads

    lib = os.path.join(args.work, args.name + "_past_decode.so")
    check_model.run(["whittle-compile", onnx_path,
                     f"--decode={args.max_tokens}:{args.chunk}", "-o", lib])
    sig = subprocess.run(["whittle-run", lib], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    print(sig, end="")
    if "past_key_values" in sig:
        print("error: a past input is left in the library's signature", file=sys.stderr)
        return 1

    def empty_past():
        return [torch.zeros(1, heads, 0, dim) for _ in names]

    rng = np.random.default_rng(3)
    for n in args.lengths:
        ids = rng.integers(0, cfg.vocab, size=(1, n)).astype(np.int64)
        mask = np.ones_like(ids)
        with torch.no_grad():
            outs = wrapped(torch.from_numpy(ids), torch.from_numpy(mask), *empty_past())
        data = os.path.join(args.work, f"length_{n}")
        os.makedirs(data, exist_ok=True)
        write(os.path.join(data, "input_0.pb"), ids, "input_ids")
        write(os.path.join(data, "input_1.pb"), mask, "attention_mask")
        for k, out in enumerate(outs):
            write(os.path.join(data, f"output_{k}.pb"), out.numpy(), f"output_{k}")
        print(f"length {n}:", flush=True)
        check_model.run(["whittle-run", lib, "--test-data", data, "--atol", args.atol])

    prompt = rng.integers(0, cfg.vocab, size=(1, args.prompt)).astype(np.int64)
    got = check_model.generate(lib, "input_ids", prompt, args.work, args.generate)

    expected = []
    with torch.no_grad():
        ids = torch.from_numpy(prompt)
        past = empty_past()
        total = 0
        for _ in range(args.generate):
            total += ids.shape[1]
            logits, *past = wrapped(ids, torch.ones(1, total, dtype=torch.long), *past)
            nxt = int(logits[0, -1].argmax())
            expected.append(nxt)
            ids = torch.tensor([[nxt]])
    print("pytorch with pasts:", " ".join(map(str, expected)))
    if got != expected:
        print("error: generated tokens differ from PyTorch's", file=sys.stderr)
        return 1
    print(f"ok: {len(got)} tokens identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
