// Unit tests of the comparison rule: node --test compare.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agrees, compare, relError, RTOL, ATOL } from './compare.mjs';

const f32 = (xs) => Float32Array.from(xs);

test('the constants are the documented ones', () => {
  assert.equal(RTOL, 1e-5);
  assert.equal(ATOL, 1e-6);
});

test('relative part: 1e-5 of the larger magnitude passes, 2e-5 fails', () => {
  for (const a of [1, -3, 250, 1e6]) {
    // a·(1 ± 0.9e-5) is within RTOL·max + ATOL; a·(1 + 2e-5) is not
    // (for |a| ≥ 1 the floor adds at most 1e-6, a tenth of the margin).
    assert.ok(agrees(a, a * (1 + 0.9e-5)), `${a}`);
    assert.ok(agrees(a, a * (1 - 0.9e-5)), `${a}`);
    assert.ok(!agrees(a, a * (1 + 2e-5)), `${a}`);
    assert.ok(!agrees(a, a * (1 - 2e-5)), `${a}`);
  }
});

test('absolute floor: near 0 up to 1e-6 passes, 2e-6 fails', () => {
  assert.ok(agrees(0, 0));
  assert.ok(agrees(0, 9e-7));
  assert.ok(agrees(-4e-7, 5e-7));
  assert.ok(!agrees(0, 2e-6));
  assert.ok(!agrees(1e-6, -1.5e-6));
  // At 0.1 the two parts are equal: 1e-5·0.1 + 1e-6 = 2e-6.
  assert.ok(agrees(0.1, 0.1 + 1.9e-6));
  assert.ok(!agrees(0.1, 0.1 + 2.2e-6));
});

test('the rule is symmetric', () => {
  const pairs = [[1, 1.000015], [0, 1.5e-6], [-2, -2.00003], [3e-7, -8e-7]];
  for (const [a, b] of pairs) assert.equal(agrees(a, b), agrees(b, a), `${a} ${b}`);
});

test('NaN never agrees; infinities only with themselves', () => {
  assert.ok(!agrees(NaN, NaN));
  assert.ok(!agrees(1, NaN));
  assert.ok(!agrees(NaN, 1));
  assert.ok(agrees(Infinity, Infinity));
  assert.ok(!agrees(Infinity, -Infinity));
  assert.ok(!agrees(Infinity, 3e38));
});

test('relError', () => {
  assert.equal(relError(0, 0), 0);
  assert.equal(relError(2, 1), 0.5);
  assert.equal(relError(-1, 1), 2); // opposite signs: |a − b| is twice the magnitude
});

test('compare: equal float32 arrays agree with zero error', () => {
  const a = f32([0, 1, -2.5, 1e-8, 3.4e38]);
  const r = compare(a, f32(a));
  assert.deepEqual([r.n, r.bad, r.maxRel, r.maxAbs], [5, 0, 0, 0]);
});

test('compare: one value off by one float32 ulp of 1 still agrees', () => {
  const a = f32([1, 0.5, 0.25]);
  const b = f32(a);
  b[0] = 1 + 2 ** -23;
  const r = compare(a, b);
  assert.equal(r.bad, 0);
  assert.equal(r.worst.index, 0);
  assert.ok(Math.abs(r.maxRel - 2 ** -23 / (1 + 2 ** -23)) < 1e-12);
});

test('compare: a corrupted value is counted and reported as the worst', () => {
  const a = new Float32Array(1000).map((_, i) => Math.sin(i));
  const b = f32(a);
  b[417] *= 1 + 3e-5;
  b[10] += 5e-7; // within the floor
  const r = compare(a, b);
  assert.equal(r.bad, 1);
  assert.equal(r.worst.index, 417);
  assert.ok(r.maxRel > 2.9e-5 && r.maxRel < 3.1e-5, `${r.maxRel}`);
});

test('compare: NaN in the actual values fails and poisons the maxima', () => {
  const r = compare(f32([1, 2]), f32([1, NaN]));
  assert.equal(r.bad, 1);
  assert.ok(Number.isNaN(r.maxRel) && Number.isNaN(r.maxAbs));
  assert.equal(r.worst.index, 1);
});

test('compare: lengths must match', () => {
  assert.throws(() => compare(f32([1, 2]), f32([1])), /1 values, expected 2/);
});
