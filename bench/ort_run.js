#!/usr/bin/env node
// Times one ONNX model with ONNX Runtime (onnxruntime-node, CPU execution
// provider) the way whittle-run times a compiled model: W untimed warm-up
// runs, then N timed runs of the same inputs in one session.
//
// usage: node bench/ort_run.js MODEL.onnx [options]
//   --input NAME=FILE   an input from a .npy or ONNX TensorProto .pb file
//                       (repeatable; FILE alone binds inputs in order)
//   --test-data DIR     bind DIR/input_K.pb in order (ONNX test data layout)
//   --threads T         intra-op threads (default 1); inter-op threads are 1
//   --iterations N      timed runs (default 10; 0 = run once, no timing)
//   --warmup W          untimed runs before timing (default 1)
//   --output-dir DIR    write every output of the first run to DIR/NAME.npy
//   --optimization L    graph optimization level: disabled, basic, extended
//                       or all (default all); 'disabled' runs the graph's
//                       exact semantics, node by node (reference outputs)
//
// Session: graphOptimizationLevel L, executionMode 'sequential',
// intraOpNumThreads T, interOpNumThreads 1, CPU execution provider.
// Prints one JSON line on stdout: {"median_ms", "min_ms", "p90_ms", ...}.
// Errors go to stderr with exit status 1.
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`ort_run.js: error: ${msg}\n`);
  process.exit(1);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  die(`cannot load onnxruntime-node (${e.message.split('\n')[0]}); run bench/setup.sh`);
}

// ---------------------------------------------------------------------------
// Tensor files.
// ---------------------------------------------------------------------------

// ONNX TensorProto.DataType -> [ort type, TypedArray, bytes per element]
const ONNX_TYPES = {
  1: ['float32', Float32Array, 4],
  2: ['uint8', Uint8Array, 1],
  3: ['int8', Int8Array, 1],
  4: ['uint16', Uint16Array, 2],
  5: ['int16', Int16Array, 2],
  6: ['int32', Int32Array, 4],
  7: ['int64', BigInt64Array, 8],
  9: ['bool', Uint8Array, 1],
  10: ['float16', Uint16Array, 2],
  11: ['float64', Float64Array, 8],
  12: ['uint32', Uint32Array, 4],
  13: ['uint64', BigUint64Array, 8],
};

// numpy dtype descr (without byte order) -> ort type
const NPY_TYPES = {
  f4: 'float32', f8: 'float64', f2: 'float16', i1: 'int8', i2: 'int16',
  i4: 'int32', i8: 'int64', u1: 'uint8', u2: 'uint16', u4: 'uint32',
  u8: 'uint64', b1: 'bool',
};
const ORT_ARRAYS = {
  float32: [Float32Array, 4], float64: [Float64Array, 8], float16: [Uint16Array, 2],
  int8: [Int8Array, 1], int16: [Int16Array, 2], int32: [Int32Array, 4],
  int64: [BigInt64Array, 8], uint8: [Uint8Array, 1], uint16: [Uint16Array, 2],
  uint32: [Uint32Array, 4], uint64: [BigUint64Array, 8], bool: [Uint8Array, 1],
};

// Copies `count` little-endian elements out of buf[offset..] into a fresh,
// aligned typed array (Buffer slices are not necessarily aligned).
function typedCopy(Arr, size, buf, offset, count) {
  const need = count * size;
  if (offset + need > buf.length)
    throw new Error(`data has ${buf.length - offset} bytes, expected ${need}`);
  const out = new Arr(count);
  Buffer.from(out.buffer).set(buf.subarray(offset, offset + need));
  return out;
}

