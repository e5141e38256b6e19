#!/usr/bin/python3
"""Benchmarks Whittle against ONNX Runtime on whole models.

For each model: compile it with whittle-compile under /usr/bin/time -v
(compile wall time, peak RSS), check once that Whittle's and ONNX Runtime's
outputs agree, then alternate timed runs of whittle-run and bench/ort_run.js
(R repetitions of N iterations each, both with T threads pinned to the same
CPUs). Writes bench/results/models-*.json and the "models" section of
docs/benchmarks.md.

Models are zoo names from test/models/make_models.py (generated once into
--models-dir, default bench/results/models) or directories that hold
model.onnx [+ test_data_set_0/input_K.pb, compile_flags.txt], or .onnx files.

    /usr/bin/python3 bench/run_bench.py                       # bert_base gpt2_small
    /usr/bin/python3 bench/run_bench.py bert_tiny_static --reps 2 --iterations 5 --no-doc
"""
import argparse
import glob
import os
import re
import shlex
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

DEFAULT_MODELS = ["bert_base", "gpt2_small"]


# ----------------------------------------------------------------------------
# Models and inputs.
# ----------------------------------------------------------------------------
def resolve_model(spec, models_dir, timeout):
    """Returns (name, model_dir, model_path) for a zoo name, directory or file."""
    if os.path.isfile(spec):
        path = os.path.abspath(spec)
        return os.path.splitext(os.path.basename(path))[0], os.path.dirname(path), path
    if os.path.isdir(spec):
        path = os.path.join(os.path.abspath(spec), "model.onnx")
        if not os.path.isfile(path):
            raise B.BenchError(f"{spec} has no model.onnx")
        return os.path.basename(os.path.abspath(spec)), os.path.dirname(path), path
    if os.sep in spec or spec.endswith(".onnx"):
        raise B.BenchError(f"model {spec} not found")
    d = os.path.join(models_dir, spec)
    path = os.path.join(d, "model.onnx")
    if not os.path.isfile(path):
        B.log(f"{spec}: generating with test/models/make_models.py into {B.rel(models_dir)}")
        gen = os.path.join(B.REPO, "test", "models", "make_models.py")
        B.run(["/usr/bin/python3", gen, "--out", models_dir, "--only", spec, "--no-verify"],
              timeout, f"make_models.py --only {spec}")
        if not os.path.isfile(path):
            raise B.BenchError(f"make_models.py wrote no {B.rel(path)}")
    return spec, d, path


def model_bytes(path):
    """Size of the model file plus any external data files it references."""
    import onnx
    total = os.path.getsize(path)
    proto = onnx.load(path, load_external_data=False)
    seen = set()
    for t in proto.graph.initializer:
        for e in t.external_data:
            if e.key == "location" and e.value not in seen:
                seen.add(e.value)
                f = os.path.join(os.path.dirname(path), e.value)
                if os.path.isfile(f):
                    total += os.path.getsize(f)
    return total


def model_inputs(model_dir, model_path, work_dir):
    """Input files in call order: test_data_set_0/input_K.pb, else synthetic
    .npy files (zeros for integers, so token ids stay valid; N(0,1) floats)."""
    files = glob.glob(os.path.join(model_dir, "test_data_set_0", "input_*.pb"))
    if files:
        return sorted(files, key=lambda f: int(os.path.basename(f)[6:-3]))
    import onnx
    from onnx import helper
    proto = onnx.load(model_path, load_external_data=False)
    inits = {t.name for t in proto.graph.initializer}
    os.makedirs(work_dir, exist_ok=True)
    rng = np.random.default_rng(0)
    out = []
    for k, vi in enumerate(i for i in proto.graph.input if i.name not in inits):
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        if any(d is None for d in dims):
            raise B.BenchError(f"input '{vi.name}' has symbolic dims and there is no "
                               f"test_data_set_0/ to take a shape from")
        dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type)
        a = (rng.standard_normal(dims).astype(dtype) if np.issubdtype(dtype, np.floating)
             else np.zeros(dims, dtype))
        f = os.path.join(work_dir, f"input_{k}.npy")
        np.save(f, a)
        out.append(f)
    B.log(f"no test data next to {B.rel(model_path)}; using synthetic inputs")
    return out


