#!/usr/bin/env python3
"""Builds the Whittle model zoo: small transformer models exported to ONNX
with reference inputs and outputs computed by PyTorch.

Every model NAME is written as

    OUT/NAME/model.onnx
    OUT/NAME/test_data_set_0/input_K.pb, output_K.pb   (ONNX TensorProtos)
    OUT/NAME/compile_flags.txt                         (whittle-compile flags)
    OUT/NAME/ops.txt                                   (ONNX op types, one a line)

Weights are random with fixed seeds; outputs are computed in fp32, eval mode.
The models are written in plain torch.nn in the style of the Hugging Face
implementations (BERT, GPT-2, ViT, Llama) so that their ONNX exports contain the
same op patterns as real exports, restricted to the ops Whittle supports
(see SUPPORTED_OPS). Model code avoids constructs that torch 1.13 exports to
unsupported ops:
  * in-place masked assignment (x[mask] = v) exports ScatterND: masks are
    applied with torch.where / additive masks instead;
  * nn.MultiheadAttention and F.scaled_dot_product_attention are not used
    (attention is written out with matmul/softmax);
  * F.pad / Einsum are not used.
Other export facts worth knowing:
  * torch 1.13 emits LayerNormalization for nn.LayerNorm only at opset 17;
    at opset 14 (vit_tiny_static) it decomposes it like GPT-2's hand-written
    version (ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add);
  * GPT-2's causal mask (Where with finfo.min) plus its padding mask
    ((1 - mask) * finfo.min) gives -inf for padded keys above the diagonal,
    as in the Hugging Face code; softmax rows always keep a finite entry;
  * the tied LM head (x @ wte.T) gets a second, transposed copy of the
    embedding as an initializer after constant folding;
  * gpt2 uses addmm -> Gemm on 2-D views (Reshape around it); BERT and ViT
    use nn.Linear -> MatMul + Add, with Gemm only for the 2-D pooler/head;
  * Llama's rsqrt exports as Sqrt + Div, silu as Sigmoid + Mul, the float32
    softmax as Cast + Softmax, and repeat_kv's expand as Expand with a shape
    built by ConstantOfShape/Equal/Where (the -1 handling of expand);
  * bert_tiny_opset11 and vit_tiny_opset12 are exported below MIN_OPSET
    (test/python/whittle_onnx_ops.py): axes/split are attributes there and
    Softmax coerces its input to 2-D; whittle-compile upgrades them itself.

Usage:
    /usr/bin/python3 make_models.py --out DIR [--only NAME ...] [--big] [--list]
Without --only, all small models are written; --big adds the benchmark-size
models (bert_base, gpt2_small), which --only can also name directly.
"""
import argparse
import math
import os
import sys
import time
import warnings

import numpy as np
import onnx
import onnx.checker
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from whittle_onnx_ops import SUPPORTED_OPS  # noqa: E402  (test/python)


