"""whittle_session_run_device through libwhittle_rt (ctypes), against the
stand-in CUDA driver: device buffers from its cuMemAlloc_v2, a run that
copies nothing, shape checks, and the refusal on a CPU library.

usage: run_device.py LIBWHITTLE_RT GPU_MODEL.so CPU_MODEL.so LIBCUDA
"""
import ctypes
import sys

rt = ctypes.CDLL(sys.argv[1])
cuda = ctypes.CDLL(sys.argv[4])


class Tensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p)]


rt.whittle_last_error.restype = ctypes.c_char_p
rt.whittle_status_name.restype = ctypes.c_char_p
rt.whittle_session_device.restype = ctypes.c_char_p
F32 = 2  # WHITTLE_DTYPE_F32


def check(status, what):
    name = rt.whittle_status_name(status).decode()
    print("%s: %s %s" % (what, name, rt.whittle_last_error().decode() if status else ""))
    return status


def session(path):
    model, sess = ctypes.c_void_p(), ctypes.c_void_p()
    assert check(rt.whittle_model_open(path.encode(), ctypes.byref(model)), "open") == 0
    assert check(rt.whittle_session_create(model, ctypes.byref(sess)), "create") == 0
    return sess


def device_tensor(dims):
    ptr = ctypes.c_uint64()
    assert cuda.cuMemAlloc_v2(ctypes.byref(ptr), 4 * 64) == 0
    shape = (ctypes.c_int64 * len(dims))(*dims)
    return Tensor(F32, len(dims), shape, ptr.value), shape


gpu = session(sys.argv[2])
print("device:", rt.whittle_session_device(gpu).decode())
x, xs = device_tensor([2, 4, 8])
outs = [device_tensor([2, 4, 8]) for _ in range(2)]
out_array = (Tensor * 2)(outs[0][0], outs[1][0])
check(rt.whittle_session_run_device(gpu, ctypes.byref(x), 1, out_array, 2), "run_device")
bad, bs = device_tensor([2, 4, 9])
check(rt.whittle_session_run_device(gpu, ctypes.byref(bad), 1, out_array, 2), "run_device bad shape")
missing = (Tensor * 2)(outs[0][0], Tensor(F32, 3, outs[1][1], None))
check(rt.whittle_session_run_device(gpu, ctypes.byref(x), 1, missing, 2), "run_device no output buffer")
cpu = session(sys.argv[3])
print("device:", rt.whittle_session_device(cpu).decode())
check(rt.whittle_session_run_device(cpu, ctypes.byref(x), 1, out_array, 2), "run_device on a CPU library")
rt.whittle_session_destroy(gpu)
rt.whittle_session_destroy(cpu)
