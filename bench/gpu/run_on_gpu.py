#!/usr/bin/env python3
"""Runs, on a machine with an NVIDIA GPU, what bench/gpu/prepare.py built
(no compiler needed there): each zoo model against PyTorch's outputs, BERT-
base and GPT-2-small against ONNX Runtime's (accuracy, then latency against
PyTorch eager on the same architecture, shapes and GPU), and a 4096^3 GEMM
in each precision (TFLOP/s against cuBLAS through torch.matmul and against
the GPU's peak). Prints a markdown summary; with $OUT (or --out DIR) set,
writes gpu-results.json and gpu-log.txt there.

    python3 bench/gpu/run_on_gpu.py [--payload .gpu] [--iterations 20]

Needs python3 with numpy; torch (with CUDA) for the peers and the GEMM's
device buffers; the driver's libcuda.so.1 where the dynamic loader finds it.
Each step is independent: a failure is recorded and the next one runs.
"""
import argparse
import ctypes
import json
import lzma
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
# Dense peaks of the H100 / H200 SXM (NVIDIA's data sheets; the two share
# their SMs and clocks), TFLOP/s.
PEAKS = {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4}

LOG = []


def log(msg):
    print(msg, flush=True)
    LOG.append(msg)


def run(cmd, env, timeout=300):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        out = (p.stdout + p.stderr).strip()
        rc = p.returncode
    except subprocess.TimeoutExpired:
        out, rc = f"timed out after {timeout} s", 124
    log(f"$ {' '.join(cmd)}  [{time.monotonic() - t0:.1f} s, exit {rc}]")
    for line in out.splitlines()[-8:]:
        log("  " + line)
    return rc, out


def max_error(out):
    errs = [float(m) for m in re.findall(r"max abs error ([0-9.eE+-]+)", out)]
    return max(errs) if errs else None


def compare_sampled(whittle_run, lib, data, inputs, entry, env):
    """Runs lib on the inputs and compares every output against the full
    reference (output_K.pb) or its stored sample (sample_NAME.npy: every
    stride-th value). Returns (ok, max abs error)."""
    import numpy as np
    outdir = os.path.join("/tmp", "whittle-gpu-out")
    shutil.rmtree(outdir, ignore_errors=True)
    cmd = [whittle_run, lib, "--output-dir", outdir]
    for f in inputs:
        cmd += ["--input", os.path.join(data, f)]
    rc, _ = run(cmd, env)
    if rc != 0:
        return False, None
    worst = 0.0
    for name, stride in entry["sampled"].items():
        y = np.load(os.path.join(outdir, name + ".npy")).reshape(-1)[::stride]
        ref = np.load(os.path.join(data, f"sample_{name}.npy"))
        worst = max(worst, float(np.abs(y.astype(np.float64) - ref).max()))
    unsampled = [f for f in os.listdir(data) if f.startswith("output_")]
    if unsampled:
        from onnx import numpy_helper, load_tensor
        for f in unsampled:
            t = load_tensor(os.path.join(data, f))
            y = np.load(os.path.join(outdir, t.name + ".npy"))
            worst = max(worst, float(np.abs(y - numpy_helper.to_array(t)).max()))
    log(f"  max abs error {worst:.3g} (sampled outputs: {', '.join(entry['sampled'])})")
    return worst <= entry["atol"], worst


def whittle_latency(whittle_run, lib, data, batch_inputs, iterations, env):
    cmd = [whittle_run, lib, "--iterations", str(iterations), "--warmup", "3"]
    for f in batch_inputs:
        cmd += ["--input", os.path.join(data, f)]
    rc, out = run(cmd, env)
    m = re.search(r"median latency: ([0-9.]+) ms", out)
    return float(m.group(1)) if rc == 0 and m else None