def init_weights(module, std):
    """HF-style init, but with non-trivial LayerNorm parameters and biases
    so that scale/bias handling is exercised by the tests."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.normal_(m.bias, std=std)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=std)
        elif isinstance(m, nn.LayerNorm):
            nn.init.normal_(m.weight, mean=1.0, std=0.1)
            nn.init.normal_(m.bias, std=0.1)
        elif isinstance(m, LlamaRMSNorm):
            nn.init.normal_(m.weight, mean=1.0, std=0.1)
    for name, p in module.named_parameters(recurse=True):
        if name.endswith("ln_weight"):
            nn.init.normal_(p, mean=1.0, std=0.1)
        elif name.endswith("ln_bias"):
            nn.init.normal_(p, std=0.1)


# ----------------------------------------------------------------------------
# BERT: encoder, nn.LayerNorm, erf GELU, HF-style extended attention mask.
# ----------------------------------------------------------------------------
class BertConfig:
    def __init__(self, vocab=512, hidden=64, layers=2, heads=4, inter=128,
                 max_pos=64, type_vocab=2, eps=1e-12, mask_min="finfo"):
        self.vocab, self.hidden, self.layers, self.heads = vocab, hidden, layers, heads
        self.inter, self.max_pos, self.type_vocab, self.eps = inter, max_pos, type_vocab, eps
        self.mask_min = mask_min  # "finfo" (current HF) or "10000" (older HF)


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab, c.hidden)
        self.position_embeddings = nn.Embedding(c.max_pos, c.hidden)
        self.token_type_embeddings = nn.Embedding(c.type_vocab, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(c.max_pos).expand((1, -1)))
        self.register_buffer("token_type_ids",
                             torch.zeros(self.position_ids.size(), dtype=torch.long))

    def forward(self, input_ids):
        seq = input_ids.size(1)
        position_ids = self.position_ids[:, :seq]
        token_type_ids = self.token_type_ids[:, :seq].expand(input_ids.size(0), seq)
        x = (self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
             + self.position_embeddings(position_ids))
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.head_dim = c.heads, c.hidden // c.heads
        self.query = nn.Linear(c.hidden, c.hidden)
        self.key = nn.Linear(c.hidden, c.hidden)
        self.value = nn.Linear(c.hidden, c.hidden)
        self.dropout = nn.Dropout(0.1)

    def split_heads(self, x):
        x = x.view(x.size()[:-1] + (self.heads, self.head_dim))
        return x.permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = self.dropout(F.softmax(scores + mask, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.heads * self.head_dim,))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertSelfAttention(c)
        self.attn_out = nn.Linear(c.hidden, c.hidden)
        self.attn_ln = nn.LayerNorm(c.hidden, eps=c.eps)
        self.intermediate = nn.Linear(c.hidden, c.inter)
        self.output = nn.Linear(c.inter, c.hidden)
        self.out_ln = nn.LayerNorm(c.hidden, eps=c.eps)

    def forward(self, x, mask):
        x = self.attn_ln(self.attn_out(self.attention(x, mask)) + x)
        h = F.gelu(self.intermediate(x))  # erf form
        return self.out_ln(self.output(h) + x)


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embeddings = BertEmbeddings(c)
        self.layers = nn.ModuleList([BertLayer(c) for _ in range(c.layers)])
        self.pooler = nn.Linear(c.hidden, c.hidden)

    def forward(self, input_ids, attention_mask):
        x = self.embeddings(input_ids)
        # get_extended_attention_mask: [B, S] -> [B, 1, 1, S] additive mask.
        ext = attention_mask[:, None, None, :].to(x.dtype)
        neg = torch.finfo(x.dtype).min if self.c.mask_min == "finfo" else -10000.0
        ext = (1.0 - ext) * neg
        for layer in self.layers:
            x = layer(x, ext)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


# ----------------------------------------------------------------------------
# GPT-2: decoder, hand-decomposed layer norm, Conv1D (addmm) projections,
# fused qkv + split, Trilu/Where causal mask, gelu_new (tanh form).
# ----------------------------------------------------------------------------
class Gpt2Config:
    def __init__(self, vocab=384, hidden=64, layers=2, heads=4, max_pos=64, eps=1e-5):
        self.vocab, self.hidden, self.layers, self.heads = vocab, hidden, layers, heads
        self.max_pos, self.eps = max_pos, eps


class Conv1D(nn.Module):
    """GPT-2's transposed linear layer: y = x @ W + b via addmm."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf).normal_(std=0.02))
        self.bias = nn.Parameter(torch.zeros(nf).normal_(std=0.02))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class DecomposedLayerNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.ln_weight = nn.Parameter(torch.ones(n))
        self.ln_bias = nn.Parameter(torch.zeros(n))
        self.eps = eps

    def forward(self, x):
        u = x.mean(-1, keepdim=True)
        s = (x - u).pow(2).mean(-1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.ln_weight * x + self.ln_bias


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Gpt2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.hidden, self.heads, self.head_dim = c.hidden, c.heads, c.hidden // c.heads
        self.c_attn = Conv1D(3 * c.hidden, c.hidden)
        self.c_proj = Conv1D(c.hidden, c.hidden)

    def split_heads(self, x):
        x = x.view(x.size()[:-1] + (self.heads, self.head_dim))
        return x.permute(0, 2, 1, 3)

    def forward(self, x, pad_mask):
        q, k, v = self.c_attn(x).split(self.hidden, dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        n = w.size(-1)
        # Causal mask computed in the graph: ones -> Trilu -> Cast(bool).
        causal = torch.tril(torch.ones(n, n, dtype=w.dtype)).to(torch.bool)
        w = torch.where(causal[None, None], w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        w = F.softmax(w + pad_mask, dim=-1)
        a = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        a = a.view(a.size()[:-2] + (self.hidden,))
        return self.c_proj(a)


class Gpt2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = DecomposedLayerNorm(c.hidden, c.eps)
        self.attn = Gpt2Attention(c)
        self.ln_2 = DecomposedLayerNorm(c.hidden, c.eps)
        self.c_fc = Conv1D(4 * c.hidden, c.hidden)
        self.c_proj = Conv1D(c.hidden, 4 * c.hidden)

    def forward(self, x, pad_mask):
        x = x + self.attn(self.ln_1(x), pad_mask)
        return x + self.c_proj(gelu_new(self.c_fc(self.ln_2(x))))


class Gpt2(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c.vocab, c.hidden)
        self.wpe = nn.Embedding(c.max_pos, c.hidden)
        self.h = nn.ModuleList([Gpt2Block(c) for _ in range(c.layers)])
        self.ln_f = DecomposedLayerNorm(c.hidden, c.eps)

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(-1)
        position_ids = torch.arange(0, seq, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        pad = attention_mask[:, None, None, :].to(x.dtype)
        pad = (1.0 - pad) * torch.finfo(x.dtype).min
        for block in self.h:
            x = block(x, pad)
        x = self.ln_f(x)
        return torch.matmul(x, self.wte.weight.t())  # tied LM head


# ----------------------------------------------------------------------------
# ViT: Conv2d patch embedding, cls token (Concat), position embedding,
# pre-norm encoder, classifier on the cls token.
# ----------------------------------------------------------------------------
class VitConfig:
    def __init__(self, image=32, patch=8, channels=3, hidden=48, layers=2, heads=3,
                 inter=96, classes=10, eps=1e-6):
        self.image, self.patch, self.channels = image, patch, channels
        self.hidden, self.layers, self.heads, self.inter = hidden, layers, heads, inter
        self.classes, self.eps = classes, eps


class VitLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.head_dim = c.heads, c.hidden // c.heads
        self.ln_before = nn.LayerNorm(c.hidden, eps=c.eps)
        self.qkv = nn.Linear(c.hidden, 3 * c.hidden)
        self.proj = nn.Linear(c.hidden, c.hidden)
        self.ln_after = nn.LayerNorm(c.hidden, eps=c.eps)
        self.fc1 = nn.Linear(c.hidden, c.inter)
        self.fc2 = nn.Linear(c.inter, c.hidden)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(self.ln_before(x)).reshape(b, n, 3, self.heads, self.head_dim)
        qkv = qkv.permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)) * (self.head_dim ** -0.5)
        att = att.softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, n, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln_after(x))))


