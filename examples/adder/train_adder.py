#!/usr/bin/env python3
"""Trains a tiny GPT-style decoder to add two 3-digit numbers and exports it.

The model reads "123+456=" and writes the sum's digits least significant
first ("9750" for 579, padded to 4 digits) followed by '$'. Writing the sum
reversed lets each digit depend only on digits already seen, which a small
decoder learns quickly; the demo prints the sum in the usual order.

Usage: /usr/bin/python3 train_adder.py --out adder.onnx [--steps 1200]
"""
import argparse
import random

import torch
import torch.nn as nn

VOCAB = "0123456789+=$"
SEQ = 16  # fixed model input length; prompts are padded with '$'
PROMPT_LEN = 8  # "123+456="
ANSWER_LEN = 5  # 4 reversed digits + '$'


def encode(s):
    return [VOCAB.index(c) for c in s]


def example(rng):
    a, b = rng.randrange(1000), rng.randrange(1000)
    text = f"{a:03d}+{b:03d}=" + f"{a + b:04d}"[::-1] + "$"
    return text + "$" * (SEQ + 1 - len(text))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)
        self.register_buffer("mask", torch.tril(torch.ones(SEQ, SEQ)).bool())

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, t, h, d // h).transpose(1, 2)
        k = k.view(b, t, h, d // h).transpose(1, 2)
        v = v.view(b, t, h, d // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / (d // h) ** 0.5)
        att = att.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.out(torch.nn.functional.gelu(self.fc(self.ln2(x))))


class Adder(nn.Module):
    def __init__(self, d=64, heads=4, layers=2):
        super().__init__()
        self.tok = nn.Embedding(len(VOCAB), d)
        self.pos = nn.Parameter(torch.zeros(1, SEQ, d))
        self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, len(VOCAB))

    def forward(self, ids):
        x = self.tok(ids) + self.pos[:, : ids.shape[1]]
        return self.head(self.ln(self.blocks(x)))


def accuracy(model, rng, n=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for _ in range(n):
            text = example(rng)
            ids = encode(text[:PROMPT_LEN]) + [VOCAB.index("$")] * (SEQ - PROMPT_LEN)
            for pos in range(PROMPT_LEN, PROMPT_LEN + ANSWER_LEN):
                logits = model(torch.tensor([ids]))
                ids[pos] = int(logits[0, pos - 1].argmax())
            correct += "".join(VOCAB[i] for i in ids[:PROMPT_LEN + ANSWER_LEN]) == text[:PROMPT_LEN + ANSWER_LEN]
    model.train()
    return correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="adder.onnx")
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    rng = random.Random(0)
    model = Adder()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=args.steps)
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    # Only the answer positions are scored.
    weight = torch.zeros(SEQ)
    weight[PROMPT_LEN - 1 : PROMPT_LEN - 1 + ANSWER_LEN] = 1.0
    for step in range(args.steps):
        batch = torch.tensor([encode(example(rng)) for _ in range(256)])
        logits = model(batch[:, :SEQ])
        loss = loss_fn(logits.reshape(-1, len(VOCAB)), batch[:, 1:].reshape(-1))
        loss = (loss.view(-1, SEQ) * weight).sum() / (weight.sum() * batch.shape[0])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0 or step == args.steps - 1:
            print(f"step {step} loss {loss.item():.4f}", flush=True)
    acc = accuracy(model, random.Random(1))
    print(f"held-out exact-match accuracy: {acc:.3f}")
    model.eval()
    torch.onnx.export(model, torch.zeros(1, SEQ, dtype=torch.long), args.out,
                      input_names=["input_ids"], output_names=["logits"],
                      opset_version=14, do_constant_folding=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
