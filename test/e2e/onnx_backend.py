#!/usr/bin/env python3
"""Runs the ONNX backend node tests that fall inside Whittle's op set.

For every test directory under --data (default: the libonnx-testdata node
tests) the harness reads model.onnx and selects the test when

  * every node is a default-domain op in SUPPORTED_OPS (test/python/
    whittle_onnx_ops.py), subgraphs included;
  * the default-domain opset is within MIN_OPSET..MAX_OPSET; a model with
    an older opset is selected by the ops of its onnx.version_converter
    upgrade to MIN_OPSET and compiled as it is, since whittle-compile
    upgrades it itself (disable with --no-upgrade); the report says so;
  * no Dropout runs in training mode (its output is random);
  * every graph input, output and initializer is a tensor of an element type
    of the model ABI (no strings, bfloat16, complex, sequences, optionals).

A selected test is compiled with `whittle-compile model.onnx -o test.so`
(adding `--input-shape NAME=DIMS` from test_data_set_0 for each graph input
whose declared shape is not fully static) and checked with
`whittle-run test.so --test-data test_data_set_K --atol A --rtol R` for each
data set.

Whittle specializes some operands at compile time: shapes, axes, slice
bounds, split sizes, clip bounds, Trilu's k, Range's bounds (CONSTANT_OPERANDS
below). A graph input that feeds such an operand, directly or through other
ops (not through Shape or Size), is frozen with
`--freeze-input NAME=test_data_set_K/input_J.pb`: it becomes a constant with
the data set's value and leaves the compiled signature, and whittle-run skips
its input file (it binds the others by name). Data sets whose frozen values
differ get their own compilation. The report lists the frozen inputs per test.

Tolerances: rtol 1e-3 as the ONNX backend test runner uses; atol 1e-5
instead of its 1e-7, because compiled fp32 code uses polynomial
approximations (exp, erf, tanh) whose absolute error near zero is ~1e-7, where
a relative bound admits nothing. Both are options.

Writes a markdown report (--report) with one row per selected test (ops,
result, first error line) and the skipped tests with their reasons, prints
"N passed, M failed" and the pass rate, and exits 1 when the pass rate is
below --min-pass-rate (or a tool is missing).

Usage:
  /usr/bin/python3 test/e2e/onnx_backend.py --report docs/conformance.md \
      [--work DIR] [--jobs 2] [--timeout 120] [--min-pass-rate 0.95] \
      [--filter REGEX] [--compiler PATH] [--runner PATH]
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import onnx  # noqa: E402
import onnx.numpy_helper  # noqa: E402
from onnx import TensorProto  # noqa: E402

from whittle_onnx_ops import (MAX_OPSET, MIN_OPSET, SUPPORTED_DTYPES,  # noqa: E402
                              SUPPORTED_OPS)

DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"

# op_type -> operand indices that Whittle needs as compile-time constants.
CONSTANT_OPERANDS = {
    "Reshape": (1,),            # shape
    "Expand": (1,),             # shape
    "Tile": (1,),               # repeats
    "Slice": (1, 2, 3, 4),      # starts, ends, axes, steps
    "Split": (1,),              # split
    "Squeeze": (1,),            # axes
    "Unsqueeze": (1,),          # axes
    "Trilu": (1,),              # k
    "ReduceSum": (1,),          # axes
    "ReduceMean": (1,),         # axes (opset 18)
    "ReduceMax": (1,),          # axes (opset 18)
    "ReduceMin": (1,),          # axes (opset 18)
    "Clip": (1, 2),             # min, max
    "ConstantOfShape": (0,),    # shape
    "Range": (0, 1, 2),         # start, limit, delta
    "CumSum": (1,),             # axis
    "Pad": (1, 2, 3),           # pads, constant_value, axes
    "TopK": (1,),               # k
}


# ----------------------------------------------------------------------------
# Selection
# ----------------------------------------------------------------------------
def _graph_ops(graph, ops, domains):
    for n in graph.node:
        dom = n.domain or ""
        if dom in ("", "ai.onnx"):
            ops.add(n.op_type)
        else:
            domains.add(dom)
            ops.add(f"{dom}::{n.op_type}")
        for a in n.attribute:
            if a.HasField("g"):
                _graph_ops(a.g, ops, domains)
            for g in a.graphs:
                _graph_ops(g, ops, domains)


def _value_dtype(vi):
    """Element type name of a ValueInfo, or a description of why it is not
    a plain tensor."""
    t = vi.type
    kind = t.WhichOneof("value")
    if kind != "tensor_type":
        return f"<{kind or 'untyped'}>"
    return TensorProto.DataType.Name(t.tensor_type.elem_type)


def _static_shape(vi):
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        return False
    return all(d.HasField("dim_value") for d in tt.shape.dim)


class Test:
    def __init__(self, name, path):
        self.name, self.path = name, path
        self.ops = []
        self.skip = None  # reason the test is not run
        self.result = None  # "pass", "fail", "timeout"
        self.reason = ""
        self.seconds = 0.0
        self.data_sets = []
        self.shape_flags = []
        self.frozen = []  # (K, name): graph inputs given --freeze-input
        self.model = os.path.join(path, "model.onnx")
        self.upgraded_from = None  # opset of the original model


def select(test, upgrade=True):
    try:
        model = onnx.load(os.path.join(test.path, "model.onnx"))
    except Exception as e:  # noqa: BLE001
        test.skip = f"model does not load: {str(e).splitlines()[0]}"
        return test
    ops, domains = set(), set()
    _graph_ops(model.graph, ops, domains)
    test.ops = sorted(ops)
    unsupported = sorted(o for o in ops if o not in SUPPORTED_OPS)
    if unsupported:
        test.skip = "unsupported ops: " + ", ".join(unsupported)
        test.unsupported = unsupported
        return test
    opset = {o.domain: o.version for o in model.opset_import}
    version = opset.get("", opset.get("ai.onnx"))
    if version is None or not MIN_OPSET <= version <= MAX_OPSET:
        if not (upgrade and version is not None and version < MIN_OPSET):
            test.skip = f"opset {version} outside {MIN_OPSET}..{MAX_OPSET}"
            return test
        from onnx import version_converter
        try:
            model = version_converter.convert_version(model, MIN_OPSET)
            onnx.checker.check_model(model)
        except Exception as e:  # noqa: BLE001
            test.skip = (f"opset {version} outside {MIN_OPSET}..{MAX_OPSET}, conversion failed: "
                         f"{str(e).splitlines()[0] if str(e) else type(e).__name__}")
            return test
        test.upgraded_from = version
        test.converted = model  # written to the work directory when run
        ops, domains = set(), set()
        _graph_ops(model.graph, ops, domains)
        test.ops = sorted(ops)
    for n in model.graph.node:
        if n.op_type == "Dropout" and len(n.input) > 2 and n.input[2]:
            test.skip = "Dropout in training mode (random output)"
            return test
    bad = set()
    inits = {t.name for t in model.graph.initializer}
    for vi in list(model.graph.input) + list(model.graph.output):
        dt = _value_dtype(vi)
        if dt not in SUPPORTED_DTYPES:
            bad.add(dt.lower())
    for t in model.graph.initializer:
        dt = TensorProto.DataType.Name(t.data_type)
        if dt not in SUPPORTED_DTYPES:
            bad.add(dt.lower())
    if bad:
        test.skip = "unsupported types: " + ", ".join(sorted(bad))
        return test
    test.data_sets = sorted(
        os.path.join(test.path, d) for d in os.listdir(test.path)
        if d.startswith("test_data_set_") and os.path.isdir(os.path.join(test.path, d)))
    if not test.data_sets:
        test.skip = "no test data"
        return test
    # input_K.pb is the K-th graph input that is not an initializer.
    graph_inputs = [vi for vi in model.graph.input if vi.name not in inits]
    constant_only = set()
    for n in model.graph.node:
        for i in CONSTANT_OPERANDS.get(n.op_type, ()):
            if i < len(n.input) and n.input[i]:
                constant_only.add(n.input[i])
    # What such an operand is computed from is constant too (a window
    # function's size cast and scaled before Range), except through Shape and
    # Size, which read only a tensor's shape.
    for n in reversed(model.graph.node):
        if n.op_type not in ("Shape", "Size") and any(o in constant_only for o in n.output):
            constant_only.update(i for i in n.input if i)
    test.frozen = [(k, vi.name) for k, vi in enumerate(graph_inputs)
                   if vi.name in constant_only]
    frozen_names = {name for _, name in test.frozen}
    # --input-shape for inputs whose declared shape is not static, from the
    # first data set.
    for k, vi in enumerate(graph_inputs):
        if _static_shape(vi) or vi.name in frozen_names:
            continue
        pb = os.path.join(test.data_sets[0], f"input_{k}.pb")
        if not os.path.exists(pb):
            continue
        t = TensorProto()
        with open(pb, "rb") as f:
            t.ParseFromString(f.read())
        dims = "x".join(str(d) for d in t.dims)
        test.shape_flags += ["--input-shape", f"{vi.name}={dims}"]
    return test


# ----------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------
def first_error_line(text):
    """The most telling line of a tool's output: a diagnostic ("error:"),
    then a whittle-run comparison that reports MISMATCH, then anything that
    looks like a crash, else the first line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for pattern in (r"\berror:", r"\bMISMATCH\b",
                    r"fail|abort|assert|exception|unsupported|segmentation|core dumped"):
        for ln in lines:
            if re.search(pattern, ln, re.I):
                return ln
    return lines[0] if lines else ""


