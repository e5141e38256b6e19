#!/usr/bin/env python3
"""Quantization-aware-training exports from PyTorch against ONNX Runtime run
with its graph optimizations disabled (the graph's exact semantics).

    check_torch_qat.py --work DIR [--atol 1e-3]

A small transformer feed-forward block (LayerNorm, Linear, GELU, Linear, a
residual; 3 Linears in all) is prepared for QAT with eager-mode
torch.ao.quantization (fake-quantized uint8 activations per tensor, int8
weights per output channel or per tensor), trained for a few steps and
exported by torch.onnx. PyTorch spells the weights unlike ONNX Runtime's
quantizer: QuantizeLinear of the float weight, then DequantizeLinear, then
Gemm(transB=1) for 2-D activations or Transpose + MatMul for 3-D ones. Each
of the four forms must compile with every Linear folded to int8 weights
(whittle-fold-quantization; the report's counts are printed) and match ONNX
Runtime's outputs at --atol. Exits 77 when node or onnxruntime-node is
unavailable.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_model  # noqa: E402

ORT_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                       "ort_run.js")
Q = torch.ao.quantization


class FeedForward(nn.Module):
    def __init__(self, d=32, hidden=64):
        super().__init__()
        self.quant = Q.QuantStub()
        self.proj = nn.Linear(d, d)
        self.norm = nn.LayerNorm(d)
        self.up = nn.Linear(d, hidden)
        self.act = nn.GELU()
        self.down = nn.Linear(hidden, d)
        self.dequant = Q.DeQuantStub()

    def forward(self, x):
        h = self.proj(self.quant(x))
        return self.dequant(self.down(self.act(self.up(self.norm(h)))))


def export(path, per_channel, rank):
    torch.manual_seed(0)
    model = FeedForward()
    weight_qscheme = torch.per_channel_symmetric if per_channel else torch.per_tensor_symmetric
    weight_observer = (Q.MovingAveragePerChannelMinMaxObserver if per_channel
                       else Q.MovingAverageMinMaxObserver)
    model.qconfig = Q.QConfig(
        activation=Q.FakeQuantize.with_args(observer=Q.MovingAverageMinMaxObserver,
                                            quant_min=0, quant_max=255, dtype=torch.quint8),
        weight=Q.FakeQuantize.with_args(observer=weight_observer, quant_min=-128,
                                        quant_max=127, dtype=torch.qint8,
                                        qscheme=weight_qscheme))
    model.train()
    Q.prepare_qat(model, inplace=True)
    shape = (6, 32) if rank == 2 else (2, 3, 32)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(10):
        x = torch.randn(*shape)
        loss = (model(x) - x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    model.apply(Q.disable_observer)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    torch.onnx.export(model, (x,), path, opset_version=13, input_names=["x"],
                      output_names=["y"])
    return x.numpy()


def run(cmd, **kw):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    r = subprocess.run(cmd, **kw)
    if r.returncode != 0:
        print("error: command failed", file=sys.stderr, flush=True)
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--atol", default="1e-3")
    args = p.parse_args()
    node = check_model.check_onnxruntime()
    os.makedirs(args.work, exist_ok=True)
    for per_channel in (True, False):
        for rank in (2, 3):
            form = f"{'per-channel' if per_channel else 'per-tensor'}, rank {rank}"
            base = os.path.join(args.work, f"qat_{int(per_channel)}_{rank}")
            x = export(base + ".onnx", per_channel, rank)
            ops = sorted({n.op_type for n in onnx.load(base + ".onnx").graph.node})
            print(f"{form}: {', '.join(ops)}", flush=True)
            data = base + ".data"
            shutil.rmtree(data, ignore_errors=True)
            os.makedirs(data)
            with open(os.path.join(data, "input_0.pb"), "wb") as f:
                f.write(numpy_helper.from_array(x, "x").SerializeToString())
            expected = base + ".ort"
            shutil.rmtree(expected, ignore_errors=True)
            run([node, ORT_RUN, base + ".onnx", "--iterations", "0", "--optimization",
                 "disabled", "--output-dir", expected, "--input",
                 os.path.join(data, "input_0.pb")], stdout=subprocess.DEVNULL)
            with open(os.path.join(data, "output_0.pb"), "wb") as f:
                f.write(numpy_helper.from_array(
                    np.load(os.path.join(expected, "y.npy")), "y").SerializeToString())
            report = base + ".report.json"
            run(["whittle-compile", base + ".onnx", "-o", base + ".so", "--report=" + report])
            with open(report) as f:
                q = json.load(f)["quantization"]
            print(f"report: {q['matmuls_int8']} int8, {q['matmuls_fp32']} fp32", flush=True)
            run(["whittle-run", base + ".so", "--test-data", data, "--atol", args.atol])
            print(f"{form}: ok", flush=True)


if __name__ == "__main__":
    main()