def torch_peer(model, batch, seq, prec, iterations, device="cuda"):
    """Median ms of PyTorch eager on the same architecture (random weights)."""
    import torch
    sys.path.insert(0, os.path.join(REPO, "test", "models"))
    import make_models
    spec = make_models.zoo()[model]
    net, *_ = make_models.build(spec, 0)
    net = net.eval().to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
    torch.backends.cudnn.allow_tf32 = prec == "tf32"
    ids, mask = make_models.text_inputs(spec["cfg"].vocab, batch, seq, seed=batch)
    ids, mask = ids.to(device), mask.to(device)
    times = []
    with torch.no_grad():
        for i in range(iterations + 3):
            sync()
            t0 = time.perf_counter()
            net(ids, mask)
            sync()
            if i >= 3:
                times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def run_big(b, pay, tmp, whittle_run, env, have_torch, iterations):
    """Accuracy, latency and the PyTorch peer of one big library."""
    lib = os.path.join(tmp, os.path.basename(b["lib_xz"])[:-3])
    with lzma.open(os.path.join(pay, b["lib_xz"])) as f, open(lib, "wb") as g:
        shutil.copyfileobj(f, g, 1 << 24)
    data = os.path.join(pay, b["data"])
    inputs = [f"input_{k}.pb" for k in range(len(b["inputs"]))]
    if b.get("sampled"):
        ok, err = compare_sampled(whittle_run, lib, data, inputs, b, env)
    else:
        rc, out = run([whittle_run, lib, "--test-data", data, "--atol",
                       str(b["atol"])], env)
        ok, err = rc == 0, max_error(out)
    r = dict(b, ok=ok, max_abs_error=err,
             whittle_ms=whittle_latency(whittle_run, lib, data, inputs,
                                        iterations, env))
    if have_torch:
        try:
            r["torch_ms"] = torch_peer(b["model"], b["batch"], b["seq"],
                                       b["precision"], iterations)
        except Exception as e:  # the peer is optional
            log(f"PyTorch peer failed: {e}")
    log(f"big {b['model']} b{b['batch']} {b['precision']}: {r}")
    os.remove(lib)
    return r


class Tensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p)]


