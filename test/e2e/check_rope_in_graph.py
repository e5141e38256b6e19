#!/usr/bin/env python3
"""A Llama-style attention block as newer Hugging Face code writes it: the
rotary cos/sin computed in the graph from position ids (inv_freq @
positions, then Cos and Sin; positions from 1000 on, so that the arguments
reach a thousand radians), rotate_half, and a causal softmax attention.
Exported by torch.onnx, compiled, and compared with PyTorch at 1e-4; the
report must show the attention fused.

    check_rope_in_graph.py --work DIR
"""
import argparse, json, os, subprocess, sys
import torch, torch.nn as nn, numpy as np, onnx, math
torch.manual_seed(0)
B,T,H,D=2,24,4,16
class Block(nn.Module):
    """New-style HF Llama attention: rotary cos/sin computed in the graph from
    position ids (inv_freq @ positions), then rotate_half, causal SDPA written out."""
    def __init__(s):
        super().__init__()
        s.q=nn.Linear(H*D,H*D,bias=False); s.k=nn.Linear(H*D,H*D,bias=False); s.v=nn.Linear(H*D,H*D,bias=False); s.o=nn.Linear(H*D,H*D,bias=False)
        s.register_buffer('inv_freq', 1.0/(10000**(torch.arange(0,D,2).float()/D)), persistent=False)
    def forward(s, x, position_ids):
        b,t,_=x.shape
        q=s.q(x).view(b,t,H,D).transpose(1,2); k=s.k(x).view(b,t,H,D).transpose(1,2); v=s.v(x).view(b,t,H,D).transpose(1,2)
        freqs=(s.inv_freq[None,:,None].expand(b,-1,1) @ position_ids[:,None,:].float()).transpose(1,2)
        emb=torch.cat((freqs,freqs),dim=-1); cos=emb.cos()[:,None]; sin=emb.sin()[:,None]
        rot=lambda u: torch.cat((-u[...,D//2:],u[...,:D//2]),dim=-1)
        q=q*cos+rot(q)*sin; k=k*cos+rot(k)*sin
        sc=q@k.transpose(-1,-2)/math.sqrt(D)
        mask=torch.triu(torch.full((t,t),float('-inf')),1)
        p=torch.softmax(sc+mask,dim=-1)
        return s.o((p@v).transpose(1,2).reshape(b,t,H*D))
ap=argparse.ArgumentParser(); ap.add_argument('--work', required=True); args=ap.parse_args()
os.makedirs(args.work, exist_ok=True); os.chdir(args.work)
m=Block().eval()
x=torch.randn(B,T,H*D); pos=torch.arange(T).unsqueeze(0).expand(B,T).contiguous()+1000
with torch.no_grad(): y=m(x,pos)
torch.onnx.export(m,(x,pos),'rope.onnx',opset_version=17,input_names=['x','position_ids'],output_names=['y'])
from onnx import numpy_helper
os.makedirs('td',exist_ok=True)
for i,(n,a) in enumerate((('x',x.numpy()),('position_ids',pos.numpy()))):
    open(f'td/input_{i}.pb','wb').write(numpy_helper.from_array(a,n).SerializeToString())
open('td/output_0.pb','wb').write(numpy_helper.from_array(y.numpy(),'y').SerializeToString())
print('ops:', ' '.join(sorted({n.op_type for n in onnx.load('rope.onnx').graph.node})), flush=True)
subprocess.run(['whittle-compile', 'rope.onnx', '-o', 'rope.so', '--report=report.json'], check=True)
att = json.load(open('report.json'))['attention']
print(f"attention: {att['fused']} fused, {att['unfused_softmax']} unfused", flush=True)
sys.exit(subprocess.run(['whittle-run', 'rope.so', '--test-data', 'td', '--atol', '1e-4']).returncode)
