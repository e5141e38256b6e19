"""The ONNX ops that whittle-compile imports, read from the importer's own
registry (`whittle-translate --list-ops=json`), so that the model generator
(test/models/make_models.py) and the ONNX backend harness
(test/e2e/onnx_backend.py) select by exactly what the importer dispatches.

Default-domain ops are named bare ("Add"), others "domain::op"
("com.microsoft::FusedMatMul"), as make_models.py's graph_ops keys them.
whittle-translate is found through $WHITTLE_TRANSLATE, then $PATH (lit puts
the build's bin/ first), then the default build directory.
"""
import json
import os
import shutil
import subprocess

_HERE = os.path.dirname(os.path.abspath(__file__))


def _translate():
    tool = os.environ.get("WHITTLE_TRANSLATE") or shutil.which("whittle-translate")
    if not tool:
        tool = os.path.join(_HERE, "..", "..", "build", "bin", "whittle-translate")
    if not os.path.exists(tool):
        raise RuntimeError("whittle-translate not found: build Whittle first or set "
                           "WHITTLE_TRANSLATE")
    return tool


def _load():
    out = subprocess.run([_translate(), "--list-ops=json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


_REGISTRY = _load()


def _key(entry):
    dom = entry["domain"]
    return entry["op_type"] if dom == "ai.onnx" else f"{dom}::{entry['op_type']}"


SUPPORTED_OPS = frozenset(_key(e) for e in _REGISTRY["ops"])

# Earliest registered since_version of each op.
SINCE_VERSION = {}
for _e in _REGISTRY["ops"]:
    SINCE_VERSION[_key(_e)] = min(SINCE_VERSION.get(_key(_e), 1 << 30), _e["since_version"])

# Opsets the importer reads directly for the default ONNX domain; models from
# MIN_UPGRADABLE_OPSET on are upgraded to MIN_OPSET by the compiler itself.
MIN_OPSET, MAX_OPSET = _REGISTRY["min_opset"], _REGISTRY["max_opset"]
MIN_UPGRADABLE_OPSET = _REGISTRY["min_upgradable_opset"]

# Element types of the model ABI (include/whittle/model_abi.h).
SUPPORTED_DTYPES = frozenset({
    "FLOAT16", "FLOAT", "DOUBLE", "INT8", "INT16", "INT32", "INT64",
    "UINT8", "UINT16", "UINT32", "UINT64", "BOOL",
})