def _cell(text, limit=160):
    text = text.replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _freeze_flags(test, ds):
    return [f for k, name in test.frozen
            for f in ("--freeze-input", f"{name}={os.path.join(ds, f'input_{k}.pb')}")]


def _frozen_key(test, ds):
    """The bytes of a data set's frozen inputs: data sets that agree share
    one compiled library."""
    key = []
    for k, _ in test.frozen:
        pb = os.path.join(ds, f"input_{k}.pb")
        if os.path.exists(pb):  # else the compiler reports the missing file
            with open(pb, "rb") as f:
                key.append(f.read())
    return tuple(key)


def run_test(test, args, work):
    tdir = os.path.join(work, test.name)
    shutil.rmtree(tdir, ignore_errors=True)
    os.makedirs(tdir)
    # An old-opset model is compiled as it is: whittle-compile upgrades it
    # itself (the Python conversion above only selects the test by the ops
    # the upgraded graph has).
    deadline = time.time() + args.timeout
    start = time.time()
    tol = ["--atol", repr(args.atol)] + (["--rtol", repr(args.rtol)] if args.rtol is not None else [])
    # (stage, command): one compilation per distinct set of frozen values,
    # each followed by the runs of its data sets.
    cmds = []
    libs = {}
    for ds in test.data_sets:
        key = _frozen_key(test, ds)
        if key not in libs:
            libs[key] = os.path.join(tdir, f"model{len(libs) or ''}.so")
            cmds.append(("compile", [args.compiler, test.model, "-o", libs[key]]
                         + test.shape_flags + _freeze_flags(test, ds)
                         + args.compile_arg))
        cmds.append(("run", [args.runner, libs[key], "--test-data", ds] + tol))
    test.result, test.reason = "pass", ""
    for i, (stage, cmd) in enumerate(cmds):
        left = deadline - time.time()
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=max(left, 1), text=True, errors="replace")
        except subprocess.TimeoutExpired:
            test.result, test.reason = "timeout", f"{stage}: over {args.timeout:g}s"
            break
        with open(os.path.join(tdir, f"{i}-{stage}.log"), "w") as f:
            f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n" + p.stdout)
        if p.returncode != 0:
            sig = f" (signal {-p.returncode})" if p.returncode < 0 else ""
            test.result = "fail"
            test.reason = f"{stage}{sig}: {first_error_line(p.stdout) or f'exit {p.returncode}'}"
            break
    test.seconds = time.time() - start
    if test.result == "pass" and not args.keep:
        shutil.rmtree(tdir, ignore_errors=True)
    return test


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------
def write_report(path, tests, args, elapsed):
    ran = [t for t in tests if t.skip is None]
    passed = [t for t in ran if t.result == "pass"]
    skipped = [t for t in tests if t.skip is not None]
    rate = len(passed) / len(ran) if ran else 0.0
    out = []
    out.append("# ONNX backend conformance\n")
    out.append("Generated by `test/e2e/onnx_backend.py` from the ONNX backend node tests "
               f"(`{args.data}`); rerun with\n")
    out.append("```\n/usr/bin/python3 test/e2e/onnx_backend.py --report docs/conformance.md\n```\n")
    out.append(f"A test runs when all its ops are in the Whittle op set, its opset is within "
               f"{MIN_OPSET}..{MAX_OPSET} (older models are compiled as they are: whittle-compile upgrades them to "
               f"opset {MIN_OPSET} with ONNX's C++ version converter; the harness converts them "
               "only to select tests by the upgraded graph's ops), no Dropout is in training mode, "
               "and all its tensors have a model-ABI element type. "
               f"Outputs are compared with rtol {args.rtol:g}, atol {args.atol:g} "
               "(|got - want| <= atol + rtol * |want|).\n")
    out.append("## Summary\n")
    out.append(f"- selected: {len(ran)} of {len(tests)} node tests")
    if elapsed is None:
        out.append("- **not run**: this report lists the selection only (`--list`)")
    else:
        out.append(f"- **{len(passed)} passed, {len(ran) - len(passed)} failed**, pass rate "
                   f"{100 * rate:.1f}%")
    out.append(f"- skipped: {len(skipped)}")
    out.append(f"- with frozen inputs (`--freeze-input`): {sum(bool(t.frozen) for t in ran)} "
               "of the selected tests")
    if elapsed is not None:
        out.append(f"- wall time: {elapsed:.0f} s with {args.jobs} workers")
    out.append("")

    by_op = collections.defaultdict(lambda: [0, 0])
    for t in ran:
        for op in t.ops:
            by_op[op][0] += 1
            by_op[op][1] += t.result == "pass"
    out.append("## By op\n")
    out.append("| op | tests | passed |")
    out.append("|---|---:|---:|")
    for op in sorted(by_op):
        n, p = by_op[op]
        out.append(f"| {op} | {n} | {p if elapsed is not None else '-'} |")
    out.append("")

    out.append("## Selected tests\n")
    out.append("Frozen inputs feed operands that Whittle needs at compile time "
               "(shapes, axes, bounds); they are compiled in with "
               "`--freeze-input NAME=test_data_set_K/input_J.pb`, one library per "
               "distinct value, and the other inputs are fed at run time.\n")
    out.append("| test | ops | frozen inputs | result | reason |")
    out.append("|---|---|---|---|---|")
    for t in sorted(ran, key=lambda t: t.name):
        res = {"pass": "pass", "fail": "**FAIL**", "timeout": "**TIMEOUT**",
               None: "not run"}.get(t.result, "?")
        note = f"(opset {t.upgraded_from} model, upgraded to {MIN_OPSET} by whittle-compile)" if t.upgraded_from else ""
        reason = " ".join(x for x in (note, t.reason) if x)
        frozen = ", ".join(name for _, name in t.frozen)
        out.append(f"| {t.name} | {', '.join(t.ops)} | {_cell(frozen)} | {res} | {_cell(reason)} |")
    out.append("")

    missing = collections.Counter()
    for t in skipped:
        for op in getattr(t, "unsupported", []):
            missing[op] += 1
    out.append("## Unsupported ops\n")
    out.append("Ops that keep node tests from running, by number of tests that use them.\n")
    out.append("| op | tests |")
    out.append("|---|---:|")
    for op, n in sorted(missing.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"| {op} | {n} |")
    out.append("")

    out.append("## Skipped tests\n")
    out.append("| test | reason |")
    out.append("|---|---|")
    for t in sorted(skipped, key=lambda t: t.name):
        out.append(f"| {t.name} | {_cell(t.skip, 200)} |")
    out.append("")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out))


