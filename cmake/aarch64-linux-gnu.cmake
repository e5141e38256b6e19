# Cross build of the runtime, whittle-run and the C examples for 64-bit ARM
# Linux with clang-22 on an x86-64 host (see scripts/build.sh). Uses Debian's
# cross C library (libc6-dev-arm64-cross, libstdc++-12-dev-arm64-cross, found
# by clang through /usr/lib/gcc-cross) and TBB from the arm64 multiarch
# packages (libtbb-dev:arm64, in /usr/lib/aarch64-linux-gnu).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER clang-22)
set(CMAKE_CXX_COMPILER clang++-22)
set(CMAKE_C_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_CXX_COMPILER_TARGET aarch64-linux-gnu)
# No aarch64 binutils are needed: lld links every target.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-fuse-ld=lld")

# Packages come from the arm64 multiarch directories only, never from the
# host's x86-64 ones.
set(TBB_DIR /usr/lib/aarch64-linux-gnu/cmake/TBB CACHE PATH "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
