// End-to-end tests of check.mjs on ONNX models written here by hand (a
// minimal protobuf encoder), so that the checker is known to pass a right
// model and to fail a wrong one before the real export is run through it:
//
//     node --test check.test.mjs      (needs onnxruntime-node, as check.mjs)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// --- protobuf, just enough for ONNX's ModelProto ---
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const field = (num, wire) => varint((num << 3) | wire);
const int = (num, v) => [...field(num, 0), ...varint(v)];
const bytes = (num, b) => [...field(num, 2), ...varint(b.length), ...b];
const str = (num, s) => bytes(num, [...Buffer.from(s, 'utf8')]);
const msg = (num, parts) => bytes(num, parts.flat());

// ONNX: TensorProto.FLOAT = 1.
const dim = (d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]);
const valueInfo = (num, name, dims) =>
  msg(num, [str(1, name), msg(2, [msg(1, [int(1, 1), msg(2, dims.map(dim))])])]);
const initializer = (name, dims, values) =>
  msg(5, [...dims.map((d) => int(1, d)), int(2, 1), str(8, name), bytes(9, [...Buffer.from(Float32Array.from(values).buffer)])]);
const node = (op, inputs, outputs) => msg(1, [...inputs.map((s) => str(1, s)), ...outputs.map((s) => str(2, s)), str(4, op)]);

// dense writes y = x·W + b (x: [batch, 3], y: [batch, 2]) with ONNX's MatMul
// and Add, named as neurona's export names a Sequential's.
const W = [0.5, -1.25, 2, 0.75, -0.3, 1.5]; // 3×2, row-major
const B = [0.1, -0.2];
function dense({ batch = 'batch', outName = 'dense_1' } = {}) {
  const graph = [
    node('MatMul', ['dense_1_input', 'W'], ['xw']),
    node('Add', ['xw', 'B'], [outName]),
    str(2, 'dense'),
    initializer('W', [3, 2], W),
    initializer('B', [2], B),
    valueInfo(11, 'dense_1_input', [batch, 3]),
    valueInfo(12, outName, [batch, 2]),
  ];
  return Buffer.from([...int(1, 8), ...str(2, 'check.test.mjs'), ...msg(7, graph), ...msg(8, [str(1, ''), int(2, 17)])]);
}

// fixture writes a manifest with one case per entry of models (name →
// ONNX bytes, or an export error string) and neurona's "outputs" computed
// here in float64 and rounded to float32; corrupt(name, out) may change
// them.
function fixture(models, corrupt = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-check-test-'));
  const cases = [];
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (const [name, model] of Object.entries(models)) {
    const c = { name, about: 'test', inputs: [{ name: 'dense_1_input', shape: [3] }], outputs: [{ name: 'dense_1', shape: [2] }], batches: [] };
    if (typeof model === 'string') c.export_error = model;
    else {
      c.model = `${name}.onnx`;
      writeFileSync(join(dir, c.model), model);
    }
    for (const rows of [1, 7, 92]) {
      const x = Float32Array.from({ length: rows * 3 }, rand);
      const y = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < 2; j++) {
          let s = B[j];
          for (let i = 0; i < 3; i++) s += x[r * 3 + i] * Math.fround(W[i * 2 + j]);
          y[r * 2 + j] = s;
        }
      }
      corrupt(name, y, rows);
      const fin = `${name}.b${rows}.in0.f32`, fout = `${name}.b${rows}.out0.f32`;
      writeFileSync(join(dir, fin), Buffer.from(x.buffer));
      writeFileSync(join(dir, fout), Buffer.from(y.buffer));
      c.batches.push({ rows, inputs: [fin], outputs: [fout] });
    }
    cases.push(c);
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 1, opset: 0, seed: 1, cases }));
  return dir;
}

function check(dir) {
  const r = spawnSync(process.execPath, [join(here, 'check.mjs'), dir], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (r.status === 2) assert.fail(`check.mjs could not run: ${r.stderr}`);
  const line = (name) => r.stdout.split('\n').find((l) => l.split(/\s+/)[1] === name) ?? '';
  return { status: r.status, stdout: r.stdout, line };
}

test('a right model passes, on every batch size', () => {
  const r = check(fixture({ good: dense() }));
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.line('good'), /^PASS good\s+values=200 max_rel=\S+ max_abs=\S+$/);
  assert.match(r.stdout, /\n1 passed, 0 failed\n$/);
});

test('one corrupted value (3e-5 relative) fails the case and the run', () => {
  const r = check(fixture({ good: dense(), bad: dense() }, (name, y, rows) => {
    if (name === 'bad' && rows === 7) y[5] *= 1 + 3e-5;
  }));
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.line('good'), /^PASS /);
  assert.match(r.line('bad'), /^FAIL bad\s+1 of 200 values disagree; .*\(dense_1, 7 row\(s\), flat index 5\)/);
  assert.match(r.stdout, /\n1 passed, 1 failed\n$/);
});

test('a value off by less than the tolerance (5e-6 relative) passes', () => {
  const r = check(fixture({ near: dense() }, (name, y, rows) => {
    if (rows === 92) y[100] *= 1 + 5e-6;
  }));
  assert.equal(r.status, 0, r.stdout);
});

test('a failed export is reported with its error', () => {
  const r = check(fixture({ missing: 'ExportONNX: not implemented' }));
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.line('missing'), /^FAIL missing\s+export failed: ExportONNX: not implemented$/);
});

test('a fixed batch dimension fails', () => {
  const r = check(fixture({ fixed: dense({ batch: 7 }) }));
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.line('fixed'), /fixed batch dimension 7, want a dynamic one/);
});

test('a wrong output name fails', () => {
  const r = check(fixture({ renamed: dense({ outName: 'y' }) }));
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.line('renamed'), /output names are \["y"\], want \["dense_1"\]/);
});

test('a file that is not ONNX fails to load', () => {
  const r = check(fixture({ garbage: Buffer.from('not a model') }));
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.line('garbage'), /ONNX Runtime cannot load garbage.onnx/);
});
