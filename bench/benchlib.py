"""Shared helpers of the Whittle benchmark scripts (run_bench.py, gemm_bench.py).

Runs whittle-compile / whittle-run / bench/ort_run.js as subprocesses with
timeouts and CPU pinning, parses their results, describes the machine and
rewrites one marked section of docs/benchmarks.md.
"""
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
RESULTS = os.path.join(BENCH, "results")  # git-ignored
DOC = os.path.join(REPO, "docs", "benchmarks.md")


class BenchError(Exception):
    """A step failed; the message says which and why."""


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def rel(path):
    """Path relative to the repository root where that is shorter."""
    r = os.path.relpath(path, REPO)
    return path if r.startswith("..") else r


# ----------------------------------------------------------------------------
# Tools.
# ----------------------------------------------------------------------------
def find_whittle_tool(name, explicit=None, bin_dir=None):
    """Path of whittle-compile / whittle-run: an explicit path, else BIN_DIR,
    $WHITTLE_BIN_DIR or build/bin. Raises BenchError when it is missing."""
    if explicit:
        candidates = [explicit]
    else:
        d = bin_dir or os.environ.get("WHITTLE_BIN_DIR") or os.path.join(REPO, "build", "bin")
        candidates = [os.path.join(d, name)]
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise BenchError(f"{name} not found at {rel(candidates[0])} (build it first, or pass "
                     f"--bin-dir DIR / set WHITTLE_BIN_DIR)")


def ensure_ort():
    """Installs onnxruntime-node into bench/ if needed; returns its version."""
    if not shutil.which("node"):
        raise BenchError("node not found (ONNX Runtime runs under Node.js >= 18)")
    p = subprocess.run(["bash", os.path.join(BENCH, "setup.sh")], capture_output=True,
                       text=True, timeout=900)
    if p.returncode != 0:
        raise BenchError("bench/setup.sh failed:\n" + (p.stderr or p.stdout).strip())
    with open(os.path.join(BENCH, "node_modules", "onnxruntime-node", "package.json")) as f:
        return json.load(f)["version"]


def default_cpus(threads):
    """The first `threads` CPUs this process may run on."""
    allowed = sorted(os.sched_getaffinity(0))
    if threads > len(allowed):
        log(f"warning: {threads} threads but only {len(allowed)} CPUs available")
    return allowed[:max(1, min(threads, len(allowed)))]


