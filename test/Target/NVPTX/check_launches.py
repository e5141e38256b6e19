"""Runs a GPU model library's host code against a recording executor.

Without a GPU the kernels cannot run, but everything the host side does can
be checked: the library is loaded with ctypes, its whittle_model_run is
called with fake device addresses (never dereferenced: a host access would
crash), and each launch is checked against the PTX the library embeds: the
kernel exists, gets exactly the parameters its .entry declares, every
pointer parameter points into a buffer the runtime would have passed (an
input, an output, the workspace or the device weights), and the grid and
block fit CUDA's limits. Prints one summary line.

Also checks the embedded cubin: a CUDA ELF (e_machine EM_CUDA) for the
architecture given with --arch.

usage: check_launches.py MODEL.so [--arch sm_90]
"""
import argparse
import ctypes
import re
import struct
import sys

GiB = 1 << 30


class Executor(ctypes.Structure):
    LAUNCH = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p,
                              *([ctypes.c_int64] * 8), ctypes.c_void_p,
                              ctypes.c_int64)
    _fields_ = [("pool", ctypes.c_void_p), ("parallel_for", ctypes.c_void_p),
                ("gpu", ctypes.c_void_p), ("gpu_launch", LAUNCH),
                ("gpu_weights", ctypes.c_void_p)]


class Weight(ctypes.Structure):
    _fields_ = [("host", ctypes.c_void_p), ("bytes", ctypes.c_int64),
                ("device_offset", ctypes.c_int64)]


def entries(ptx):
    """kernel name -> list of 'is pointer' per parameter."""
    result = {}
    for match in re.finditer(r"\.entry\s+(\w+)\s*\((.*?)\)", ptx, re.S):
        params = [p for p in match.group(2).split(",") if ".param" in p]
        result[match.group(1)] = [".ptr" in p for p in params]
    return result


EM_CUDA = 190