function makeTensor(type, data, dims) {
  if (type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return new ort.Tensor(type, data, dims);
}

function readNpy(buf, file) {
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY')
    throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${file}: bad .npy header ${header}`);
  if (fortran[1] === 'True') throw new Error(`${file}: Fortran-order arrays are not supported`);
  const order = descr[1][0];
  if (order === '>') throw new Error(`${file}: big-endian arrays are not supported`);
  const type = NPY_TYPES[descr[1].slice(1)];
  if (!type) throw new Error(`${file}: unsupported dtype '${descr[1]}'`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const [Arr, size] = ORT_ARRAYS[type];
  return makeTensor(type, typedCopy(Arr, size, buf, hstart + hlen, count), dims);
}

// Minimal protobuf reader for onnx.TensorProto: dims (1), data_type (2),
// float_data (4), int32_data (5), int64_data (7), name (8), raw_data (9),
// double_data (10), uint64_data (11). External data is not supported.
function readTensorProto(buf, file) {
  let pos = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error(`${file}: truncated varint`);
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  const t = { dims: [], dataType: 0, name: '', raw: null, f32: [], i32: [], i64: [], f64: [], u64: [] };
  const packedOrOne = (wire, readOne, sink) => {
    if (wire === 2) {
      const end = pos + Number(varint());
      while (pos < end) sink.push(readOne());
    } else {
      sink.push(readOne());
    }
  };
  const signed64 = () => BigInt.asIntN(64, varint());
  const f32 = () => { const v = buf.readFloatLE(pos); pos += 4; return v; };
  const f64 = () => { const v = buf.readDoubleLE(pos); pos += 8; return v; };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    switch (field) {
      case 1: packedOrOne(wire, () => Number(signed64()), t.dims); continue;
      case 2: t.dataType = Number(varint()); continue;
      case 4: packedOrOne(wire, f32, t.f32); continue;
      case 5: packedOrOne(wire, () => Number(BigInt.asIntN(32, varint())), t.i32); continue;
      case 7: packedOrOne(wire, signed64, t.i64); continue;
      case 10: packedOrOne(wire, f64, t.f64); continue;
      case 11: packedOrOne(wire, () => varint(), t.u64); continue;
      case 8:
      case 9: {
        const len = Number(varint());
        const bytes = buf.subarray(pos, pos + len);
        pos += len;
        if (field === 8) t.name = bytes.toString('utf8');
        else t.raw = bytes;
        continue;
      }
      case 14:
        throw new Error(`${file}: tensors with external data are not supported`);
      default:
        // Skip an unknown field.
        if (wire === 0) varint();
        else if (wire === 1) pos += 8;
        else if (wire === 2) pos += Number(varint());
        else if (wire === 5) pos += 4;
        else throw new Error(`${file}: unsupported protobuf wire type ${wire}`);
    }
  }
  const info = ONNX_TYPES[t.dataType];
  if (!info) throw new Error(`${file}: unsupported TensorProto data_type ${t.dataType}`);
  const [type, Arr, size] = info;
  const count = t.dims.reduce((a, b) => a * b, 1);
  let data;
  if (t.raw) {
    data = typedCopy(Arr, size, t.raw, 0, count);
  } else {
    // Typed fields: float -> float_data; int32 and narrower, bool, float16 ->
    // int32_data; int64 -> int64_data; double -> double_data; uint32/64 -> uint64_data.
    const src = { 1: t.f32, 6: t.i32, 7: t.i64, 11: t.f64, 12: t.u64, 13: t.u64 }[t.dataType] || t.i32;
    if (src.length !== count)
      throw new Error(`${file}: ${src.length} elements, expected ${count}`);
    data = new Arr(count);
    for (let i = 0; i < count; ++i)
      data[i] = Arr === BigInt64Array || Arr === BigUint64Array ? BigInt(src[i]) : Number(src[i]);
  }
  const tensor = makeTensor(type, data, t.dims);
  tensor.protoName = t.name;
  return tensor;
}

function readTensorFile(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read input file '${file}': ${e.message}`);
  }
  if (file.endsWith('.npy')) return readNpy(buf, file);
  return readTensorProto(buf, file);
}

const NPY_DESCR = {
  float32: '<f4', float64: '<f8', float16: '<f2', int8: '|i1', int16: '<i2',
  int32: '<i4', int64: '<i8', uint8: '|u1', uint16: '<u2', uint32: '<u4',
  uint64: '<u8', bool: '|b1',
};