def write_matmul_case(d, op, x, w, y):
    """d/model.onnx, one `op` node y = op(x, w) with x an input and w an
    initializer, and d/test_data_set_0 holding x and the expected y."""
    import onnx
    from onnx import helper, numpy_helper
    import numpy as np
    from onnx.mapping import NP_TYPE_TO_TENSOR_TYPE

    def onnx_type(dtype):
        return NP_TYPE_TO_TENSOR_TYPE[np.dtype(dtype)]
    m, k = x.shape
    graph = helper.make_graph(
        [helper.make_node(op, ["x", "w"], ["y"], name="matmul")],
        f"{op.lower()}_{m}x{k}x{w.shape[1]}",
        [helper.make_tensor_value_info("x", onnx_type(x.dtype), list(x.shape))],
        [helper.make_tensor_value_info("y", onnx_type(y.dtype), list(y.shape))],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="whittle-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    data = os.path.join(d, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    for name, arr, fn in (("x", x, "input_0.pb"), ("y", y, "output_0.pb")):
        with open(os.path.join(data, fn), "wb") as f:
            f.write(numpy_helper.from_array(arr, name).SerializeToString())
    onnx.save(model, os.path.join(d, "model.onnx"))
    return d


def pinned(cmd, cpus):
    if cpus and shutil.which("taskset"):
        return ["taskset", "-c", ",".join(map(str, cpus))] + cmd
    return cmd


def c_compiler():
    cc = shutil.which("clang-22") or shutil.which("clang") or shutil.which("cc")
    if not cc:
        raise BenchError("no C compiler (clang-22, clang or cc) found")
    return cc


def cpuid_mask_lib(timeout=300):
    """Builds bench/cpuid_mask.c into results/cpuid_mask.so (a preload library
    under which a program sees no AVX-512 and no VNNI in CPUID) and checks
    that it takes effect here; returns its path."""
    os.makedirs(RESULTS, exist_ok=True)
    lib = os.path.join(RESULTS, "cpuid_mask.so")
    run([c_compiler(), "-O2", "-shared", "-fPIC", os.path.join(BENCH, "cpuid_mask.c"),
         "-o", lib, "-ldl"], timeout, "compiling bench/cpuid_mask.c")
    probe = os.path.join(RESULTS, "cpuid_probe")
    with open(probe + ".c", "w") as f:
        f.write('#include <stdio.h>\nint main(void) { __builtin_cpu_init(); '
                'printf("%d %d\\n", __builtin_cpu_supports("avx2"), '
                '__builtin_cpu_supports("avx512f") + __builtin_cpu_supports("avx512vnni")); }\n')
    run([c_compiler(), "-O1", probe + ".c", "-o", probe], timeout, "compiling the CPUID probe")
    seen = run(preloaded([probe], lib), timeout, "the CPUID probe").stdout.split()
    if seen != ["1", "0"]:
        raise BenchError(f"under {rel(lib)} the CPU still reports AVX-512 or VNNI, or no "
                         f"AVX2 (avx2, avx512f+vnni = {' '.join(seen)})")
    run(preloaded(["node", "-e", "process.exit(0)"], lib), timeout,
        "node under bench/cpuid_mask.c")
    return lib


def preloaded(cmd, lib):
    return ["env", f"LD_PRELOAD={lib}"] + cmd if lib else cmd


def run(cmd, timeout, what, cwd=None):
    """Runs cmd in its own process group; returns CompletedProcess. Raises
    BenchError on a timeout (after killing the whole group, so that a compiler
    under /usr/bin/time or taskset dies too) or on a non-zero exit; the
    message's first line carries the tool's last error line."""
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=cwd, start_new_session=True)
    except OSError as e:
        raise BenchError(f"{what}: cannot run {cmd[0]}: {e}")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise BenchError(f"{what} timed out after {timeout} s\n  command: {shlex.join(cmd)}")
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise
    if proc.returncode != 0:
        lines = (err.strip() + "\n" + out.strip()).strip().splitlines()
        errors = [l for l in lines if "error" in l.lower()] or lines or ["(no output)"]
        raise BenchError(f"{what} failed (exit {proc.returncode}): {errors[0].strip()}\n"
                         f"  command: {shlex.join(cmd)}\n" + "\n".join(lines[-15:]))
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# ----------------------------------------------------------------------------
# whittle-compile under /usr/bin/time -v.
# ----------------------------------------------------------------------------
def _parse_elapsed(s):
    # "h:mm:ss" or "m:ss.ss"
    parts = [float(x) for x in s.strip().split(":")]
    secs = 0.0
    for p in parts:
        secs = secs * 60 + p
    return secs


def compile_model(compile_bin, model, out_so, flags, timeout):
    """Compiles model -> out_so; returns {wall_s, peak_rss_mib, user_s, sys_s}."""
    os.makedirs(os.path.dirname(out_so), exist_ok=True)
    if os.path.exists(out_so):
        os.remove(out_so)
    cmd = [compile_bin, model, "-o", out_so] + list(flags)
    have_time = os.access("/usr/bin/time", os.X_OK)
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        time_file = tf.name
    try:
        full = (["/usr/bin/time", "-v", "-o", time_file] if have_time else []) + cmd
        t0 = time.monotonic()
        run(full, timeout, "whittle-compile")
        wall = time.monotonic() - t0
        res = {"command": shlex.join(cmd), "wall_s": wall, "peak_rss_mib": None}
        if have_time:
            text = open(time_file).read()
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
            if m:
                res["peak_rss_mib"] = int(m.group(1)) / 1024
            m = re.search(r"Elapsed \(wall clock\) time[^:]*: ([\d:.]+)", text)
            if m:
                res["wall_s"] = _parse_elapsed(m.group(1))
            for key, pat in (("user_s", r"User time \(seconds\): ([\d.]+)"),
                             ("sys_s", r"System time \(seconds\): ([\d.]+)")):
                m = re.search(pat, text)
                if m:
                    res[key] = float(m.group(1))
        else:
            log("warning: /usr/bin/time not found; compile peak RSS not measured")
    finally:
        os.remove(time_file)
    if not os.path.isfile(out_so):
        raise BenchError(f"whittle-compile exited 0 but wrote no {rel(out_so)}")
    res["so_mib"] = os.path.getsize(out_so) / 2**20
    return res


# ----------------------------------------------------------------------------
# Timed runs.
# ----------------------------------------------------------------------------
def whittle_time(run_bin, so, inputs, threads, iterations, warmup, cpus, timeout):
    """Median latency (ms) of `iterations` runs reported by whittle-run."""
    cmd = [run_bin, so, "--iterations", str(iterations), "--warmup", str(warmup),
           "--threads", str(threads)]
    for f in inputs:
        cmd += ["--input", f]
    p = run(pinned(cmd, cpus), timeout, "whittle-run")
    m = re.search(r"median latency: ([\d.eE+-]+) ms", p.stdout)
    if not m:
        raise BenchError(f"whittle-run printed no 'median latency' line:\n{p.stdout[-2000:]}")
    return float(m.group(1))


