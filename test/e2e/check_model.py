#!/usr/bin/env python3
"""Generates one model of the zoo (test/models/make_models.py), compiles it
with whittle-compile and checks it against the PyTorch outputs with
whittle-run.

    check_model.py NAME --cache DIR --work DIR [--atol 1e-4]

Models are generated into --cache (shared by the e2e tests, reused while
make_models.py is unchanged); the library goes to --work. Each command is
printed before it runs; the exit status is non-zero on the first failure.
"""
import argparse
import hashlib
import os
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, ".."))
MAKE_MODELS = os.path.join(SRC, "models", "make_models.py")
PYTHON = "/usr/bin/python3"


def script_digest():
    h = hashlib.sha256()
    for p in (MAKE_MODELS, os.path.join(SRC, "python", "onnx_numpy_ref.py")):
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def run(cmd):
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    rc = subprocess.call(cmd)
    if rc != 0:
        print(f"error: command exited with {rc}", file=sys.stderr, flush=True)
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--cache", required=True, help="directory of generated models")
    p.add_argument("--work", required=True, help="directory for the compiled library")
    p.add_argument("--atol", default="1e-4")
    p.add_argument("--compile-arg", action="append", default=[],
                   help="extra whittle-compile argument (repeatable)")
    args = p.parse_args()

    model_dir = os.path.join(args.cache, args.name)
    stamp = os.path.join(model_dir, "stamp.txt")
    digest = script_digest()
    fresh = os.path.exists(stamp) and open(stamp).read().strip() == digest
    if not fresh:
        shutil.rmtree(model_dir, ignore_errors=True)
        run([PYTHON, MAKE_MODELS, "--out", args.cache, "--only", args.name])
        with open(stamp, "w") as f:
            f.write(digest + "\n")

    os.makedirs(args.work, exist_ok=True)
    lib = os.path.join(args.work, args.name + ".so")
    with open(os.path.join(model_dir, "compile_flags.txt")) as f:
        flags = shlex.split(f.read())
    run(["whittle-compile", os.path.join(model_dir, "model.onnx"), "-o", lib] + flags
        + args.compile_arg)
    run(["whittle-run", lib, "--test-data", os.path.join(model_dir, "test_data_set_0"),
         "--atol", args.atol])
    print(f"{args.name}: ok")


if __name__ == "__main__":
    main()