def check_cubin(lib, arch):
    size = ctypes.c_int64()
    address = lib.whittle_model_gpu_image(0, ctypes.byref(size))
    assert address, "the library has no cubin"
    cubin = ctypes.string_at(address, size.value)
    assert cubin[:4] == b"\x7fELF", "the cubin is not an ELF file"
    machine = struct.unpack_from("<H", cubin, 18)[0]
    assert machine == EM_CUDA, "cubin e_machine %d, not EM_CUDA" % machine
    flags = struct.unpack_from("<I", cubin, 48)[0]
    # CUDA ELF ABI version 8 keeps the SM version in bits 8-15 of e_flags,
    # older ones in bits 0-7.
    sm = (flags >> 8) & 0xFF if cubin[8] >= 8 else flags & 0xFF
    assert "sm_%d" % sm == arch, "cubin for sm_%d, expected %s" % (sm, arch)
    return "cubin %s (%d bytes)" % (arch, size.value)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("library")
    parser.add_argument("--arch", help="expect a cubin for this architecture")
    args = parser.parse_args()
    lib = ctypes.CDLL(args.library)
    lib.whittle_model_abi_version.restype = ctypes.c_int32
    lib.whittle_model_metadata.restype = ctypes.c_char_p
    lib.whittle_model_workspace_size.restype = ctypes.c_int64
    lib.whittle_model_gpu_kernels.restype = ctypes.c_char_p
    lib.whittle_model_gpu_image.restype = ctypes.c_void_p
    lib.whittle_model_gpu_weights.restype = ctypes.POINTER(Weight)
    lib.whittle_model_run.argtypes = [ctypes.c_void_p] * 3 + [
        ctypes.POINTER(Executor)]

    assert lib.whittle_model_abi_version() == 2, "not a GPU library"
    cubin = check_cubin(lib, args.arch) if args.arch else "no cubin check"
    metadata = lib.whittle_model_metadata().decode().splitlines()
    inputs = [l for l in metadata if l.startswith("input ")]
    outputs = [l for l in metadata if l.startswith("output ")]
    size = ctypes.c_int64()
    ptx_ptr = lib.whittle_model_gpu_image(1, ctypes.byref(size))
    ptx = ctypes.string_at(ptx_ptr, size.value - 1).decode()
    kernels = lib.whittle_model_gpu_kernels().decode().split()
    declared = entries(ptx)
    missing = [k for k in kernels if k not in declared]
    assert not missing, "kernels without a PTX entry: %s" % missing[:5]

    count, device_bytes = ctypes.c_int64(), ctypes.c_int64()
    table = lib.whittle_model_gpu_weights(ctypes.byref(count),
                                          ctypes.byref(device_bytes))
    for i in range(count.value):
        w = table[i]
        assert w.host and w.bytes > 0, "weight %d is empty" % i
        assert w.device_offset % 256 == 0
        assert w.device_offset + w.bytes <= device_bytes.value

    # Fake device buffers, 1 GiB apart: [start, end) per buffer.
    buffers = {}
    base = 0x100000000000

    def fake(name, nbytes):
        start = base + len(buffers) * 4 * GiB
        buffers[name] = (start, start + max(nbytes, 1))
        return start

    def nbytes(line):
        _, _, dtype, dims = line.split()
        elems = 1
        for d in ([] if dims == "scalar" else dims.split("x")):
            elems *= int(d)
        width = {"f16": 2, "f32": 4, "f64": 8, "i8": 1, "u8": 1, "i16": 2,
                 "u16": 2, "i32": 4, "u32": 4, "i64": 8, "u64": 8,
                 "bool": 1}[dtype]
        return elems * width

    in_ptrs = (ctypes.c_void_p * max(len(inputs), 1))(
        *[fake("input %d" % i, nbytes(l)) for i, l in enumerate(inputs)])
    out_ptrs = (ctypes.c_void_p * max(len(outputs), 1))(
        *[fake("output %d" % i, nbytes(l)) for i, l in enumerate(outputs)])
    workspace = fake("workspace", lib.whittle_model_workspace_size())
    weights = fake("weights", device_bytes.value)

    launches = []
    errors = []

    def launch(gpu, kernel, gx, gy, gz, bx, by, bz, shared, params, n):
        name = kernels[kernel] if 0 <= kernel < len(kernels) else None
        if name is None:
            errors.append("launch of kernel index %d" % kernel)
            return 1
        slots = (ctypes.c_int64 * n).from_address(params)
        pointers = declared[name]
        if n != len(pointers):
            errors.append("%s: %d parameters, its .entry declares %d" %
                          (name, n, len(pointers)))
            return 1
        if not (0 < gx < 2**31 and 0 < gy < 65536 and 0 < gz < 65536):
            errors.append("%s: grid %d x %d x %d" % (name, gx, gy, gz))
        if not (0 < bx * by * bz <= 1024):
            errors.append("%s: block %d x %d x %d" % (name, bx, by, bz))
        for i, is_pointer in enumerate(pointers):
            if not is_pointer:
                continue
            address = slots[i] & (2**64 - 1)
            if not any(lo <= address < hi for lo, hi in buffers.values()):
                errors.append("%s: parameter %d (0x%x) points into no "
                              "device buffer" % (name, i, address))
        launches.append(name)
        return 0

    executor = Executor(None, None, 0x1234, Executor.LAUNCH(launch), weights)
    rc = lib.whittle_model_run(in_ptrs, out_ptrs, workspace,
                               ctypes.byref(executor))
    assert rc == 0, "whittle_model_run returned %d" % rc
    # Without an executor the library refuses to run instead of crashing.
    assert lib.whittle_model_run(in_ptrs, out_ptrs, workspace, None) != 0
    for e in errors[:10]:
        print("error:", e)
    if errors:
        sys.exit(1)
    print("%s; launches %d of %d kernels, %d weights (%d bytes): ok" %
          (cubin, len(launches), len(set(launches)), count.value,
           device_bytes.value))


if __name__ == "__main__":
    main()
