#!/usr/bin/env node
// Runs ONNX Runtime's graph optimizer on an ONNX model and saves the result,
// the way many published ONNX files were produced: with com.microsoft
// contrib ops (SkipLayerNormalization, FusedMatMul, BiasGelu, FastGelu,
// Attention, ...) and LayerNormalization in the default domain below opset 17.
//
// usage: node test/models/ort_optimize.js IN.onnx OUT.onnx [--level LEVEL]
//   --level LEVEL   graph optimization level: disabled, basic, extended
//                   (default) or all. 'all' adds layout transformations
//                   specific to the CPU this runs on; avoid it for tests.
//
// Session: CPU execution provider, intraOpNumThreads 1, interOpNumThreads 1,
// optimizedModelFilePath OUT. OUT must end in .onnx (ONNX Runtime writes its
// own ORT format for .ort). The model is only loaded, never run.
// Needs onnxruntime-node in bench/node_modules (bash bench/setup.sh).
// Errors go to stderr with exit status 1.
'use strict';

const fs = require('fs');
const path = require('path');

const ORT_PATH = path.join(__dirname, '..', '..', 'bench', 'node_modules', 'onnxruntime-node');
const LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'];

function die(msg) {
  process.stderr.write(`ort_optimize.js: error: ${msg}\n`);
  process.exit(1);
}

function usage() {
  const text = fs.readFileSync(__filename, 'utf8').split('\n');
  return text.slice(1, text.findIndex((l) => l.startsWith("'use strict'")))
    .map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n';
}

function parseArgs(argv) {
  const o = { files: [], level: 'extended' };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(usage());
      process.exit(0);
    } else if (arg === '--level') {
      if (i + 1 >= argv.length) die('--level needs a value');
      o.level = argv[++i];
    } else if (arg.startsWith('--level=')) {
      o.level = arg.slice('--level='.length);
    } else if (arg.startsWith('--')) {
      die(`unknown option '${arg}' (see --help)`);
    } else {
      o.files.push(arg);
    }
  }
  if (o.files.length !== 2) die('expected IN.onnx OUT.onnx (see --help)');
  if (!LEVELS.includes(o.level)) die(`invalid --level '${o.level}' (one of ${LEVELS.join(', ')})`);
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const [input, output] = o.files.map((f) => path.resolve(f));
  if (!fs.existsSync(input)) die(`model '${input}' not found`);
  if (!output.endsWith('.onnx')) die(`output '${output}' must end in .onnx`);
  if (input === output) die('input and output are the same file');

  let ort;
  try {
    ort = require(ORT_PATH);
  } catch (e) {
    die(`cannot load onnxruntime-node from ${ORT_PATH} (${e.message.split('\n')[0]}); run bench/setup.sh`);
  }

  // A stale output must not pass for a fresh one.
  try {
    fs.rmSync(output, { force: true });
  } catch (e) {
    die(`cannot remove old '${output}': ${e.message}`);
  }
  fs.mkdirSync(path.dirname(output), { recursive: true });

  let session;
  try {
    session = await ort.InferenceSession.create(input, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: o.level,
      executionMode: 'sequential',
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      optimizedModelFilePath: output,
      logSeverityLevel: 3, // errors only
    });
  } catch (e) {
    die(`onnxruntime cannot load '${input}': ${e.message}`);
  }
  await session.release();

  let size = 0;
  try {
    size = fs.statSync(output).size;
  } catch (e) {
    // Reported below.
  }
  if (size === 0) die(`onnxruntime did not write '${output}'`);
  const version = require(path.join(ORT_PATH, 'package.json')).version;
  process.stderr.write(`ort_optimize.js: wrote ${output} (onnxruntime-node ${version}, level ${o.level})\n`);
}

main().catch((e) => die(e.stack || String(e)));