class Vit(nn.Module):
    def __init__(self, c):
        super().__init__()
        n = (c.image // c.patch) ** 2
        self.patch_embed = nn.Conv2d(c.channels, c.hidden, kernel_size=c.patch, stride=c.patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, c.hidden) * 0.1)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, c.hidden) * 0.1)
        self.layers = nn.ModuleList([VitLayer(c) for _ in range(c.layers)])
        self.ln = nn.LayerNorm(c.hidden, eps=c.eps)
        self.head = nn.Linear(c.hidden, c.classes)

    def forward(self, pixel_values):
        x = self.patch_embed(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        for layer in self.layers:
            x = layer(x)
        x = self.ln(x)
        return self.head(x[:, 0])


# ----------------------------------------------------------------------------
# Llama: decoder, RMSNorm, rotary embeddings (rotate_half), grouped-query
# attention (repeat_kv), SwiGLU MLP, no biases; as in HF LlamaModel.
# ----------------------------------------------------------------------------
class LlamaConfig:
    def __init__(self, vocab=256, hidden=64, layers=2, heads=4, kv_heads=2, inter=128,
                 max_pos=64, eps=1e-6, rope_theta=10000.0):
        self.vocab, self.hidden, self.layers, self.heads = vocab, hidden, layers, heads
        self.kv_heads, self.inter, self.max_pos, self.eps = kv_heads, inter, max_pos, eps
        self.head_dim, self.rope_theta = hidden // heads, rope_theta


class LlamaRMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        # HF computes the statistics in float32 whatever the input type.
        dtype = x.dtype
        x = x.to(torch.float32)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


class LlamaRotaryEmbedding(nn.Module):
    """cos/sin tables for all positions as buffers (HF's cos_cached and
    sin_cached); they export as initializers sliced to the sequence."""

    def __init__(self, dim, max_pos, base):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        t = torch.arange(max_pos, dtype=inv_freq.dtype)
        emb = torch.cat((torch.outer(t, inv_freq),) * 2, dim=-1)
        self.register_buffer("cos_cached", emb.cos(), persistent=False)
        self.register_buffer("sin_cached", emb.sin(), persistent=False)

    def forward(self, x, seq_len):
        return self.cos_cached[:seq_len].to(x.dtype), self.sin_cached[:seq_len].to(x.dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids):
    cos = cos[position_ids].unsqueeze(1)  # [B or 1, 1, S, D]
    sin = sin[position_ids].unsqueeze(1)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def repeat_kv(x, n_rep):
    """[B, KV, S, D] -> [B, KV * n_rep, S, D] via expand + reshape, as HF."""
    b, kv, s, d = x.shape
    if n_rep == 1:
        return x
    x = x[:, :, None, :, :].expand(b, kv, n_rep, s, d)
    return x.reshape(b, kv * n_rep, s, d)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.q_proj = nn.Linear(c.hidden, c.heads * c.head_dim, bias=False)
        self.k_proj = nn.Linear(c.hidden, c.kv_heads * c.head_dim, bias=False)
        self.v_proj = nn.Linear(c.hidden, c.kv_heads * c.head_dim, bias=False)
        self.o_proj = nn.Linear(c.heads * c.head_dim, c.hidden, bias=False)
        self.rotary_emb = LlamaRotaryEmbedding(c.head_dim, c.max_pos, c.rope_theta)

    def forward(self, x, mask, position_ids):
        c = self.c
        b, s, _ = x.size()
        q = self.q_proj(x).view(b, s, c.heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, c.kv_heads, c.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, c.kv_heads, c.head_dim).transpose(1, 2)
        cos, sin = self.rotary_emb(v, seq_len=s)
        q, k = apply_rotary_pos_emb(q, k, cos, sin, position_ids)
        k = repeat_kv(k, c.heads // c.kv_heads)
        v = repeat_kv(v, c.heads // c.kv_heads)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(c.head_dim)
        w = F.softmax(w + mask, dim=-1, dtype=torch.float32).to(q.dtype)
        a = torch.matmul(w, v).transpose(1, 2).contiguous()
        return self.o_proj(a.reshape(b, s, c.hidden))


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden, c.inter, bias=False)
        self.up_proj = nn.Linear(c.hidden, c.inter, bias=False)
        self.down_proj = nn.Linear(c.inter, c.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = LlamaRMSNorm(c.hidden, c.eps)
        self.self_attn = LlamaAttention(c)
        self.post_attention_layernorm = LlamaRMSNorm(c.hidden, c.eps)
        self.mlp = LlamaMLP(c)

    def forward(self, x, mask, position_ids):
        x = x + self.self_attn(self.input_layernorm(x), mask, position_ids)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab, c.hidden)
        self.layers = nn.ModuleList([LlamaDecoderLayer(c) for _ in range(c.layers)])
        self.norm = LlamaRMSNorm(c.hidden, c.eps)
        self.lm_head = nn.Linear(c.hidden, c.vocab, bias=False)  # untied

    def forward(self, input_ids, attention_mask):
        b, s = input_ids.size()
        x = self.embed_tokens(input_ids)
        position_ids = torch.arange(s, dtype=torch.long).unsqueeze(0)
        # _prepare_4d_causal_attention_mask: causal [S, S] mask of finfo.min
        # above the diagonal plus the inverted padding mask; both are finfo.min
        # where they overlap, so padded keys above the diagonal get -inf.
        neg = torch.finfo(x.dtype).min
        idx = torch.arange(s)
        causal = torch.where(idx[None, :] <= idx[:, None], torch.tensor(0.0, dtype=x.dtype),
                             torch.tensor(neg, dtype=x.dtype))
        pad = 1.0 - attention_mask[:, None, None, :].to(x.dtype)
        pad = torch.where(pad.to(torch.bool), torch.tensor(neg, dtype=x.dtype), pad)
        mask = causal[None, None, :, :] + pad
        for layer in self.layers:
            x = layer(x, mask, position_ids)
        return self.lm_head(self.norm(x))


# ----------------------------------------------------------------------------
# The zoo.
# ----------------------------------------------------------------------------
def text_inputs(vocab, batch, seq, seed, padded=True):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (batch, seq), generator=g, dtype=torch.long)
    mask = torch.ones(batch, seq, dtype=torch.long)
    if padded:
        # Right padding of different lengths; every row keeps valid tokens, so
        # no attention row is fully masked.
        for b in range(batch):
            pad = (3 * b + 2) % max(seq // 2, 1)
            if pad:
                mask[b, seq - pad:] = 0
    return ids, mask


# Each entry: family, config factory, opset, dynamic axes, export shape, test shape.
# Dynamic models are exported with one shape and tested with another, so a
# compiler that bakes the export shape in fails.
def kill_heads(model, c):
    """The kill-heads form: heads 1, 3, 4 and 6 of every layer dead, their
    rows of the output projection zeroed (what head-pruning tools leave
    when they zero weights instead of slicing them)."""
    d = c.hidden // c.heads
    with torch.no_grad():
        for block in model.h:
            for h in (1, 3, 4, 6):
                block.attn.c_proj.weight[h * d:(h + 1) * d, :] = 0


def kill_forms(model, c):
    """Dead structure in every form, and decoys that must stay. Layer 0:
    head 2's value columns and bias zero (dead), head 5's output rows zero
    (dead), head 0's query and key weights zero (alive: uniform softmax),
    head 7's output rows zero but one weight (alive). Layer 1: a quarter
    of the FFN neurons with zero rows in the down projection (dead)."""
    d, n = c.hidden // c.heads, c.hidden
    with torch.no_grad():
        attn = model.h[0].attn
        v = slice(2 * n + 2 * d, 2 * n + 3 * d)
        attn.c_attn.weight[:, v] = 0
        attn.c_attn.bias[v] = 0
        attn.c_proj.weight[5 * d:6 * d, :] = 0
        for qk in (slice(0, d), slice(n, n + d)):
            attn.c_attn.weight[:, qk] = 0
            attn.c_attn.bias[qk] = 0
        attn.c_proj.weight[7 * d:8 * d, :] = 0
        attn.c_proj.weight[7 * d + 1, 3] = 0.05
        down = model.h[1].c_proj.weight
        down[0:down.shape[0]:4, :] = 0


def kill_bert(model, c):
    """Half of the heads (the even ones) and a quarter of the FFN neurons
    (every fourth) of every layer dead: zero output-projection rows and
    zero down-projection rows (columns of the PyTorch [out, in] weights).
    About 0.67x the FLOPs of the full model once cut."""
    d = c.hidden // c.heads
    with torch.no_grad():
        for layer in model.layers:
            for h in range(0, c.heads, 2):
                layer.attn_out.weight[:, h * d:(h + 1) * d] = 0
            layer.output.weight[:, 0::4] = 0


def zoo():
    Z = {}

    def bert(name, dynamic, opset=17, big=False, kill=None):
        # Older HF code masks with -10000, newer with finfo(float32).min.
        mask_min = "finfo" if dynamic else "10000"
        c = BertConfig(vocab=30522, hidden=768, layers=12, heads=12, inter=3072,
                       max_pos=512, mask_min=mask_min) if big else BertConfig(mask_min=mask_min)
        export = (1, 128) if big else (2, 16)
        test = export if not dynamic else (1, 11)
        Z[name] = dict(family="bert", cfg=c, opset=opset, dynamic=dynamic, big=big,
                       export_shape=export, test_shape=test, kill=kill)

    def gpt2(name, dynamic, opset=14, big=False, long_seq=None, kill=None):
        c = Gpt2Config(vocab=50257, hidden=768, layers=12, heads=12, max_pos=1024) if big \
            else Gpt2Config(heads=8) if kill else Gpt2Config()
        export = (1, 128) if big else (2, 16)
        if long_seq:
            # Long-context attention: d 256, 4 heads, 2 layers at seq long_seq.
            c = Gpt2Config(vocab=8192, hidden=256, layers=2, heads=4, max_pos=long_seq)
            export = (1, long_seq)
        test = export if not dynamic else (1, 9)
        Z[name] = dict(family="gpt2", cfg=c, opset=opset, dynamic=dynamic, big=big,
                       export_shape=export, test_shape=test, kill=kill)

    def llama(name, dynamic, opset):
        c = LlamaConfig()
        export = (2, 16)
        test = export if not dynamic else (3, 11)
        Z[name] = dict(family="llama", cfg=c, opset=opset, dynamic=dynamic, big=False,
                       export_shape=export, test_shape=test)

    def vit(name, dynamic, opset):
        c = VitConfig()
        export = (2, c.channels, c.image, c.image)
        test = export if not dynamic else (3, c.channels, c.image, c.image)
        Z[name] = dict(family="vit", cfg=c, opset=opset, dynamic=dynamic, big=False,
                       export_shape=export, test_shape=test)

    bert("bert_tiny_static", False)
    bert("bert_tiny_dynamic", True)
    gpt2("gpt2_tiny_static", False)
    gpt2("gpt2_tiny_dynamic", True)
    vit("vit_tiny_static", False, opset=14)
    vit("vit_tiny_dynamic", True, opset=17)
    llama("llama_tiny_static", False, opset=14)
    llama("llama_tiny_dynamic", True, opset=17)
    # Old-opset exports: whittle-compile upgrades them to MIN_OPSET itself.
    bert("bert_tiny_opset11", False, opset=11)
    vit("vit_tiny_opset12", False, opset=12)
    bert("bert_base", False, big=True)
    gpt2("gpt2_small", False, big=True)
    # Dynamic sequence axis: decoding (--decode) and its benchmark.
    gpt2("gpt2_small_dynamic", True, big=True)
    # Any sequence length up to a bound (--input-shape input_ids=1x?128).
    bert("bert_base_dynamic", True, big=True)
    gpt2("gpt2_long", False, big=True, long_seq=2048)
    # Dead structure for whittle-prune-dead-heads (8 heads of 8 dims).
    gpt2("gpt2_tiny_killheads", False, kill=kill_heads)
    bert("bert_tiny_killed", False, kill=kill_bert)
    bert("bert_base_killed", False, big=True, kill=kill_bert)
    gpt2("gpt2_tiny_deadforms", False, kill=kill_forms)
    return Z


def build(spec, seed):
    torch.manual_seed(seed)
    fam, c = spec["family"], spec["cfg"]
    std = 0.02 if spec["big"] else 0.1
    if fam == "bert":
        model = Bert(c)
        init_weights(model, std)
        if spec.get("kill"):
            spec["kill"](model, c)
        in_names, out_names = ["input_ids", "attention_mask"], ["last_hidden_state", "pooler_output"]
        axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                "last_hidden_state": {0: "batch", 1: "seq"}, "pooler_output": {0: "batch"}}

        def inputs(shape, s):
            return text_inputs(c.vocab, shape[0], shape[1], s)
    elif fam == "gpt2":
        model = Gpt2(c)
        init_weights(model, std)
        if spec.get("kill"):
            spec["kill"](model, c)
        in_names, out_names = ["input_ids", "attention_mask"], ["logits"]
        axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                "logits": {0: "batch", 1: "seq"}}

        def inputs(shape, s):
            return text_inputs(c.vocab, shape[0], shape[1], s)
    elif fam == "llama":
        model = Llama(c)
        init_weights(model, std)
        in_names, out_names = ["input_ids", "attention_mask"], ["logits"]
        axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                "logits": {0: "batch", 1: "seq"}}

        def inputs(shape, s):
            return text_inputs(c.vocab, shape[0], shape[1], s)
    elif fam == "vit":
        model = Vit(c)
        init_weights(model, std)
        in_names, out_names = ["pixel_values"], ["logits"]
        axes = {"pixel_values": {0: "batch"}, "logits": {0: "batch"}}

        def inputs(shape, s):
            g = torch.Generator().manual_seed(s)
            return (torch.randn(*shape, generator=g),)
    else:
        raise ValueError(fam)
    model.eval()
    return model, in_names, out_names, (axes if spec["dynamic"] else None), inputs