def ort_time(model, inputs, threads, iterations, warmup, cpus, timeout, output_dir=None,
             preload=None):
    """JSON result of bench/ort_run.js (median_ms, min_ms, p90_ms, ...);
    `preload`: a library to LD_PRELOAD (cpuid_mask_lib())."""
    cmd = ["node", os.path.join(BENCH, "ort_run.js"), model, "--threads", str(threads),
           "--iterations", str(iterations), "--warmup", str(warmup)]
    for f in inputs:
        cmd += ["--input", f]
    if output_dir:
        cmd += ["--output-dir", output_dir]
    p = run(preloaded(pinned(cmd, cpus), preload), timeout, "ort_run.js")
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise BenchError(f"ort_run.js printed no JSON line:\n{p.stdout[-2000:]}")
    return json.loads(lines[-1])


def whittle_outputs(run_bin, so, inputs, out_dir, timeout):
    cmd = [run_bin, so, "--output-dir", out_dir]
    for f in inputs:
        cmd += ["--input", f]
    run(cmd, timeout, "whittle-run --output-dir")


def median(xs):
    return statistics.median(xs) if xs else None


# ----------------------------------------------------------------------------
# Machine and report.
# ----------------------------------------------------------------------------
def machine_info():
    info = {"cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "kernel": platform.release()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        fields = dict(l.split(":", 1) for l in out.splitlines() if ":" in l)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        info["cpu"] = fields.get("Model name", info["cpu"])
        info["cpus"] = int(fields.get("CPU(s)", info["cpus"]))
        cores = fields.get("Core(s) per socket")
        sockets = fields.get("Socket(s)")
        if cores and sockets:
            info["cores"] = int(cores) * int(sockets)
        info["threads_per_core"] = int(fields.get("Thread(s) per core", 1))
        if "Hypervisor vendor" in fields:
            info["hypervisor"] = fields["Hypervisor vendor"]
        flags = fields.get("Flags", "").split()
        info["simd"] = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")
                        if f in flags]
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    info["loadavg"] = os.getloadavg()[0]
    info["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return info


def cpus_and_machine(cpus_arg, threads):
    """The CPU list (--cpus, or the first `threads` allowed) and machine_info(),
    warning when the machine is busy."""
    cpus = [int(c) for c in cpus_arg.split(",")] if cpus_arg else default_cpus(threads)
    machine = machine_info()
    if machine["loadavg"] > 0.5 * machine["cpus"]:
        log(f"warning: load average {machine['loadavg']:.1f} on {machine['cpus']} CPUs; "
            f"numbers will be low and noisy")
    return cpus, machine


def machine_line(info):
    s = f"{info['cpu']}, {info['cpus']} CPUs"
    if "cores" in info:
        s += f" ({info['cores']} cores, {info['threads_per_core']} thread(s) per core)"
    if info.get("hypervisor"):
        s += f", {info['hypervisor']} guest"
    if info.get("simd"):
        s += ", " + " ".join(info["simd"])
    return s


def command_line():
    """The command as typed, relative to the repository root."""
    script = rel(os.path.abspath(sys.argv[0]))
    return shlex.join(["/usr/bin/python3", script] + sys.argv[1:])


def write_json(prefix, data):
    os.makedirs(RESULTS, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(RESULTS, f"{prefix}-{stamp}.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    latest = os.path.join(RESULTS, f"{prefix}-latest.json")
    shutil.copyfile(path, latest)
    return path


def update_doc_section(key, text, doc=DOC):
    """Replaces the text between <!-- BEGIN key --> and <!-- END key --> in doc."""
    begin, end = f"<!-- BEGIN {key} (written by bench/) -->", f"<!-- END {key} -->"
    if not os.path.exists(doc):
        raise BenchError(f"{rel(doc)} not found")
    body = open(doc).read()
    i, j = body.find(begin), body.find(end)
    if i < 0 or j < i:
        raise BenchError(f"{rel(doc)} has no '{begin}' ... '{end}' section")
    body = body[:i + len(begin)] + "\n" + text.rstrip() + "\n" + body[j:]
    with open(doc, "w") as f:
        f.write(body)


def fmt(x, spec, missing="not yet measured"):
    return missing if x is None else format(x, spec)
