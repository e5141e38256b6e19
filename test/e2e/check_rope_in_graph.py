#!/usr/bin/env python3
"""A Llama-style attention block as newer Hugging Face code writes it: the
rotary cos/sin computed in the graph from position ids (inv_freq @
positions, then Cos and Sin; positions from 1000 on, so that the arguments
reach a thousand radians), rotate_half, and a causal softmax attention.
Exported by torch.onnx, compiled, and compared with PyTorch at 1e-4; the
report must show the attention fused.

    check_rope_in_graph.py --work DIR
"""
import argparse
import json
import math
import os
import subprocess
import sys

import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

B, T, H, D = 2, 24, 4, 16


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(H * D, H * D, bias=False) for _ in range(4))
        inv_freq = 1.0 / (10000 ** (torch.arange(0, D, 2).float() / D))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x, position_ids):
        b, t, _ = x.shape
        heads = lambda p: p(x).view(b, t, H, D).transpose(1, 2)  # noqa: E731
        q, k, v = heads(self.q), heads(self.k), heads(self.v)
        freqs = (self.inv_freq[None, :, None].expand(b, -1, 1) @
                 position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]

        def rotate_half(u):
            return torch.cat((-u[..., D // 2:], u[..., :D // 2]), dim=-1)

        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        scores = q @ k.transpose(-1, -2) / math.sqrt(D)
        mask = torch.triu(torch.full((t, t), float("-inf")), 1)
        p = torch.softmax(scores + mask, dim=-1)
        return self.o((p @ v).transpose(1, 2).reshape(b, t, H * D))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(os.path.join(args.work, "td"), exist_ok=True)
    os.chdir(args.work)
    torch.manual_seed(0)
    model = Block().eval()
    x = torch.randn(B, T, H * D)
    positions = torch.arange(T).unsqueeze(0).expand(B, T).contiguous() + 1000
    with torch.no_grad():
        y = model(x, positions)
    torch.onnx.export(model, (x, positions), "rope.onnx", opset_version=17,
                      input_names=["x", "position_ids"], output_names=["y"])
    for i, (name, array) in enumerate((("x", x.numpy()), ("position_ids", positions.numpy()))):
        with open(f"td/input_{i}.pb", "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())
    with open("td/output_0.pb", "wb") as f:
        f.write(numpy_helper.from_array(y.numpy(), "y").SerializeToString())
    ops = sorted({n.op_type for n in onnx.load("rope.onnx").graph.node})
    print("ops:", " ".join(ops), flush=True)
    subprocess.run(["whittle-compile", "rope.onnx", "-o", "rope.so", "--report=report.json"],
                   check=True)
    with open("report.json") as f:
        attention = json.load(f)["attention"]
    print(f"attention: {attention['fused']} fused, {attention['unfused_softmax']} unfused",
          flush=True)
    return subprocess.run(["whittle-run", "rope.so", "--test-data", "td", "--atol",
                           "1e-4"]).returncode


if __name__ == "__main__":
    sys.exit(main())