class GPT2WithPast(nn.Module):
    """A zoo GPT-2 module taking and returning a key/value cache, as Hugging
    Face decoders are exported: forward(input_ids, attention_mask,
    past_0_key, past_0_value, ...) -> (logits, present_0_key, ...), the
    presents being the pasts with this call's keys and values appended."""

    def __init__(self, model, cfg):
        super().__init__()
        self.m = model
        self.cfg = cfg

    def forward(self, input_ids, attention_mask, *past):
        m, c = self.m, self.cfg
        t, p = input_ids.shape[1], past[0].shape[2]
        pos = torch.arange(p, p + t, dtype=torch.long).unsqueeze(0)
        x = m.wte(input_ids) + m.wpe(pos)
        pad = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        causal = torch.ones(t, p + t, dtype=torch.bool).tril(p)
        dim = c.hidden // c.heads
        presents = []
        for i, block in enumerate(m.h):
            a = block.attn
            q, k, v = a.c_attn(block.ln_1(x)).split(c.hidden, dim=2)
            q, k, v = a.split_heads(q), a.split_heads(k), a.split_heads(v)
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dim)
            w = torch.where(causal[None, None], w,
                            torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
            w = F.softmax(w + pad, dim=-1)
            o = torch.matmul(w, v).permute(0, 2, 1, 3).reshape(1, t, c.hidden)
            x = x + a.c_proj(o)
            x = x + block.c_proj(gelu_new(block.c_fc(block.ln_2(x))))
        logits = torch.matmul(m.ln_f(x), m.wte.weight.t())
        return (logits, *presents)


def export_gpt2_with_past(name, path):
    """Exports the GPT-2-style zoo model NAME (seed 0, the weights of its
    make() export) with past_key_values.N.key/value inputs (dynamic past
    length) and present.N.key/value outputs to PATH unless it exists.
    Returns (the wrapped torch module, the past input names)."""
    spec = zoo()[name]
    model, *_ = build(spec, 0)
    c = spec["cfg"]
    wrapped = GPT2WithPast(model, c).eval()
    names = [f"past_key_values.{i}.{kv}" for i in range(c.layers) for kv in ("key", "value")]
    outs = ["logits"] + [f"present.{i}.{kv}" for i in range(c.layers) for kv in ("key", "value")]
    if not os.path.exists(path):
        past = [torch.zeros(1, c.heads, 3, c.hidden // c.heads) for _ in names]
        axes = {"input_ids": {1: "seq"}, "attention_mask": {1: "total"}, "logits": {1: "seq"}}
        axes.update({n: {2: "past"} for n in names})
        axes.update({n: {2: "total"} for n in outs[1:]})
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(wrapped, (torch.zeros(1, 2, dtype=torch.long),
                                        torch.ones(1, 5, dtype=torch.long), *past),
                              path, input_names=["input_ids", "attention_mask"] + names,
                              output_names=outs, dynamic_axes=axes, opset_version=14,
                              do_constant_folding=True)
    return wrapped, names


def graph_ops(model_proto):
    ops = {}

    def walk(g):
        for n in g.node:
            key = n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}::{n.op_type}"
            ops[key] = ops.get(key, 0) + 1
            for a in n.attribute:
                if a.g is not None and a.g.node:
                    walk(a.g)
                for sg in a.graphs:
                    walk(sg)
    walk(model_proto.graph)
    return ops


def write_tensor(path, array, name):
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def make(name, spec, out_dir, seed, verify):
    t0 = time.time()
    model, in_names, out_names, axes, make_inputs = build(spec, seed)
    d = os.path.join(out_dir, name)
    data = os.path.join(d, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    path = os.path.join(d, "model.onnx")

    export_args = make_inputs(spec["export_shape"], seed + 1)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, export_args, path, input_names=in_names,
                          output_names=out_names, dynamic_axes=axes,
                          opset_version=spec["opset"], do_constant_folding=True)

    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    ops = graph_ops(proto)
    unsupported = sorted(set(ops) - SUPPORTED_OPS)

    test_args = make_inputs(spec["test_shape"], seed + 2)
    with torch.no_grad():
        outs = model(*test_args)
    if isinstance(outs, torch.Tensor):
        outs = (outs,)
    graph_in = [i.name for i in proto.graph.input]
    graph_out = [o.name for o in proto.graph.output]
    assert graph_in == in_names, (graph_in, in_names)
    assert graph_out == out_names, (graph_out, out_names)
    for k, (n, a) in enumerate(zip(in_names, test_args)):
        write_tensor(os.path.join(data, f"input_{k}.pb"), a.numpy(), n)
    for k, (n, o) in enumerate(zip(out_names, outs)):
        write_tensor(os.path.join(data, f"output_{k}.pb"), o.float().numpy(), n)

    flags = []
    if spec["dynamic"]:
        for n, a in zip(in_names, test_args):
            flags.append(f"--input-shape {n}=" + "x".join(str(s) for s in a.shape))
    with open(os.path.join(d, "compile_flags.txt"), "w") as f:
        f.write(" ".join(flags) + "\n")
    with open(os.path.join(d, "ops.txt"), "w") as f:
        f.write("".join(f"{op} {cnt}\n" for op, cnt in sorted(ops.items())))

    check = ""
    if verify:
        try:
            import onnx_numpy_ref  # test/python
            got = onnx_numpy_ref.run(proto, {n: a.numpy() for n, a in zip(in_names, test_args)})
            err = max(float(np.max(np.abs(g - o.numpy()))) for g, o in zip(got, outs))
            check = f", numpy-ref max|err| {err:.2e}"
            if not err <= 1e-4:
                unsupported.append(f"<numpy reference mismatch {err:.3g}>")
        except ImportError:
            check = ", numpy-ref unavailable"
    size = os.path.getsize(path) / 2**20
    print(f"{name}: opset {spec['opset']}, {'dynamic' if spec['dynamic'] else 'static'}, "
          f"{size:.1f} MiB, test shape {'x'.join(map(str, spec['test_shape']))}, "
          f"{time.time() - t0:.1f}s{check}")
    print("  ops: " + ", ".join(f"{op}x{cnt}" for op, cnt in sorted(ops.items())))
    if unsupported:
        print(f"  NOT SUPPORTED: {', '.join(unsupported)}")
    return unsupported


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=False, help="output directory")
    p.add_argument("--only", nargs="+", metavar="NAME", help="models to write")
    p.add_argument("--big", action="store_true", help="also write the benchmark-size models")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list", action="store_true", help="print the model names and exit")
    p.add_argument("--no-verify", action="store_true",
                   help="skip running the exported graph with the numpy reference")
    args = p.parse_args()

    Z = zoo()
    if args.list:
        for n, s in Z.items():
            print(n + (" (--big)" if s["big"] else ""))
        return 0
    if not args.out:
        p.error("--out is required")
    names = args.only or [n for n, s in Z.items() if args.big or not s["big"]]
    unknown = [n for n in names if n not in Z]
    if unknown:
        p.error(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(Z)}")
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    failed = []
    for n in names:
        bad = make(n, Z[n], args.out, args.seed, not args.no_verify and not Z[n]["big"])
        if bad:
            failed.append(n)
    if failed:
        print(f"models outside the Whittle op set: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
