// RUN: whittle-compile %s --emit=llvm -o - | FileCheck %s
// RUN: whittle-compile %s --emit=llvm -O0 -o - | FileCheck %s

// The ABI functions are the only external definitions; the model function is
// internal and takes bare pointers (input, output, workspace).
// CHECK-DAG: define {{.*}}i32 @whittle_model_abi_version()
// CHECK-DAG: define {{.*}}ptr @whittle_model_metadata()
// CHECK-DAG: define {{.*}}i64 @whittle_model_workspace_size()
// CHECK-DAG: define {{.*}}i32 @whittle_model_run(ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}})
// CHECK-DAG: define {{.*}}i32 @double_run(ptr {{.*}}, ptr {{.*}})
// CHECK-DAG: c"whittle-model 1\0Aname double\0Ainput in f32 8\0Aoutput out f32 8\0A\00"
// CHECK-DAG: target triple = "x86_64-unknown-linux-gnu"
// CHECK-NOT: define {{.*}}@main(

module attributes {whittle.model_name = "double"} {
  func.func @main(%x: tensor<8xf32>) -> tensor<8xf32>
      attributes {whittle.input_names = ["in"], whittle.output_names = ["out"]} {
    %0 = whittle.add %x, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    return %0 : tensor<8xf32>
  }
}