def reference_outputs(model_dir, model_path):
    """{output name: array} from test_data_set_0/output_K.pb, if present."""
    import onnx
    from onnx import numpy_helper
    names = [o.name for o in onnx.load(model_path, load_external_data=False).graph.output]
    ref = {}
    for k, n in enumerate(names):
        f = os.path.join(model_dir, "test_data_set_0", f"output_{k}.pb")
        if os.path.isfile(f):
            ref[n] = numpy_helper.to_array(onnx.load_tensor(f))
    return names, ref


def safe_name(n):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in (n or "output"))


def max_abs_diff(a, b):
    if a.shape != b.shape:
        raise B.BenchError(f"shape mismatch {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


# ----------------------------------------------------------------------------
# One model.
# ----------------------------------------------------------------------------
def bench_model(spec, args, tools, cpus):
    r = {"spec": spec, "errors": []}
    name, model_dir, model_path = resolve_model(spec, args.models_dir, args.timeout)
    r.update(name=name, model=B.rel(model_path), model_mib=model_bytes(model_path) / 2**20)
    work = os.path.join(B.RESULTS, "work", name)
    inputs = model_inputs(model_dir, model_path, os.path.join(work, "inputs"))
    r["inputs"] = [B.rel(f) for f in inputs]

    # Compile.
    so = os.path.join(work, f"{name}.so")
    whittle_ok = False
    if tools.get("compile_error"):
        r["errors"].append(tools["compile_error"])
    else:
        flags = []
        cf = os.path.join(model_dir, "compile_flags.txt")
        if os.path.isfile(cf):
            flags += shlex.split(open(cf).read())
        flags += shlex.split(args.compile_flags)
        B.log(f"{name}: compiling ({B.rel(model_path)}, {r['model_mib']:.1f} MiB)")
        try:
            c = B.compile_model(tools["compile"], model_path, so, flags, args.compile_timeout)
            r["compile"] = c
            rss = c.get("peak_rss_mib")
            r["compile"]["rss_over_model"] = rss / r["model_mib"] if rss else None
            B.log(f"{name}: compiled in {c['wall_s']:.1f} s, peak RSS "
                  f"{B.fmt(rss, '.0f', '?')} MiB")
            whittle_ok = True
            desc = B.run([tools["run"], so], args.timeout, "whittle-run (signature)").stdout
            m = re.search(r"workspace: (\d+) bytes", desc)
            r["workspace_bytes"] = int(m.group(1)) if m else None
        except B.BenchError as e:
            r["errors"].append(str(e))
            B.log(f"{name}: {e}")
        if whittle_ok and tools.get("run_error"):
            r["errors"].append(tools["run_error"])
            whittle_ok = False

    # Numerics, once.
    names, ref = reference_outputs(model_dir, model_path)
    ort_out = os.path.join(work, "out_ort")
    w_out = os.path.join(work, "out_whittle")
    check = {}
    try:
        info = B.ort_time(model_path, inputs, args.threads, 0, 0, cpus, args.timeout, ort_out)
        r["ort_load_ms"] = info.get("load_ms")
        got_ort = {n: np.load(os.path.join(ort_out, safe_name(n) + ".npy")) for n in names}
        if ref:
            check["ort_vs_reference"] = max(max_abs_diff(got_ort[n], ref[n]) for n in ref)
    except B.BenchError as e:
        r["errors"].append(str(e))
        got_ort = None
    if whittle_ok:
        try:
            B.whittle_outputs(tools["run"], so, inputs, w_out, args.timeout)
            got_w = {n: np.load(os.path.join(w_out, safe_name(n) + ".npy")) for n in names}
            if ref:
                check["whittle_vs_reference"] = max(max_abs_diff(got_w[n], ref[n]) for n in ref)
            if got_ort:
                check["whittle_vs_ort"] = max(max_abs_diff(got_w[n], got_ort[n]) for n in names)
        except (B.BenchError, OSError) as e:
            r["errors"].append(f"whittle output check: {e}")
            B.log(f"{name}: {e}")
    r["max_abs_diff"] = check
    if check:
        B.log(f"{name}: max abs diff " + ", ".join(f"{k} {v:.2e}" for k, v in check.items()))

    # Alternating timed runs; the order flips every repetition.
    w_ms, o_ms, ratios = [], [], []
    ort_ok = got_ort is not None
    for rep in range(args.reps):
        order = ["whittle", "ort"] if rep % 2 == 0 else ["ort", "whittle"]
        this = {}
        for which in order:
            try:
                if which == "whittle" and whittle_ok:
                    this["whittle"] = B.whittle_time(tools["run"], so, inputs, args.threads,
                                                     args.iterations, args.warmup, cpus,
                                                     args.timeout)
                elif which == "ort" and ort_ok:
                    this["ort"] = B.ort_time(model_path, inputs, args.threads, args.iterations,
                                             args.warmup, cpus, args.timeout)["median_ms"]
            except B.BenchError as e:
                r["errors"].append(str(e))
                B.log(f"{name}: {e}")
                if which == "whittle":
                    whittle_ok = False
                else:
                    ort_ok = False
        if "whittle" in this:
            w_ms.append(this["whittle"])
        if "ort" in this:
            o_ms.append(this["ort"])
        if "whittle" in this and "ort" in this:
            ratios.append(this["whittle"] / this["ort"])
        B.log(f"{name}: rep {rep + 1}/{args.reps}: " + ", ".join(
            f"{k} {v:.3f} ms" for k, v in this.items()))
    r.update(whittle_ms=w_ms, ort_ms=o_ms, ratios=ratios,
             whittle_median_ms=B.median(w_ms), ort_median_ms=B.median(o_ms),
             ratio_median=B.median(ratios))
    return r


# ----------------------------------------------------------------------------
# Report.
# ----------------------------------------------------------------------------
def markdown(results, args, machine, ort_version, cpus):
    L = []
    L.append(f"Measured {machine['date']} on {B.machine_line(machine)}; "
             f"1-minute load average {machine['loadavg']:.2f} at the start.")
    L.append("")
    L.append("```sh")
    L.append(B.command_line())
    L.append("```")
    L.append("")
    L.append(f"{args.threads} thread(s) for both runtimes, pinned to CPU(s) "
             f"{','.join(map(str, cpus))} with taskset; {args.reps} alternating repetitions of "
             f"{args.iterations} timed runs ({args.warmup} warm-up) each; a repetition's "
             f"latency is the median of its runs. Peer: ONNX Runtime {ort_version or '?'} "
             f"(npm onnxruntime-node, CPU execution provider, all graph optimizations, "
             f"sequential execution, 1 inter-op thread).")
    L.append("")
    L.append("| model | whittle ms | ORT ms | whittle / ORT | compile s | compile peak RSS MiB "
             "| model MiB | RSS / model | workspace MiB | max abs diff whittle vs ORT |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    na = "not yet measured"
    for r in results:
        c = r.get("compile") or {}
        d = (r.get("max_abs_diff") or {}).get("whittle_vs_ort")
        L.append("| " + " | ".join([
            r.get("name", r["spec"]),
            B.fmt(r.get("whittle_median_ms"), ".2f"),
            B.fmt(r.get("ort_median_ms"), ".2f"),
            B.fmt(r.get("ratio_median"), ".2f"),
            B.fmt(c.get("wall_s"), ".1f"),
            B.fmt(c.get("peak_rss_mib"), ".0f"),
            B.fmt(r.get("model_mib"), ".1f", "?"),
            B.fmt(c.get("rss_over_model"), ".2f"),
            B.fmt(r["workspace_bytes"] / 2**20 if r.get("workspace_bytes") else None, ".1f"),
            B.fmt(d, ".2e", na),
        ]) + " |")
    L.append("")
    L.append("Latencies are medians over the repetitions; whittle / ORT is the median of the "
             "per-repetition ratios. ORT's own error against the PyTorch reference outputs: " +
             "; ".join(f"{r.get('name', r['spec'])} "
                       f"{B.fmt((r.get('max_abs_diff') or {}).get('ort_vs_reference'), '.2e', 'n/a')}"
                       for r in results) + ".")
    errs = {}  # first line of the error -> models
    for r in results:
        for e in r["errors"]:
            errs.setdefault(e.splitlines()[0], []).append(r.get("name", r["spec"]))
    if errs:
        L.append("")
        L.append("Not measured in this run:")
        L.append("")
        for e, names in errs.items():
            L.append(f"- {', '.join(dict.fromkeys(names))}: {e}")
    return "\n".join(L)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="*", default=DEFAULT_MODELS,
                   help="zoo names, model directories or .onnx files (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5, help="alternating repetitions")
    p.add_argument("--iterations", type=int, default=20, help="timed runs per repetition")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs per repetition")
    p.add_argument("--cpus", help="CPU list for taskset, e.g. 0,1 (default: the first T allowed)")
    p.add_argument("--doc-section", default="models",
                   help="section of docs/benchmarks.md to rewrite (default: %(default)s)")
    p.add_argument("--models-dir", default=os.path.join(B.RESULTS, "models"),
                   help="where zoo models are generated (default: %(default)s)")
    p.add_argument("--bin-dir", help="directory of whittle-compile and whittle-run "
                   "(default: $WHITTLE_BIN_DIR or build/bin)")
    p.add_argument("--whittle-compile", help="path of whittle-compile (overrides --bin-dir)")
    p.add_argument("--whittle-run", help="path of whittle-run (overrides --bin-dir)")
    p.add_argument("--compile-flags", default="", help="extra whittle-compile flags")
    p.add_argument("--compile-timeout", type=int, default=3600, help="seconds per compile")
    p.add_argument("--timeout", type=int, default=1800,
                   help="seconds per run command and per model generation")
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument("--doc", default=B.DOC, help="markdown file to update (default: %(default)s)")
    args = p.parse_args()
    if args.threads < 1 or args.reps < 1 or args.iterations < 1:
        p.error("--threads, --reps and --iterations must be at least 1")
    args.models_dir = os.path.abspath(args.models_dir)
    cpus, machine = B.cpus_and_machine(args.cpus, args.threads)
    tools = {}
    for key, tool, explicit in (("compile", "whittle-compile", args.whittle_compile),
                                ("run", "whittle-run", args.whittle_run)):
        try:
            tools[key] = B.find_whittle_tool(tool, explicit, args.bin_dir)
        except B.BenchError as e:
            tools[f"{key}_error"] = str(e)
            B.log(f"warning: {e}; Whittle will not be measured")
    try:
        ort_version = B.ensure_ort()
    except B.BenchError as e:
        B.log(f"error: {e}")
        return 1

    results = []
    for spec in args.models:
        try:
            results.append(bench_model(spec, args, tools, cpus))
        except B.BenchError as e:
            B.log(f"{spec}: {e}")
            results.append({"spec": spec, "errors": [str(e)]})

    data = {"machine": machine, "command": B.command_line(), "threads": args.threads,
            "cpus": cpus, "reps": args.reps, "iterations": args.iterations,
            "warmup": args.warmup, "ort_version": ort_version, "tools": tools,
            "results": results}
    path = B.write_json("models", data)
    text = markdown(results, args, machine, ort_version, cpus)
    print(text)
    B.log(f"wrote {B.rel(path)}")
    if not args.no_doc:
        B.update_doc_section(args.doc_section, text, args.doc)
        B.log(f"updated {B.rel(args.doc)}")
    return 0 if all(not r["errors"] for r in results) else 2


if __name__ == "__main__":
    sys.exit(main())
