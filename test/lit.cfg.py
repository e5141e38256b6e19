# lit configuration of the whittle test suite.
import os
import shutil

import lit.formats

config.name = "Whittle"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.whittle_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.whittle_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.environment["PYTHONPATH"] = os.path.join(config.whittle_src_root, "test", "python")
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%whittle_src", config.whittle_src_root))
config.substitutions.append(("%whittle_obj", config.whittle_obj_root))
config.substitutions.append(("%libdir", os.path.join(config.whittle_obj_root, "lib")))
config.substitutions.append(("%onnx_testdata", "/usr/share/libonnx-testdata/data"))

# Lowering from linalg on tensors (or buffers) to LLVM with upstream passes,
# and the runner, for the numerical tests of conversions and passes.
config.substitutions.append((
    "%lower_to_llvm",
    "mlir-opt --one-shot-bufferize=bufferize-function-boundaries"
    " --convert-linalg-to-loops --convert-scf-to-cf --expand-strided-metadata"
    " --lower-affine --finalize-memref-to-llvm --convert-math-to-funcs"
    " --convert-math-to-llvm --convert-math-to-libm --convert-arith-to-llvm"
    " --convert-index-to-llvm --convert-cf-to-llvm --convert-func-to-llvm"
    " --reconcile-unrealized-casts"))
config.substitutions.append((
    "%mlir_runner",
    "mlir-runner -e main -entry-point-result=void"
    " -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,"
    "/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so"))
# The same with the vector kernels' ops (scf.forall, vector transfers).
config.substitutions.append((
    "%lower_vectors_to_llvm",
    "mlir-opt --one-shot-bufferize=bufferize-function-boundaries"
    " --scf-forall-to-parallel --convert-linalg-to-loops"
    " --convert-vector-to-scf --lower-affine --convert-scf-to-cf"
    " --expand-strided-metadata --lower-affine --convert-vector-to-llvm"
    " --finalize-memref-to-llvm --convert-math-to-funcs"
    " --convert-math-to-llvm --convert-math-to-libm --convert-arith-to-llvm"
    " --convert-index-to-llvm --convert-cf-to-llvm --convert-func-to-llvm"
    " --reconcile-unrealized-casts"))

if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")

# Model generation and the ONNX backend harness run under the system Python
# (python3-torch, python3-onnx).
import subprocess

def _python_has(modules):
    try:
        return subprocess.run(["/usr/bin/python3", "-c", "import " + ", ".join(modules)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False

if _python_has(["onnx", "numpy"]):
    config.available_features.add("onnx")
    if _python_has(["torch", "onnx", "numpy"]):
        config.available_features.add("torch")

# ONNX Runtime (onnxruntime-node, installed into bench/node_modules by
# bench/setup.sh) runs its graph optimizer for the e2e tests of models as ONNX
# Runtime saves them (test/models/ort_optimize.js, check_model.py --ort-optimize).
import json

def _node_loads_onnxruntime():
    node = shutil.which("node")
    if node is None:
        return False
    ort = os.path.join(config.whittle_src_root, "bench", "node_modules", "onnxruntime-node")
    try:
        return subprocess.run([node, "-e", "require(%s)" % json.dumps(ort)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False

if _node_loads_onnxruntime():
    config.available_features.add("onnxruntime")

# GPU libraries are assembled by the CUDA toolkit's ptxas, where there is one.
_ptxas = ("/usr/local/cuda/bin/ptxas" if os.access("/usr/local/cuda/bin/ptxas", os.X_OK)
          else shutil.which("ptxas"))
if _ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(
        ("%cuda_path", os.path.dirname(os.path.dirname(os.path.realpath(_ptxas)))))
else:
    lit_config.note("nvptx cubin tests unsupported: no CUDA toolkit (ptxas)")

# The AArch64 runtime and tools cross-built by scripts/build.sh
# (build-aarch64), run under qemu's user-mode emulation against the cross
# sysroot. %aarch64_run prefixes an AArch64 program with the emulator. Its
# library path keeps the C library the cross sysroot's: where Debian's arm64
# multiarch libc6 is installed too (libtbb-dev:arm64 pulls it in), the
# sysroot's loader would otherwise take that libc from the host's
# ld.so.cache, and threads deadlock in the mismatched pair.
aarch64_root = getattr(config, "whittle_aarch64_root", "")
qemu = shutil.which("qemu-aarch64")
aarch64_sysroot = "/usr/aarch64-linux-gnu"
config.substitutions.append(("%aarch64_obj", aarch64_root))
config.substitutions.append(("%aarch64_run", "{0} -L {1} -E LD_LIBRARY_PATH={1}/lib".format(
    qemu or "qemu-aarch64", aarch64_sysroot)))
config.substitutions.append(("%aarch64_sysroot", aarch64_sysroot))
_aarch64_missing = None
if qemu is None:
    _aarch64_missing = "qemu-aarch64 not found (Debian package qemu-user)"
elif not os.path.isdir(aarch64_sysroot):
    _aarch64_missing = aarch64_sysroot + " missing (libc6-dev-arm64-cross)"
elif not os.access(os.path.join(aarch64_root, "bin", "whittle-run"), os.X_OK):
    _aarch64_missing = ("no AArch64 whittle-run in %s (scripts/build.sh builds it unless "
                        "WHITTLE_NO_AARCH64=1)" % os.path.join(aarch64_root, "bin"))
if _aarch64_missing:
    lit_config.note("aarch64 tests unsupported: " + _aarch64_missing)
else:
    config.available_features.add("qemu-aarch64")
