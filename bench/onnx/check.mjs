// check.mjs runs neurona's ONNX exports in ONNX Runtime (CPU) and compares
// them with neurona's own outputs (README.md):
//
//     node check.mjs DIR [--only NAME,NAME]
//
// DIR holds manifest.json and the files that main.go wrote. For each case
// it loads DIR/NAME.onnx, checks the graph's input and output names, types
// and shapes (float32, a dynamic batch dimension, then Keras's shape), runs
// every batch and compares every value with the rule of compare.mjs. One
// line per case on stdout, then "N passed, M failed"; diagnostics on
// stderr. Exit status: 0 when every case passed, 1 when one failed, 2 when
// the check itself could not run (usage, manifest, ONNX Runtime missing).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { compare, RTOL, ATOL } from './compare.mjs';

function die(msg) {
  console.error(`check.mjs: ${msg}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let dir = null, only = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only = new Set(args[++i].split(','));
  else if (args[i] === '-h' || args[i] === '--help') {
    console.log('usage: node check.mjs DIR [--only NAME,NAME]');
    process.exit(0);
  } else if (dir === null) dir = args[i];
  else die(`unexpected argument ${args[i]}`);
}
if (dir === null) die('usage: node check.mjs DIR [--only NAME,NAME]');
if (endianness() !== 'LE') die('the data files are little-endian float32; this machine is big-endian');

let ort;
try {
  // createRequire's require honours NODE_PATH (an ESM import would not), so
  // a development copy of onnxruntime-node elsewhere can be used.
  ort = createRequire(import.meta.url)('onnxruntime-node');
} catch (e) {
  die(`cannot load onnxruntime-node (run 'npm ci' in bench/onnx, or set NODE_PATH): ${e.message}`);
}

let manifest;
try {
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
} catch (e) {
  die(`cannot read ${join(dir, 'manifest.json')}: ${e.message}`);
}
if (manifest.format !== 1 || !Array.isArray(manifest.cases)) die('manifest.json: unknown format (want format 1 with cases)');
let cases = manifest.cases;
if (only) {
  const names = new Set(cases.map((c) => c.name));
  const unknown = [...only].filter((n) => !names.has(n));
  if (unknown.length) die(`unknown case(s) ${unknown.join(', ')} (valid: ${[...names].join(', ')})`);
  cases = cases.filter((c) => only.has(c.name));
}
if (cases.length === 0) die('the manifest has no cases');

function readFloats(name) {
  const b = readFileSync(join(dir, name));
  if (b.length % 4 !== 0) throw new Error(`${name}: ${b.length} bytes is not a whole number of float32 values`);
  // A copy: the Buffer's offset in its pool need not be 4-aligned.
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

const size = (shape) => shape.reduce((n, d) => n * d, 1);
const fmt = (x) => (Number.isNaN(x) ? 'NaN' : x.toExponential(2));
const shapeStr = (s) => `[${s.join(', ')}]`;

// checkSignature compares the session's inputs or outputs with the
// manifest's: the same names (in the same order), float32, rank 1 + the
// Keras shape's, a dynamic first dimension and the Keras shape after it.
function checkSignature(what, names, metadata, want) {
  const got = [...names];
  const expected = want.map((t) => t.name);
  if (got.length !== expected.length || got.some((n, i) => n !== expected[i])) {
    return `${what} names are ${JSON.stringify(got)}, want ${JSON.stringify(expected)}`;
  }
  if (!metadata) return null; // an onnxruntime-node without metadata: the runs check shapes
  for (let i = 0; i < want.length; i++) {
    const md = metadata[i], w = want[i];
    if (!md || md.isTensor === false) return `${what} ${w.name} is not a tensor`;
    if (md.type !== 'float32') return `${what} ${w.name} has type ${md.type}, want float32`;
    const dims = md.shape;
    if (!Array.isArray(dims) || dims.length !== w.shape.length + 1) {
      return `${what} ${w.name} has shape ${JSON.stringify(dims)}, want [batch, ${w.shape.join(', ')}]`;
    }
    if (typeof dims[0] === 'number' && dims[0] >= 0) {
      return `${what} ${w.name} has a fixed batch dimension ${dims[0]}, want a dynamic one`;
    }
    for (let k = 0; k < w.shape.length; k++) {
      if (dims[k + 1] !== w.shape[k]) {
        return `${what} ${w.name} has shape ${JSON.stringify(dims)}, want [batch, ${w.shape.join(', ')}]`;
      }
    }
  }
  return null;
}

// runCase returns {ok, line}: the case's report line.
async function runCase(c) {
  if (c.export_error) return { ok: false, line: `export failed: ${c.export_error}` };
  if (!c.model) return { ok: false, line: 'the manifest names no model file' };
  let session;
  try {
    session = await ort.InferenceSession.create(join(dir, c.model), { executionProviders: ['cpu'] });
  } catch (e) {
    return { ok: false, line: `ONNX Runtime cannot load ${c.model}: ${e.message.split('\n')[0]}` };
  }
  try {
    const sig = checkSignature('input', session.inputNames, session.inputMetadata, c.inputs) ??
      checkSignature('output', session.outputNames, session.outputMetadata, c.outputs);
    if (sig) return { ok: false, line: sig };
    let n = 0, bad = 0, maxRel = 0, maxAbs = 0, worst = null, worstWhere = '';
    const problems = [];
    for (const b of c.batches) {
      const feeds = {};
      c.inputs.forEach((t, i) => {
        const x = readFloats(b.inputs[i]);
        if (x.length !== b.rows * size(t.shape)) throw new Error(`${b.inputs[i]}: ${x.length} values, want ${b.rows}·${shapeStr(t.shape)}`);
        feeds[t.name] = new ort.Tensor('float32', x, [b.rows, ...t.shape]);
      });
      let results;
      try {
        results = await session.run(feeds);
      } catch (e) {
        problems.push(`run on ${b.rows} row(s) failed: ${e.message.split('\n')[0]}`);
        continue;
      }
      c.outputs.forEach((t, k) => {
        const want = readFloats(b.outputs[k]);
        const got = results[t.name];
        const dims = [b.rows, ...t.shape];
        if (!got) { problems.push(`no output ${t.name} on ${b.rows} row(s)`); return; }
        if (got.type !== 'float32') { problems.push(`output ${t.name} is ${got.type}`); return; }
        if (got.dims.length !== dims.length || got.dims.some((d, i) => d !== dims[i])) {
          problems.push(`output ${t.name} on ${b.rows} row(s) has shape ${shapeStr(got.dims)}, want ${shapeStr(dims)}`);
          return;
        }
        const r = compare(want, got.data);
        n += r.n;
        bad += r.bad;
        maxRel = Number.isNaN(r.maxRel) || Number.isNaN(maxRel) ? NaN : Math.max(maxRel, r.maxRel);
        maxAbs = Number.isNaN(r.maxAbs) || Number.isNaN(maxAbs) ? NaN : Math.max(maxAbs, r.maxAbs);
        if (r.bad > 0 && !worst) {
          worst = r.worst;
          worstWhere = `${t.name}, ${b.rows} row(s), flat index ${r.worst.index}`;
        }
      });
    }
    const stats = `values=${n} max_rel=${fmt(maxRel)} max_abs=${fmt(maxAbs)}`;
    if (problems.length) return { ok: false, line: `${problems.join('; ')} (${stats})` };
    if (bad > 0) {
      return {
        ok: false,
        line: `${bad} of ${n} values disagree; first worst: neurona ${worst.expected} vs onnxruntime ${worst.actual} ` +
          `(${worstWhere}) ${stats}`,
      };
    }
    return { ok: true, line: stats };
  } finally {
    await session.release?.();
  }
}

console.log(`onnxruntime-node ${ort.env?.versions?.node ?? '?'} (CPU); pass: |neurona - ort| <= ${RTOL.toExponential()}*max(|neurona|,|ort|) + ${ATOL.toExponential()} for every value`);
let passed = 0, failed = 0;
const width = Math.max(...cases.map((c) => c.name.length));
for (const c of cases) {
  let r;
  try {
    r = await runCase(c);
  } catch (e) {
    r = { ok: false, line: `check error: ${e.message}` };
  }
  if (r.ok) passed++;
  else failed++;
  console.log(`${r.ok ? 'PASS' : 'FAIL'} ${c.name.padEnd(width)}  ${r.line}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