def find_tool(name, explicit):
    if explicit:
        return explicit if os.path.exists(explicit) else shutil.which(explicit)
    return shutil.which(name)


def main():
    p = argparse.ArgumentParser(description="Run the ONNX backend node tests with Whittle.")
    p.add_argument("--data", default=DEFAULT_DATA, help="node test directory")
    p.add_argument("--report", help="markdown report to write (e.g. docs/conformance.md)")
    p.add_argument("--work", help="scratch directory (default: a temporary one)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=120, help="seconds per test")
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-3)
    p.add_argument("--min-pass-rate", type=float, default=None)
    p.add_argument("--filter", help="regex on test names")
    p.add_argument("--compiler", help="whittle-compile (default: from PATH)")
    p.add_argument("--compile-arg", action="append", default=[],
                   help="extra whittle-compile argument (repeatable), e.g. "
                        "--compile-arg=--target=nvptx --compile-arg=--gpu-emulate")
    p.add_argument("--runner", help="whittle-run (default: from PATH)")
    p.add_argument("--keep", action="store_true", help="keep the work files of passing tests")
    p.add_argument("--no-upgrade", action="store_true",
                   help=f"skip models with an opset below {MIN_OPSET} instead of converting them")
    p.add_argument("--list", action="store_true", help="print the selection and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="print each test as it finishes")
    args = p.parse_args()

    names = sorted(d for d in os.listdir(args.data)
                   if os.path.isfile(os.path.join(args.data, d, "model.onnx")))
    if args.filter:
        names = [n for n in names if re.search(args.filter, n)]
    tests = [select(Test(n, os.path.join(args.data, n)), not args.no_upgrade) for n in names]
    ran = [t for t in tests if t.skip is None]
    if args.list:
        for t in tests:
            up = f" (from opset {t.upgraded_from})" if t.upgraded_from else ""
            print(f"{t.name}: {'run' + up if t.skip is None else 'skip (' + t.skip + ')'}"
                  + (f" {' '.join(t.shape_flags)}" if t.shape_flags else "")
                  + (f" frozen: {', '.join(n for _, n in t.frozen)}" if t.frozen else ""))
        print(f"{len(ran)} selected, {len(tests) - len(ran)} skipped")
        if args.report:
            write_report(args.report, tests, args, None)
        return 0

    args.compiler = find_tool("whittle-compile", args.compiler)
    args.runner = find_tool("whittle-run", args.runner)
    if not args.compiler or not args.runner:
        print("error: whittle-compile or whittle-run not found (PATH or --compiler/--runner)",
              file=sys.stderr)
        return 1

    work = args.work or tempfile.mkdtemp(prefix="whittle-onnx-backend-")
    os.makedirs(work, exist_ok=True)
    start = time.time()
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_test, t, args, work) for t in ran]
        for f in concurrent.futures.as_completed(futures):
            t = f.result()
            done += 1
            if args.verbose or t.result != "pass":
                print(f"[{done}/{len(ran)}] {t.result.upper()}: {t.name} ({t.seconds:.1f}s)"
                      + (f" -- {t.reason}" if t.reason else ""), flush=True)
    elapsed = time.time() - start
    if not args.work and not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    passed = sum(t.result == "pass" for t in ran)
    failed = len(ran) - passed
    rate = passed / len(ran) if ran else 0.0
    if args.report:
        write_report(args.report, tests, args, elapsed)
    print(f"{passed} passed, {failed} failed, {len(tests) - len(ran)} skipped")
    print(f"pass rate: {100 * rate:.1f}% ({passed}/{len(ran)})")
    if args.min_pass_rate is not None and rate < args.min_pass_rate:
        print(f"error: pass rate {rate:.3f} below --min-pass-rate {args.min_pass_rate}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
