#!/usr/bin/python3
"""Runs a model library built by whittle-compile through its C ABI.

Loads the .so with ctypes, parses whittle_model_metadata, feeds numpy inputs
(deterministic by default), calls whittle_model_run and prints the outputs in
a FileCheck-friendly form:

    output y f32 2x3: 0.5 -0.25 ...

Optionally checks the outputs against a Python reference:
    --reference FILE.py   FILE defines reference(inputs: dict) -> dict
    --mlp-check           (for tests) nothing else is needed
and runs with a Python-side executor (--executor) that splits every
parallel_for into chunks, to exercise the parallel entry points.
"""

import argparse
import ctypes
import importlib.util
import sys
import urllib.parse

import numpy as np

DTYPES = {
    "f16": np.float16, "f32": np.float32, "f64": np.float64,
    "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
    "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
    "bool": np.bool_,
}

TASK_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)
PARALLEL_FOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, TASK_FN,
                                ctypes.c_void_p)


class Executor(ctypes.Structure):
    _fields_ = [("pool", ctypes.c_void_p), ("parallel_for", PARALLEL_FOR)]


class Model:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.whittle_model_abi_version.restype = ctypes.c_int32
        self.lib.whittle_model_metadata.restype = ctypes.c_char_p
        self.lib.whittle_model_workspace_size.restype = ctypes.c_int64
        self.lib.whittle_model_run.restype = ctypes.c_int32
        self.lib.whittle_model_run.argtypes = [ctypes.c_void_p] * 4
        self.abi_version = self.lib.whittle_model_abi_version()
        self.metadata = self.lib.whittle_model_metadata().decode()
        self.workspace_size = self.lib.whittle_model_workspace_size()
        self.name, self.inputs, self.outputs = self._parse(self.metadata)
        self.parallel_calls = 0

    @staticmethod
    def _parse(text):
        lines = text.strip().split("\n")
        if lines[0] != "whittle-model 1":
            raise ValueError("bad metadata header: %r" % lines[0])
        name, inputs, outputs = None, [], []
        for line in lines[1:]:
            fields = line.split(" ")
            if fields[0] == "name":
                name = urllib.parse.unquote(fields[1])
                continue
            kind, tname, dtype, dims = fields
            shape = () if dims == "scalar" else tuple(int(d) for d in dims.split("x"))
            spec = (urllib.parse.unquote(tname), dtype, shape)
            (inputs if kind == "input" else outputs).append(spec)
        return name, inputs, outputs

    def run(self, feeds, use_executor=False):
        ins = [np.ascontiguousarray(feeds[n], dtype=DTYPES[d]).reshape(s)
               for n, d, s in self.inputs]
        outs = [np.zeros(s, dtype=DTYPES[d]) for _, d, s in self.outputs]
        in_ptrs = (ctypes.c_void_p * max(1, len(ins)))(
            *[a.ctypes.data for a in ins])
        out_ptrs = (ctypes.c_void_p * max(1, len(outs)))(
            *[a.ctypes.data for a in outs])
        workspace = None
        if self.workspace_size > 0:
            raw = np.zeros(self.workspace_size + 64, dtype=np.uint8)
            offset = (-raw.ctypes.data) % 64
            workspace = raw[offset:offset + self.workspace_size]
        executor = None
        if use_executor:
            def parallel_for(pool, count, body, context):
                self.parallel_calls += 1
                # Uneven chunks, in reverse order, to catch ordering bugs.
                bounds = list(range(0, count, max(1, (count + 2) // 3))) + [count]
                for begin, end in reversed(list(zip(bounds, bounds[1:]))):
                    body(context, begin, end)
            self._keep = PARALLEL_FOR(parallel_for)
            executor = Executor(None, self._keep)
        rc = self.lib.whittle_model_run(
            in_ptrs, out_ptrs,
            None if workspace is None else workspace.ctypes.data,
            None if executor is None else ctypes.addressof(executor))
        if rc != 0:
            raise RuntimeError("whittle_model_run returned %d" % rc)
        return {n: a for (n, _, _), a in zip(self.outputs, outs)}


def default_input(dtype, shape, index):
    n = int(np.prod(shape)) if shape else 1
    values = np.arange(n, dtype=np.int64) + 3 * index
    if dtype == "bool":
        return (values % 3 == 0).reshape(shape)
    if dtype.startswith("f"):
        return (((values % 11) - 5) * 0.25).astype(DTYPES[dtype]).reshape(shape)
    return (values % 5).astype(DTYPES[dtype]).reshape(shape)


def parse_feed(text, dtype, shape):
    if text.startswith("@"):
        return np.load(text[1:]).astype(DTYPES[dtype]).reshape(shape)
    if text.startswith("random:"):
        rng = np.random.default_rng(int(text.split(":")[1]))
        return rng.standard_normal(shape).astype(DTYPES[dtype])
    values = [float(v) for v in text.split(",")]
    return np.array(values, dtype=DTYPES[dtype]).reshape(shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("library")
    parser.add_argument("--input", action="append", default=[],
                        help="NAME=v1,v2,... | NAME=@file.npy | NAME=random:SEED")
    parser.add_argument("--reference", help="Python file defining reference(inputs)")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--executor", action="store_true",
                        help="pass an executor that runs parallel_for in chunks")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run this many times (results must not change)")
    parser.add_argument("--precision", type=int, default=4)
    args = parser.parse_args()

    model = Model(args.library)
    print("abi %d" % model.abi_version)
    print(model.metadata.strip())
    print("workspace %d" % model.workspace_size)

    given = dict(item.split("=", 1) for item in args.input)
    feeds = {}
    for index, (name, dtype, shape) in enumerate(model.inputs):
        feeds[name] = (parse_feed(given[name], dtype, shape) if name in given
                       else default_input(dtype, shape, index))

    results = model.run(feeds, use_executor=args.executor)
    for _ in range(args.repeat - 1):
        again = model.run(feeds, use_executor=args.executor)
        for name in results:
            if not np.array_equal(results[name], again[name]):
                print("UNSTABLE %s" % name)
                return 1
    if args.executor:
        print("parallel_for calls %d" % model.parallel_calls)

    np.set_printoptions(precision=args.precision, suppress=True)
    for name, dtype, shape in model.outputs:
        flat = results[name].reshape(-1)
        if dtype.startswith("f"):
            text = " ".join("%.*g" % (args.precision, v) for v in flat[:64])
        else:
            text = " ".join(str(int(v)) for v in flat[:64])
        dims = "x".join(str(d) for d in shape) or "scalar"
        print("output %s %s %s: %s%s" % (name, dtype, dims, text,
                                          " ..." if flat.size > 64 else ""))

    if args.reference:
        spec = importlib.util.spec_from_file_location("reference", args.reference)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        expected = module.reference(dict(feeds))
        ok = True
        for name, value in expected.items():
            got = results[name]
            value = np.asarray(value)
            if got.shape != value.shape:
                print("MISMATCH %s shape %s vs %s" % (name, got.shape, value.shape))
                ok = False
                continue
            err = np.max(np.abs(got.astype(np.float64) - value)) if got.size else 0.0
            close = np.allclose(got, value, rtol=args.rtol, atol=args.atol)
            print("%s %s max_abs_err %.3g" % ("MATCH" if close else "MISMATCH",
                                              name, err))
            ok &= close
        print("REFERENCE %s" % ("OK" if ok else "FAILED"))
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