def gemm(rt, lib, n, prec, iterations):
    """(Whittle ms, torch.matmul ms, max |difference| / max |reference|) of an
    n^3 product on device buffers."""
    import torch
    rt.whittle_last_error.restype = ctypes.c_char_p
    model, sess = ctypes.c_void_p(), ctypes.c_void_p()
    if rt.whittle_model_open(lib.encode(), ctypes.byref(model)) or \
            rt.whittle_session_create(model, ctypes.byref(sess)):
        raise RuntimeError(rt.whittle_last_error().decode())
    g = torch.Generator(device="cuda").manual_seed(0)
    x = torch.randn(n, n, device="cuda", generator=g)
    w = torch.randn(n, n, device="cuda", generator=g)
    y = torch.empty(n, n, device="cuda")
    dims = (ctypes.c_int64 * 2)(n, n)
    F32 = 2
    ins = (Tensor * 2)(Tensor(F32, 2, dims, x.data_ptr()), Tensor(F32, 2, dims, w.data_ptr()))
    outs = (Tensor * 1)(Tensor(F32, 2, dims, y.data_ptr()))

    def ours():
        if rt.whittle_session_run_device(sess, ins, 2, outs, 1):
            raise RuntimeError(rt.whittle_last_error().decode())

    def timed(fn):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)

    ms = timed(ours)
    torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
    xb, wb = (x.bfloat16(), w.bfloat16()) if prec == "bf16" else (x, w)
    peer = timed(lambda: torch.matmul(xb, wb))
    ours()
    torch.cuda.synchronize()
    torch.backends.cuda.matmul.allow_tf32 = False
    ref = torch.matmul(x.double(), w.double())
    err = ((y.double() - ref).abs().max() / ref.abs().max()).item()
    rt.whittle_session_destroy(sess)
    rt.whittle_model_close(model)
    return ms, peer, err


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--payload", default=os.path.join(REPO, ".gpu"))
    p.add_argument("--out", default=os.environ.get("OUT"))
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--only", nargs="+", choices=["zoo", "big", "gemm"],
                   default=["zoo", "big", "gemm"])
    args = p.parse_args()
    pay = os.path.abspath(args.payload)
    with open(os.path.join(pay, "manifest.json")) as f:
        manifest = json.load(f)
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.path.join(pay, "lib") + (
        ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    whittle_run = os.path.join(pay, "bin", "whittle-run")
    results = {"zoo": [], "big": [], "gemm": []}
    rc, smi = run(["nvidia-smi", "--query-gpu=name,driver_version,clocks.max.sm",
                   "--format=csv,noheader"], env, 60) if shutil.which("nvidia-smi") else (1, "")
    results["gpu"] = smi.strip() if rc == 0 else None
    try:
        import torch
        have_torch = torch.cuda.is_available()
    except ImportError:
        have_torch = False
    log(f"gpu: {results['gpu']}; torch with CUDA: {have_torch}")

    if "zoo" in args.only:
        for z in manifest["zoo"]:
            rc, out = run([whittle_run, os.path.join(pay, z["lib"]), "--test-data",
                           os.path.join(pay, z["data"]), "--atol", str(z["atol"])], env)
            dev = re.search(r"device: (.*)", out)
            results["zoo"].append(dict(z, ok=rc == 0, max_abs_error=max_error(out),
                                       device=dev.group(1) if dev else None))

    if "big" in args.only:
        tmp = os.path.join("/tmp", "whittle-gpu-big")
        os.makedirs(tmp, exist_ok=True)
        for b in manifest["big"]:
            try:
                results["big"].append(run_big(b, pay, tmp, whittle_run, env, have_torch,
                                              args.iterations))
            except Exception as e:  # record it, go on with the next
                log(f"big {b['model']} b{b['batch']} {b['precision']}: error: {e}")
                results["big"].append(dict(b, ok=False, max_abs_error=None, error=str(e)))

    if "gemm" in args.only and have_torch:
        rt = ctypes.CDLL(os.path.join(pay, "lib", "libwhittle_rt.so"))
        for gm in manifest["gemm"]:
            n = gm["m"]
            try:
                ms, peer, err = gemm(rt, os.path.join(pay, gm["lib"]), n, gm["precision"],
                                     args.iterations)
                tflops = 2.0 * n ** 3 / (ms * 1e-3) / 1e12
                r = dict(gm, whittle_ms=ms, whittle_tflops=tflops, torch_ms=peer,
                         torch_tflops=2.0 * n ** 3 / (peer * 1e-3) / 1e12,
                         peak_tflops=PEAKS[gm["precision"]], rel_error=err)
            except Exception as e:
                r = dict(gm, error=str(e))
            log(f"gemm {gm['precision']}: {r}")
            results["gemm"].append(r)
    elif "gemm" in args.only:
        log("gemm skipped: torch with CUDA is needed for its device buffers")

    # Summary.
    def f(x, spec):
        return "—" if x is None else format(x, spec)
    log("\n| zoo model | precision | atol | max abs error | result |")
    log("| --- | --- | ---: | ---: | --- |")
    for r in results["zoo"]:
        log(f"| {r['model']} | {r['precision']} | {r['atol']:g} | "
            f"{f(r['max_abs_error'], '.2e')} | {'ok' if r['ok'] else 'FAIL'} |")
    log("\n| model | batch x seq | precision | max abs error vs ORT | result | Whittle ms "
        "| PyTorch eager ms | Whittle / PyTorch |")
    log("| --- | --- | --- | ---: | --- | ---: | ---: | ---: |")
    for r in results["big"]:
        ratio = r["whittle_ms"] / r["torch_ms"] if r.get("whittle_ms") and r.get(
            "torch_ms") else None
        log(f"| {r['model']} | {r['batch']} x {r['seq']} | {r['precision']} | "
            f"{f(r['max_abs_error'], '.2e')} | {'ok' if r['ok'] else 'FAIL'} | "
            f"{f(r.get('whittle_ms'), '.2f')} | {f(r.get('torch_ms'), '.2f')} | "
            f"{f(ratio, '.2f')}{'x' if ratio else ''} |")
    log("\n| GEMM | precision | Whittle TFLOP/s | of peak | torch.matmul TFLOP/s | "
        "rel. error |")
    log("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in results["gemm"]:
        if "error" in r:
            log(f"| {r['m']}^3 | {r['precision']} | error: {r['error']} | | | |")
            continue
        log(f"| {r['m']}^3 | {r['precision']} | {r['whittle_tflops']:.1f} | "
            f"{100 * r['whittle_tflops'] / r['peak_tflops']:.0f}% | "
            f"{r['torch_tflops']:.1f} | {r['rel_error']:.1e} |")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "gpu-results.json"), "w") as fh:
            json.dump(results, fh, indent=1)
        with open(os.path.join(args.out, "gpu-log.txt"), "w") as fh:
            fh.write("\n".join(LOG) + "\n")
    failed = [r for r in results["zoo"] + results["big"] if not r["ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
