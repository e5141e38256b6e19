//===- Passes.td - Whittle passes --------------------------*- tablegen -*-===//
//
// Every whittle pass is declared here, and each lives in the folder of the
// IR level it works on: passes/graph (whittle dialect), passes/kernel
// (linalg/vector on tensors), passes/buffer (after bufferization); the
// whittle-to-linalg conversion lives in lib/Conversion. Each pass has its lit
// folder test/Passes/<flag-name>/.
//
//===----------------------------------------------------------------------===//

#ifndef WHITTLE_PASSES_TD
#define WHITTLE_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Graph passes (whittle dialect)
//===----------------------------------------------------------------------===//

def WhittleFuseAttention
    : Pass<"whittle-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Recognize softmax(scale * Q K^T + mask) V as whittle.attention";
  let description = [{
    Rooted at the matmul of the probabilities with V, walks up by semantics
    rather than node order: a softmax over the last axis, an optional
    additive mask on either side of an add, scalar-constant scales (Mul or
    Div) on the scores, on Q or on K (or a square-root scale on both), and
    Q K^T with K^T a transpose of K's last two dims or of a [B, T, H, D]
    key in one permutation. Grouped-query attention spelled as
    reshape/unsqueeze + expand + reshape (repeat_kv; Tile imports as the
    same expand), or one key/value head expanded to all, keeps the
    unrepeated key/value heads. A boolean mask by selection (Where(keep,
    scores, fill) or masked_fill's Where(hide, fill, scores), fill <= -1e4)
    becomes the equivalent additive mask, and a mask that is or adds a
    constant additive causal triangle (0 / <= -1e4, Llama's) becomes
    causal = true. A Where(causal pattern, scores, fill <= -1e4) before
    the softmax (GPT-2's tril buffer, a constant lower-triangular mask),
    also around the mask's add, becomes causal = true; it computes the same as the select whenever a
    row keeps a visible key with a finite score (always, for the causal
    pattern alone; a padding mask that also hides every visible key of a
    row is the one case where the select's uniform row differs). Every
    intermediate (scores, probabilities) must have exactly one use, so a
    pattern never fires where a value it would remove is read elsewhere
    (for example returned as an output).
  }];
  let statistics = [
    Statistic<"numFused", "fused", "Attentions fused">,
    Statistic<"numGrouped", "grouped-query",
              "Fused attentions with fewer key/value than query heads">
  ];
}

def WhittleFoldQuantization
    : Pass<"whittle-fold-quantization", "mlir::func::FuncOp"> {
  let summary = "Fold dequantized constant weights into "
                "whittle.quantized_matmul";
  let description = [{
    A matmul whose right-hand side is whittle.dequantize of a constant 2-D
    integer weight with constant scale and zero point (weight-only
    quantization, and the weight side of static QDQ graphs) becomes
    whittle.quantized_matmul on the integer weight; a gemm with such a B
    (no transposes, alpha 1, beta 1) becomes one plus the add of C. The
    dequantized elements are those of the graph; only the summation order
    may change, as for any matmul. Left alone: a dequantize of a
    non-constant (activations: QDQ fake quantization stays exact), of a
    weight of another rank, one that feeds anything but the matmul's
    right-hand side, and a transposed gemm weight.

    A quantized_matmul whose activations are a dequantize of 8-bit codes
    with one scale and zero point, and whose weight parameters are per
    tensor or per column (not blocked, not per row), becomes
    cast(whittle.integer_matmul(codes, weight)) * (sa * sw): the same
    real-valued product, summed exactly in i32 and scaled once.
  }];
  let statistics = [
    Statistic<"numFolded", "folded", "Matmuls given integer weights">,
    Statistic<"numIntegerFolded", "integer-folded",
              "Quantized matmuls of dequantized activations made integer">
  ];
}

def WhittleQuantizeWeights
    : Pass<"whittle-quantize-weights", "mlir::func::FuncOp"> {
  let summary = "Quantize constant fp32 matmul weights at compile time";
  let description = [{
    Requested quantization (it changes results; whittle-compile runs it only
    with --quantize-weights). Every matmul, and every gemm without a
    transposed A and with alpha = beta = 1, whose right-hand side is a
    constant fp32 2-D weight gets integer weights:
      * `weights=int8`: symmetric per output column, scale max|w| / 127,
        codes in [-127, 127]: whittle.quantized_matmul; with
        `activations=dynamic` the input is quantized per row at run time
        (uint8, scale (max − min) / 255 over a range that includes 0, zero
        point round(−min / scale)) and the layer becomes
        cast(whittle.integer_matmul) scaled per row and column;
      * `weights=int4`: asymmetric per group of `group-size` rows of K and
        column (scale (max − min) / 15 over a range that includes 0, zero
        point round(−min / scale)): a blocked whittle.quantized_matmul.
    With `embeddings`, a gather of rows of a constant fp32 table [V, D]
    (at least 65536 elements) gathers int8 rows and a symmetric scale per
    row instead, and dequantizes what it gathered. Layers and gathers whose
    node name matches `exclude` (an extended regular expression) keep fp32
    weights, as do weights that are not constants.
    With `activation-samples` (calibration activations per layer, which
    whittle-compile --calibration-data collects), each layer that has them
    gets an activation-aware per-channel scale search (AWQ-style): the
    weight's rows are scaled by s_k = mean|x_k|^alpha (normalized around 1)
    before quantization and the input is multiplied by 1/s, for alpha in
    0, 0.1, ..., 1; the alpha whose quantized layer is closest to the fp32
    one on up to 32 calibration rows wins (alpha 0 is plain quantization, so
    the search never does worse on them). The layer's result carries
    `whittle.awq` {alpha, rel_error_unscaled, rel_error_scaled}.
  }];
  let options = [
    Option<"weights", "weights", "std::string", "\"int8\"",
           "int8 (per column, symmetric) or int4 (per group, asymmetric)">,
    Option<"groupSize", "group-size", "int64_t", "32",
           "Rows of K per int4 group (a power of two >= 16)">,
    Option<"activations", "activations", "std::string", "\"none\"",
           "none (float activations) or dynamic (int8 per row, int8 weights "
           "only)">,
    Option<"exclude", "exclude", "std::string", "\"\"",
           "Regular expression over node names of layers to leave fp32">,
    Option<"embeddings", "embeddings", "bool", "true",
           "Quantize embedding tables (gathers of constant rows) to int8 rows">,
    Option<"activationSamples", "activation-samples", "std::string", "\"\"",
           "Directory of calibration activations per layer (index.txt: "
           "FILE NODE; FILE: raw f32 rows): enables the activation-aware "
           "(AWQ-style) per-channel scale search">,
    Option<"reduceRange", "reduce-range", "bool", "false",
           "int8 weight codes in [-63, 63] (scale max|w| / 63): the AVX2 "
           "integer kernel (vpmaddubsw) cannot saturate on them">
  ];
  let statistics = [
    Statistic<"numQuantized", "quantized", "Weights quantized">,
    Statistic<"numEmbeddings", "embeddings", "Embedding tables quantized">
  ];
}

def WhittlePruneDeadHeads
    : Pass<"whittle-prune-dead-heads", "mlir::func::FuncOp"> {
  let summary = "Cut provably dead attention heads and FFN neurons out of the "
                "weights";
  let description = [{
    Runs after whittle-fuse-attention. A head is dead when its rows of the
    output projection are all zero, or when its value projection columns and
    value bias are all zero (it outputs zeros whatever its softmax); zero
    query/key weights do not make a head dead (its softmax is uniform and
    it outputs the mean of V). For an attention whose Q, K and V come from
    linear layers with constant weights (separate projections, or one fused
    projection split three ways) through reshape to [B, T, H, D] and
    transpose, and whose output goes back through transpose and reshape
    into one linear layer, the dead heads are removed from the Q/K/V weight
    columns and biases, the attention op and the output projection's rows.
    With grouped-query heads a key/value head goes only with all of its
    query heads (and only when the groups stay equal). A layer whose heads
    are all dead is left whole.

    With `prune-neurons`, an FFN neuron whose row of the down projection is
    zero, or whose up/gate column and bias are zero under an activation
    chain that then yields 0 (evaluated on the chain), is removed from the
    down projection, the up (and gate) projection
    columns and biases, and the position-wise ops between them (each reading
    only the chain and scalars). No result changes: what is removed adds
    exact zeros. The pruned heads (site, head, reason) and the neuron count
    are recorded on the module for the compile report.

    `heads` asks for live heads to go as well (structured pruning; this
    changes results). Each must name an existing attention and head of a
    layer the pass can slice, else the pass fails naming it.
  }];
  let options = [
    Option<"pruneNeurons", "prune-neurons", "bool", "true",
           "Also remove FFN neurons whose down-projection row is zero">,
    ListOption<"requestedHeads", "heads", "std::string",
               "Heads to remove although alive (not exact): SITE:HEAD, SITE "
               "the attention's ONNX node name, or @LAYER:HEAD with LAYER "
               "the attention's index in program order">,
    Option<"requestedReason", "reason", "std::string", "\"requested\"",
           "The reason the report gives for the heads of `heads`">,
    ListOption<"requestedNeurons", "neurons", "std::string",
               "FFN neurons to remove although alive (not exact): NODE:J, "
               "NODE the ONNX node of the block's down projection">
  ];
  let statistics = [
    Statistic<"numHeadsPruned", "heads-pruned", "Attention heads removed">,
    Statistic<"numNeuronsPruned", "neurons-pruned", "FFN neurons removed">,
    Statistic<"numBytesSaved", "bytes-saved",
              "Bytes of weights removed with them">
  ];
}

def WhittleBuildDecodeSteps
    : Pass<"whittle-build-decode-steps", "mlir::ModuleOp"> {
  let summary = "Add step functions that decode over a key/value cache";
  let description = [{
    For a causal decoder `@main` whose first input is token ids
    [B, MAX] (MAX = `max-tokens`), adds `@decode_step_C` and
    `@decode_step_1` (C = `chunk`): `(tokens [B, T], position [1] i64,
    k_0, v_0, ..., k_n, v_n) -> outputs for the T tokens at positions
    position .. position + T - 1`. The caches (one key and one value per
    attention: keys [B, Hkv, D, S], values [B, Hkv, S, D], S = MAX + C
    rounded up to 64) are written in place at `position`
    and each attention reads them through its `position` operand. Constant
    tables over positions (position embeddings, rotary cos/sin) are
    gathered at the step's positions. Other inputs must be attention
    masks (names containing "mask"), taken as all-valid. Every op between
    the tokens and the outputs must be position-wise along the sequence or
    a causal attention; the first one that is not is reported. The module
    gains `whittle.decode = {max_tokens, chunk, cache_length}` and each
    step function `whittle.output_seq_axes`.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", "\"main\"",
           "Function to derive the steps from">,
    Option<"maxTokens", "max-tokens", "int64_t", "0",
           "Positions of the cache (the token input's sequence length)">,
    Option<"chunk", "chunk", "int64_t", "1",
           "Tokens per prefill step">
  ];
  let dependentDialects = ["mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
}

def WhittleBuildLengthVariants
    : Pass<"whittle-build-length-variants", "mlir::ModuleOp"> {
  let summary = "Add functions that run a bounded sequence axis at shorter "
                "lengths";
  let description = [{
    For `@main` compiled at the bound MAX of a bounded sequence axis
    (`whittle.length_axes`: per input, its sequence axis or -1), adds
    `@length_L(inputs with L rows, length [1] i64) -> outputs` for each
    variant L (`lengths`; default the powers of two from 16 below MAX,
    and MAX). Every op must be position-wise along the sequence, except
    attention (non-causal ones hide the keys from `length` on with an
    additive -inf mask) and ops that pick fixed rows (a pooler's first
    token: the rows up to the last one picked must be real). The module
    gains `whittle.lengths = {variants, min_length, input_axes,
    output_axes}`.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", "\"main\"",
           "Function to derive the variants from">,
    ListOption<"lengths", "lengths", "int64_t",
               "Variant lengths (MAX is always one)">
  ];
}

def WhittleProbeHeads : Pass<"whittle-probe-heads", "mlir::ModuleOp"> {
  let summary = "Add each attention head's output energy as a model output "
                "(calibration)";
  let description = [{
    Instrumentation for --prune-heads-ratio: for every attention whose
    merged heads feed one linear layer with constant weights, the function
    gains an output [H] named `__whittle_head_energy_<LAYER>` (LAYER the
    attention's index in program order): per head, the sum over every
    token of the squared norm of its output after the output projection.
    The probed attentions are listed in the function attribute
    `whittle.probe_sites`. Likewise every feed-forward block (up/gate
    projections, a position-wise chain, a down projection) gains an output
    [I] named `__whittle_ffn_energy_<NODE>` (NODE the down projection's):
    per neuron, its output energy after the down projection. Not part of
    any normal compile.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", "\"main\"",
           "Function whose attentions are probed">
  ];
}

def WhittleProbeMatmuls : Pass<"whittle-probe-matmuls", "mlir::ModuleOp"> {
  let summary = "Add each weight matmul's result as a model output "
                "(calibration)";
  let description = [{
    Instrumentation for quantization's per-layer error: every matmul or
    gemm with a constant fp32 2-D weight gains its result as an output
    named `__whittle_site_<NODE>`. Run before whittle-quantize-weights in
    both the reference and the quantized compile, the outputs of one name
    are one layer computed both ways. Not part of any normal compile.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", "\"main\"",
           "Function whose matmuls are probed">,
    Option<"inputs", "inputs", "bool", "false",
           "Also expose each such matmul's input as __whittle_input_<node>">
  ];
}

//===----------------------------------------------------------------------===//
// Kernel passes (linalg on tensors, after conversion, before bufferization)
//===----------------------------------------------------------------------===//

def WhittleFuseElementwise
    : Pass<"whittle-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Elementwise producer-consumer fusion that never recomputes";
  let description = [{
    Fuses an elementwise linalg.generic producer into its linalg.generic
    consumer only when the consumer reads each producer element once: the
    consumer's indexing map of the fused operand is a permutation of all its
    loops, and the consumer is the producer's only user (a producer that
    only moves data may be fused into several consumers). Unlike the
    upstream linalg-fuse-elementwise-ops, a layer norm or
    a softmax division is never pulled into a matmul (where it would be
    recomputed for every output column) and contractions stay recognizable
    for tile-kernels. Reshapes are not propagated. Afterwards an
    elementwise generic that writes a fresh tensor writes over one of its
    inputs instead when that input has its type and indexing and no other
    reader (up through reshapes, and never a function argument or a
    constant), so that bufferization computes it in place.
  }];
  let statistics = [
    Statistic<"numFused", "fused", "Producers fused into consumers">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def WhittleTileAttention
    : Pass<"whittle-tile-attention", "mlir::func::FuncOp"> {
  let summary = "Lower whittle.attention to a streaming (online-softmax) kernel";
  let description = [{
    Runs after convert-whittle-to-linalg, which leaves f32 attentions with
    static shapes in place, and before tile-kernels. Each whittle.attention
    becomes scf.forall over (batch, head, query chunk) on tensors; inside,
    blocks of `block-q` query rows stream blocks of `block-k` keys, keep the
    running maximum and sum per row, rescale the accumulator and add P V, so
    that at most one block of scores exists at a time (in vector registers).
    Causal attentions stop each query block's key loop at its diagonal.
    Both contractions are broadcast FMAs on full vectors (keys along the
    lanes for Q K^T, against K packed once into key-block panels
    [B, Hkv, Tk/Bk, D, Bk]; the value dim along the lanes for P V). Q and V
    are read through the transposes that produced them (D innermost), and
    a result whose only use is a transpose keeping Dv innermost is written
    in that layout. Scores are kept in base 2 and exponentiated with a
    polynomial 2^x. Block sizes derive from the vector width and register
    count unless given.
  }];
  let options = [
    Option<"vectorWidthBits", "vector-width", "unsigned", "256",
           "Width of the widest profitable SIMD register in bits">,
    Option<"numVectorRegisters", "vector-registers", "unsigned", "16",
           "Architectural vector registers">,
    Option<"blockQ", "block-q", "int64_t", "0",
           "Query rows per register block; 0 derives it from the registers">,
    Option<"blockK", "block-k", "int64_t", "0",
           "Keys per score block; 0 uses two vectors">,
    Option<"reportTiles", "report-tiles", "bool", "false",
           "Emit a remark with the block sizes chosen for each attention">
  ];
  let statistics = [
    Statistic<"numAttentionTiled", "attentions-tiled",
              "Attentions lowered to the streaming kernel">
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect"
  ];
}

def WhittleTileKernels : Pass<"whittle-tile-kernels", "mlir::func::FuncOp"> {
  let summary = "Tile, pack and vectorize linalg kernels for the target";
  let description = [{
    Runs on linalg on tensors, after elementwise fusion and before
    bufferization. Tile sizes derive from the target's vector width, vector
    register count and cache sizes (the options, which the backend pipeline
    fills from TargetInfo; non-zero tile options override the derivation).

    Contractions (linalg.matmul, linalg.batch_matmul and matmul-like
    linalg.generic with one M, N and K dimension, f32 (the weight may be
    int8: it is packed as bytes and converted to f32 in the register tile),
    static shapes, above `min-matmul-flops`):
      * a constant right-hand side [K, N] is packed at compile time into
        panels [N/nr, K, nr] (zero padded), and the contraction rewritten
        over the packed layout, so the inner kernel reads B contiguously;
      * the parallel dimensions are tiled by (Mc, Nc) with scf.forall (one
        task per tile; the zero fill is fused into the tile), K by Kc with
        scf.for, then into mr x nr register tiles with a K loop of step 1;
      * the register tile is vectorized to vector.contract, whose
        accumulator is hoisted out of the K loop into registers.
    Integer contractions of unsigned 8-bit activations and signed 8-bit
    constant weights into i32 (whittle.integer_matmul's product) get the
    same loop nest over groups of four K, the weight packed into
    [N/nr, K/4, nr * 4] bytes; the register tile uses `int8-dot-product`
    at `int8-vector-width`.
    Elementwise generics, fills and innermost-dimension reductions with
    static shapes are tiled by scf.forall over the outermost dimension and
    vectorized along the innermost one with full-width vectors. A reduction
    whose combiner does not depend on order (min, max, integer) keeps a
    vector of partial results across its loop and reduces across lanes
    once; float sums reduce each step across lanes, in their usual order.
    A transpose that moves the innermost dim is tiled into lanes x lanes
    blocks transposed in registers; one that keeps it is a row copy.
    Dynamic shapes, other element types and small ops are left alone.
  }];
  let options = [
    Option<"vectorWidthBits", "vector-width", "unsigned", "256",
           "Width of the widest profitable SIMD register in bits">,
    Option<"numVectorRegisters", "vector-registers", "unsigned", "16",
           "Architectural vector registers (16 for AVX2, 32 for AVX-512/NEON)">,
    Option<"l1CacheBytes", "l1-cache", "int64_t", "32768",
           "L1 data cache size in bytes">,
    Option<"l2CacheBytes", "l2-cache", "int64_t", "1048576",
           "L2 cache size in bytes">,
    Option<"microM", "micro-m", "int64_t", "0",
           "Register tile rows (mr); 0 derives it from the register count">,
    Option<"microN", "micro-n", "int64_t", "0",
           "Register tile columns (nr); 0 uses `row-vectors` vectors">,
    Option<"rowVectors", "row-vectors", "unsigned", "2",
           "Vectors across a register tile's row when micro-n is 0 (3 fits "
           "an 8 x 12 f32 tile in 32 128-bit registers)">,
    Option<"tileM", "tile-m", "int64_t", "0",
           "Cache tile rows (Mc); 0 derives it from the L2 size">,
    Option<"tileN", "tile-n", "int64_t", "0",
           "Cache tile columns (Nc); 0 derives it from the L2 size">,
    Option<"tileK", "tile-k", "int64_t", "0",
           "Cache tile depth (Kc); 0 derives it from the L1 size">,
    Option<"minMatmulFlops", "min-matmul-flops", "int64_t", "65536",
           "Smallest contraction (2*M*N*K per batch) that is tiled">,
    Option<"packWeights", "pack-weights", "bool", "true",
           "Pack constant right-hand sides into contiguous panels">,
    Option<"int8DotProduct", "int8-dot-product", "std::string", "\"none\"",
           "Instruction of the u8 x s8 integer kernel: vpdpbusd (AVX-512 "
           "VNNI or AVX-VNNI) or none (widen to i32 and multiply)">,
    Option<"int8VectorWidthBits", "int8-vector-width", "unsigned", "0",
           "Vector width of the integer kernel in bits; 0 uses vector-width">,
    Option<"vectorizeElementwise", "vectorize-elementwise", "bool", "true",
           "Tile and vectorize elementwise generics and reductions">,
    Option<"reportTiles", "report-tiles", "bool", "false",
           "Emit a remark with the tile sizes chosen for each contraction "
           "(statistics are compiled out of release builds of LLVM)">
  ];
  let statistics = [
    Statistic<"numMatmulsTiled", "matmuls-tiled", "Contractions tiled">,
    Statistic<"numRowLoopsStopped", "row-loops-stopped",
              "Register-tile row loops that stop at a run-time length">,
    Statistic<"numWeightsPacked", "weights-packed",
              "Constant right-hand sides packed at compile time">,
    Statistic<"bytesPacked", "bytes-packed", "Bytes of packed weights">,
    Statistic<"numElementwiseVectorized", "elementwise-vectorized",
              "Elementwise ops and reductions vectorized">,
    Statistic<"chosenMicroM", "micro-m", "Register tile rows (mr) chosen">,
    Statistic<"chosenMicroN", "micro-n", "Register tile columns (nr) chosen">,
    Statistic<"chosenTileM", "tile-m", "Largest cache tile rows (Mc)">,
    Statistic<"chosenTileN", "tile-n", "Largest cache tile columns (Nc)">,
    Statistic<"chosenTileK", "tile-k", "Largest cache tile depth (Kc)">
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect",
    "mlir::arith::ArithDialect", "mlir::affine::AffineDialect",
    "mlir::LLVM::LLVMDialect"
  ];
}

def WhittleLowerVectors : Pass<"whittle-lower-vectors", "mlir::func::FuncOp"> {
  let summary = "Lower the vector ops of tile-kernels to 1-D vector ops";
  let description = [{
    Runs on buffers. vector.contract becomes outer products (one
    broadcast-FMA per row of the register tile), transfers become 1-D
    loads and stores, multi-reductions become 1-D reductions, so that the
    LLVM conversion sees only full-width 1-D vectors.
  }];
  let dependentDialects = ["mlir::vector::VectorDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect", "mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

def ConvertWhittleToLinalg : Pass<"convert-whittle-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower whittle ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Converts every whittle op into named linalg ops or linalg.generic on
    tensors (with tensor, arith and math ops for the scalar bodies).
    Requires static shapes; reports an error naming the op otherwise.
    Unsigned element types (ui8..ui64) select the unsigned arith ops
    (divui, maxui, cmpi ult, uitofp, extui, ...); afterwards every type in
    the module, function signatures and constants included, is signless.
  }];
  let statistics = [
    Statistic<"numElementwise", "elementwise-ops",
              "Elementwise whittle ops lowered">,
    Statistic<"numContractions", "contraction-ops",
              "Matmul, gemm and conv ops lowered">,
    Statistic<"numReductions", "reduction-ops",
              "Reduction, softmax and layer norm ops lowered">,
    Statistic<"numDataMovement", "data-movement-ops",
              "Constant, shape and data movement ops lowered">,
    Statistic<"numAttention", "attention-ops",
              "Attention ops lowered (unfused reference form)">
  ];
  let options = [
    Option<"vectorKernelRegisters", "vector-kernel-registers", "int64_t", "0",
           "Lower products with a constant 4-bit block weight to a vector "
           "kernel over weight panels (for the vectorizing backend) whose "
           "register block fits this many 512-bit registers (the target's "
           "registers x width / 512); 0: a dequantized weight and a matmul">,
    Option<"streamingAttention", "streaming-attention", "bool", "false",
           "Leave f32 whittle.attention ops with static shapes for "
           "whittle-tile-attention instead of lowering them to the unfused "
           "reference form">
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::bufferization::BufferizationDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Backend passes (after conversion to linalg)
//===----------------------------------------------------------------------===//

def WhittleDistinctResults : Pass<"whittle-distinct-results", "mlir::func::FuncOp"> {
  let summary = "Give every returned buffer of a function its own allocation";
  let description = [{
    Runs after bufferization, before results become out-parameters. Each
    output of a model library is a separate caller buffer, so a buffer that
    is returned twice, or that is a function argument or a global, is copied
    into a fresh allocation first: identical outputs (two outputs of one
    value, an input passed through) stay correct, and the out-parameter
    rewrite sees one distinct allocation per result.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numCopies", "copies", "Returned buffers copied to make results distinct">
  ];
}

def WhittlePlanMemory : Pass<"whittle-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place every static buffer of @main in one workspace argument";
  let description = [{
    Runs after bufferization. A buffer whose life ends in a whole copy,
    through an expand/collapse_shape, into an output argument that nothing
    else touches is replaced by the reshaped output itself (the copy goes).
    Every other `memref.alloc` of static size in the
    function becomes a `memref.view` into a new trailing workspace argument
    (`memref<Nxi8>`). Offsets come from a greedy, liveness-based allocator:
    buffers whose lifetimes (alloc to last use of any alias) do not overlap
    share bytes. Offsets are aligned to `alignment`. Deallocs are removed.
    The total size is recorded as the module attribute
    `whittle.workspace_size` (`whittle.workspace_size.<func-name>` for a
    function other than @main). A buffer that escapes its block (yielded or
    returned) or has a dynamic shape is an error.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", "\"main\"",
           "Function whose buffers are planned">,
    Option<"alignment", "alignment", "int64_t", "64",
           "Byte alignment of every buffer in the workspace">
  ];
  let statistics = [
    Statistic<"numBuffers", "buffers", "Buffers placed in the workspace">,
    Statistic<"bytesRequested", "bytes-requested",
              "Sum of the sizes of all planned buffers">,
    Statistic<"bytesPlanned", "bytes-planned", "Size of the workspace">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def WhittleOutlineParallelLoops
    : Pass<"whittle-outline-parallel-loops", "mlir::ModuleOp"> {
  let summary = "Outline top-level scf.parallel loops of @main into tasks";
  let description = [{
    Runs on buffers, after whittle-plan-memory. Appends an `!llvm.ptr`
    executor argument (a `const whittle_executor *`, see model_abi.h) to the
    function. Every top-level `scf.parallel` with static bounds, no
    reductions and enough work becomes a private task function
    `@__whittle_task_impl_<n>(captured memrefs..., begin, end)` (with the
    function's name before `<n>` for a function other than @main) running
    iterations [begin, end) of its first dimension, and the loop is
    replaced by a call of the declaration `@__whittle_parallel_<n>(captured
    memrefs..., executor)`. The target layer defines that declaration in the
    LLVM dialect: it packs the pointers into a context and calls
    executor->parallel_for with a `void (void *, int64_t, int64_t)`
    trampoline, or the trampoline directly when there is no executor.
    Loops capturing non-identity-layout memrefs stay serial.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", "\"main\"",
           "Function whose loops are outlined">,
    Option<"minWork", "min-work", "int64_t", "32768",
           "Smallest (iterations x body operations) worth a dispatch">
  ];
  let statistics = [
    Statistic<"numOutlined", "outlined", "Loops outlined into tasks">
  ];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"];
}

def WhittleLegalizeForLLVM : Pass<"whittle-legalize-for-llvm", "mlir::ModuleOp"> {
  let summary = "Rewrite what the LLVM conversions would turn into runtime calls";
  let description = [{
    Runs on buffers, before conversion to the LLVM dialect. Copies between
    non-contiguous memrefs become loops (instead of calls to the MLIR C
    runner's memrefCopy, which a model library does not link), and f32
    transcendental functions (tanh, erf, exp, log, ...) become polynomial
    approximations that vectorize instead of libm calls. Function arguments
    with a zero-sized dimension become 1-D memref<0xT> (expanded back in the
    body), which the bare-pointer calling convention can describe.
  }];
  let options = [
    Option<"approximateMath", "approximate-math", "bool", "true",
           "Replace f32 math functions with polynomial approximations">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect", "mlir::vector::VectorDialect",
                           "mlir::math::MathDialect"];
}

//===----------------------------------------------------------------------===//
// GPU (NVPTX) buffer passes
//===----------------------------------------------------------------------===//

def WhittleMapLoopsToGPU : Pass<"whittle-map-loops-to-gpu", "mlir::ModuleOp"> {
  let summary = "Run every top-level loop nest that touches memory as a GPU kernel";
  let description = [{
    Runs on buffers, after whittle-plan-memory, for a GPU target (all
    buffers are device memory, so the host must not dereference them). In
    every function body, a top-level `scf.parallel` becomes a `gpu.launch`
    over its flattened iteration space: one thread per iteration, in blocks
    of `block-size` threads, the innermost index fastest across threads
    (coalesced accesses for row-major buffers); iterations past the end are
    masked. A `memref.copy` becomes such a loop first. Other top-level ops
    that read or write memory (a serial loop, a load or store), with the
    arithmetic on what they read, run as one serial group in a one-thread
    launch at the next loop (the scale of a dynamic quantization, say); a
    value of such a group that the host needs is an error.
    `gpu-kernel-outlining` then turns the launches into kernels.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block of a parallel loop's launch">
  ];
  let statistics = [
    Statistic<"numParallel", "parallel-launches", "Parallel loops launched">,
    Statistic<"numSerial", "serial-launches", "Ops run in one-thread launches">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect"];
}

def WhittleMapAttentionToGPU
    : Pass<"whittle-map-attention-to-gpu", "mlir::ModuleOp"> {
  let summary = "Run whittle.attention as a flash-style GPU kernel";
  let description = [{
    For a GPU target, on tensors before bufferization. Each
    `whittle.attention` with f32 static shapes (and no decode position)
    becomes a `gpu.launch` of one block per (64-query block, query head,
    batch) and one thread per query row: per block of up to 64 keys (fewer
    where the head dims would overflow 32 KiB of shared memory; causal:
    only up to the block's last diagonal) the threads stage the key and
    value rows in workgroup memory, and each row computes its scores
    (mask added through its broadcast shape, -inf past the end or above
    the diagonal), updates its running maximum and sum and rescales its
    private output accumulator (online softmax). The score matrix never
    exists. Grouped-query heads read key/value head h / (Hq / Hkv). The
    operands enter through `bufferization.to_buffer` (any layout), the
    result leaves through `bufferization.to_tensor` of a new buffer.
  }];
  let statistics = [
    Statistic<"numMapped", "mapped", "Attentions run as GPU flash kernels">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def WhittleTileGPUContractions
    : Pass<"whittle-tile-gpu-contractions", "mlir::ModuleOp"> {
  let summary = "Run linalg contractions as shared-memory tiled GPU kernels";
  let description = [{
    Runs on buffers for a GPU target, before the linalg ops become loops.
    A top-level linalg op whose body is `out + x * y` in f32, where x is
    computed (by pure ops, from inputs read through projected indexing
    maps) without the output's N dimensions and y without its M
    dimensions, becomes a `gpu.launch` of 256-thread blocks, one per batch
    index and BM x BN tile of the output (BM = BN = 64, or 32 or 16 when M
    or N is smaller). Per BK = 16 slice of the reduction, the threads
    evaluate x and y (fused prologues included) into two workgroup tiles,
    synchronize, and each thread accumulates its T x T outputs (spaced 16
    apart, so a warp's reads of a tile row are conflict-free and its
    stores coalesced) in private registers with FMAs. Several M, N, K or
    batch dimensions are linearized. Matrix-vector products and
    contractions of other element types keep the thread-per-output path.
    With `precision` bf16 each warp runs `nvvm.mma.sync` m16n8k16 on four
    n8 tiles, its A and B registers gathered from the shared tiles by the
    PTX fragment layout, and its f32 accumulators reach the output through
    a shared tile. With `precision` tf32 or fp16 the tiles (always 64 x 64)
    run on tensor cores instead: the slices are staged in that precision (fp16 rounded, tf32
    as f32 whose low mantissa bits the hardware ignores), each of the 8
    warps accumulates two 16 x 16 f32 fragments with
    `gpu.subgroup_mma_compute` (WMMA, `wmma.mma.sync` in PTX), and the
    fragments reach the output through a shared tile, added to its initial
    value.
  }];
  let options = [
    Option<"precision", "precision", "std::string", "\"fp32\"",
           "fp32 (exact FMAs), tf32, fp16 or bf16 (tensor cores, f32 accumulation)">
  ];
  let statistics = [
    Statistic<"numTiled", "tiled", "Contractions tiled through shared memory">,
    Statistic<"numTensorCore", "tensor-core", "Contractions run on tensor cores">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::LLVM::LLVMDialect", "mlir::NVVM::NVVMDialect"];
}

def WhittleTileGPUReductions
    : Pass<"whittle-tile-gpu-reductions", "mlir::ModuleOp"> {
  let summary = "Run row reductions as one GPU block per row";
  let description = [{
    Runs on buffers for a GPU target, after whittle-tile-gpu-contractions
    and before the linalg ops become loops. A top-level linalg op whose
    output is indexed by exactly its parallel dimensions and whose body
    yields `combine(out, v)` in f32, with `combine` an add, mul, maximum or
    minimum and `v` computed by pure ops from the inputs (a softmax's
    maximum and exponential sum, a layer norm's sums, a matrix-vector
    product), becomes a `gpu.launch` of one block per output element (rows
    of fewer than 64 elements are left alone). Each of its threads (a power
    of two up to 256, no more than the row needs, at least 32) combines a
    strided share of the row, evaluating `v` as it goes; the partial
    results meet in a tree through workgroup memory, one barrier per level,
    and thread 0 combines the row with the output's initial value.
  }];
  let statistics = [
    Statistic<"numTiled", "tiled", "Reductions run one block per row">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect"];
}

def WhittlePromoteLoopAccumulators
    : Pass<"whittle-promote-loop-accumulators", "mlir::ModuleOp"> {
  let summary = "Keep a serial loop's reduction in a register instead of memory";
  let description = [{
    Runs on buffers. In an `scf.for` whose body loads and stores one
    loop-invariant location of a buffer (the accumulator of a reduction
    lowered from linalg: `C[i, j] += A[i, k] * B[k, j]`), with no other
    store and no other op touching memory, and whose other loads provably
    do not alias that buffer (other function arguments, constants, or
    disjoint constant byte ranges of the same workspace), the location is
    loaded once before the loop, carried as an iter_arg, and stored once
    after it. Used by the GPU backend, where each of those accesses would
    go to global memory.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::memref::MemRefDialect"];
}

def WhittleCoarsenGPUThreads
    : Pass<"whittle-coarsen-gpu-threads", "mlir::ModuleOp"> {
  let summary = "Give each GPU thread a block of a matmul's outputs";
  let description = [{
    Runs on buffers for a GPU target, after whittle-promote-loop-accumulators
    and before whittle-map-loops-to-gpu. A top-level `scf.parallel` with
    zero-based unit-step constant bounds whose body reads, reduces in one
    `scf.for` with iter_args (reading only) and stores (a matmul) has its
    last two dimensions M and N divided by `block-rows` R and `block-cols`
    C, and its body unrolled and jammed: one reduction loop carries the R·C
    accumulators of outputs (i' + a·M/R, j' + b·N/C), so that each thread
    loads R values of one operand and C of the other per step for R·C
    multiply-adds while neighbouring threads still read neighbouring
    columns. Blocks shrink (halving both) where the dimensions do not divide
    or fewer than `min-threads` threads would remain; CSE then merges the
    loads the copies share.
  }];
  let options = [
    Option<"blockRows", "block-rows", "int64_t", "4", "Outputs per thread along M">,
    Option<"blockCols", "block-cols", "int64_t", "4", "Outputs per thread along N">,
    Option<"minThreads", "min-threads", "int64_t", "16384",
           "Fewest threads a coarsened loop may keep">
  ];
  let statistics = [
    Statistic<"numCoarsened", "coarsened", "Parallel loops coarsened">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect"];
}

def WhittleEmulateGPULaunches
    : Pass<"whittle-emulate-gpu-launches", "mlir::ModuleOp"> {
  let summary = "Run gpu.launch bodies as loops on the CPU (testing without a GPU)";
  let description = [{
    Replaces each `gpu.launch` (as whittle-map-loops-to-gpu builds them:
    no barriers, no shared memory) with a loop nest over its blocks and
    threads that runs the body serially, block and thread ids being the
    loop indices. `whittle-compile --gpu-emulate` compiles a model through
    the GPU backend this way into a CPU library, so the GPU loop mapping
    can be checked numerically on a machine without a GPU.
  }];
  let statistics = [
    Statistic<"numEmulated", "emulated", "Launches turned into loops">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect", "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def WhittleLowerGPULaunches
    : Pass<"whittle-lower-gpu-launches", "mlir::ModuleOp"> {
  let summary = "Launch kernels through the runtime's executor, weights rebased onto the device";
  let description = [{
    Runs after gpu-kernel-outlining. Merges every gpu.module into one,
    `kernel-module`, each kernel named after its former module (the module
    attribute `whittle.gpu_kernels` lists them; a kernel's index is its
    position). Appends an `!llvm.ptr` executor argument (`const
    whittle_executor *`, model_abi.h) to every function and replaces each
    `gpu.launch_func` with a call of `executor->gpu_launch(executor->gpu,
    kernel, grid x/y/z, block x/y/z, shared bytes, slots, count)`: the
    kernel's parameters as NVVM lowers them (a memref as allocated and
    aligned pointer, offset, sizes, strides; scalars widened), one 8-byte
    slot each in a stack buffer. Memrefs whose buffer is a constant global
    are rebased onto `executor->gpu_weights`: the pass lays those globals
    out (256-byte aligned) and records `whittle.gpu_weights` ([@global,
    offset, bytes] each) and `whittle.gpu_weights_bytes` for the entry
    points, which give the runtime the table to upload once per session.
  }];
  let options = [
    Option<"kernelModule", "kernel-module", "std::string", "\"whittle_kernels\"",
           "Name of the merged kernel module">
  ];
  let statistics = [
    Statistic<"numLaunches", "launches", "Kernel launches lowered">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::LLVM::LLVMDialect",
                           "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect"];
}

def WhittleSerializeGPUKernels
    : Pass<"whittle-serialize-gpu-kernels", "mlir::ModuleOp"> {
  let summary = "Compile the kernel module to PTX and cubin constants of the host module";
  let description = [{
    Lowers `kernel-module` through NVVM (convert-gpu-to-nvvm, 64-bit
    indices; libdevice of the toolkit at `cuda-path` for the math left
    after whittle-legalize-for-llvm's polynomials) to PTX for `chip` with
    LLVM's NVPTX backend, and, with a toolkit, assembles it with its ptxas
    into a cubin for `chip`. The kernel module is replaced by
    the internal constants `@whittle_gpu_ptx` (NUL-terminated) and
    `@whittle_gpu_cubin`; ptxas's own message is the error when it fails.
  }];
  let options = [
    Option<"kernelModule", "kernel-module", "std::string", "\"whittle_kernels\"",
           "Name of the kernel module">,
    Option<"chip", "chip", "std::string", "\"sm_90\"", "GPU architecture">,
    Option<"features", "features", "std::string", "\"+ptx80\"",
           "NVPTX features (PTX version)">,
    Option<"cudaPath", "cuda-path", "std::string", "\"\"",
           "CUDA toolkit (bin/ptxas, nvvm/libdevice); empty: PTX only">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::LLVM::LLVMDialect",
                           "mlir::NVVM::NVVMDialect"];
}

#endif // WHITTLE_PASSES_TD