function writeNpy(file, tensor) {
  const descr = NPY_DESCR[tensor.type];
  if (!descr) throw new Error(`cannot write output of type ${tensor.type} to .npy`);
  const dims = tensor.dims;
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  let data = tensor.data;
  if (tensor.type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// Same file names as whittle-run --output-dir.
function fileNameFor(name) {
  return (name || 'output').replace(/[^A-Za-z0-9._-]/g, '_');
}

// ---------------------------------------------------------------------------
// Command line and timing.
// ---------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { model: null, inputs: [], testData: null, threads: 1, iterations: 10, warmup: 1, outputDir: null, optimization: 'all' };
  const count = (flag, v) => {
    if (!/^\d+$/.test(v || '')) die(`invalid value '${v}' for ${flag} (expected a non-negative integer)`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; ++i) {
    let arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      const text = fs.readFileSync(__filename, 'utf8').split('\n');
      process.stdout.write(text.slice(1, text.findIndex((l) => l.startsWith("'use strict'"))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    }
    if (!arg.startsWith('--')) {
      if (o.model) die(`unexpected argument '${arg}' (one model per run)`);
      o.model = arg;
      continue;
    }
    let value;
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) die(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--input': o.inputs.push(next()); break;
      case '--test-data': o.testData = next(); break;
      case '--threads': o.threads = count(arg, next()); break;
      case '--iterations': o.iterations = count(arg, next()); break;
      case '--warmup': o.warmup = count(arg, next()); break;
      case '--output-dir': o.outputDir = next(); break;
      case '--optimization':
        o.optimization = next();
        if (!['disabled', 'basic', 'extended', 'all'].includes(o.optimization))
          die(`invalid value '${o.optimization}' for --optimization (expected disabled, basic, extended or all)`);
        break;
      default: die(`unknown option '${arg}' (see --help)`);
    }
  }
  if (!o.model) die('no model given (see --help)');
  if (o.threads < 1) die('--threads must be at least 1');
  return o;
}

function percentile(sorted, q) {
  // Nearest-rank percentile.
  const k = Math.max(0, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.min(k, sorted.length - 1)];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(o.model)) die(`model '${o.model}' not found`);

  const loadStart = process.hrtime.bigint();
  let session;
  try {
    session = await ort.InferenceSession.create(o.model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: o.optimization,
      executionMode: 'sequential',
      intraOpNumThreads: o.threads,
      interOpNumThreads: 1,
    });
  } catch (e) {
    die(`cannot load '${o.model}': ${e.message}`);
  }
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;

  // Bind inputs: NAME=FILE by name, FILE alone in order.
  const specs = [...o.inputs];
  if (o.testData) {
    const files = fs.readdirSync(o.testData).filter((f) => /^input_\d+\.pb$/.test(f))
      .sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]));
    if (!files.length) die(`no input_K.pb files in '${o.testData}'`);
    specs.push(...files.map((f) => path.join(o.testData, f)));
  }
  const feeds = {};
  let position = 0;
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    let name;
    let file;
    if (eq > 0 && !fs.existsSync(spec)) {
      name = spec.slice(0, eq);
      file = spec.slice(eq + 1);
      if (!session.inputNames.includes(name))
        die(`model has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    } else {
      if (position >= session.inputNames.length) die(`too many inputs: model has ${session.inputNames.length}`);
      name = session.inputNames[position++];
      file = spec;
    }
    try {
      feeds[name] = readTensorFile(file);
    } catch (e) {
      die(e.message);
    }
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) die(`no data for input(s) ${missing.join(', ')} (use --input or --test-data)`);

  const runOnce = async () => {
    try {
      return await session.run(feeds);
    } catch (e) {
      die(`run failed: ${e.message}`);
    }
  };

  const first = await runOnce();
  if (o.outputDir) {
    fs.mkdirSync(o.outputDir, { recursive: true });
    for (const name of session.outputNames)
      writeNpy(path.join(o.outputDir, fileNameFor(name) + '.npy'), first[name]);
  }

  const result = {
    runtime: 'onnxruntime-node',
    version: require('onnxruntime-node/package.json').version,
    model: o.model,
    threads: o.threads,
    warmup: o.warmup,
    iterations: o.iterations,
    load_ms: loadMs,
  };
  if (o.iterations > 0) {
    for (let i = 0; i < o.warmup; ++i) await runOnce();
    const ms = [];
    for (let i = 0; i < o.iterations; ++i) {
      const start = process.hrtime.bigint();
      await runOnce();
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    ms.sort((a, b) => a - b);
    const n = ms.length;
    result.median_ms = n % 2 ? ms[(n - 1) / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    result.min_ms = ms[0];
    result.p90_ms = percentile(ms, 0.9);
    result.mean_ms = ms.reduce((a, b) => a + b, 0) / n;
  }
  if (o.outputDir) result.output_dir = o.outputDir;
  process.stdout.write(JSON.stringify(result) + '\n');
  await session.release();
}

main().catch((e) => die(e.stack || String(e)));
