// The comparison rule of the ONNX check (README.md, "Tolerance"): ONNX
// Runtime's value b agrees with neurona's value a when
//
//     |a − b| ≤ RTOL · max(|a|, |b|) + ATOL,   RTOL = 1e-5, ATOL = 1e-6,
//
// and neither is NaN. Infinities agree only with an equal infinity.

export const RTOL = 1e-5;
export const ATOL = 1e-6;

// agrees says whether b agrees with a under the rule.
export function agrees(a, b, rtol = RTOL, atol = ATOL) {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)) + atol;
}

// relError is |a − b| / max(|a|, |b|), 0 when both are 0 (what the report
// prints as max_rel; the rule itself is agrees).
export function relError(a, b) {
  const d = Math.abs(a - b);
  if (d === 0) return 0;
  return d / Math.max(Math.abs(a), Math.abs(b));
}

// compare checks every value of actual against expected (same length
// required). It returns {n, bad, maxRel, maxAbs, worst}: bad counts the
// values that disagree; worst is the value that uses the most of the
// tolerance (|a − b| / (RTOL·max + ATOL) largest), as {index, expected,
// actual}; maxRel and maxAbs are the largest relative and absolute errors
// (NaN when a NaN is involved).
export function compare(expected, actual, rtol = RTOL, atol = ATOL) {
  if (expected.length !== actual.length) {
    throw new Error(`compare: ${actual.length} values, expected ${expected.length}`);
  }
  let bad = 0, maxRel = 0, maxAbs = 0, worstScore = -1, worst = null;
  for (let i = 0; i < expected.length; i++) {
    const a = expected[i], b = actual[i];
    const ok = agrees(a, b, rtol, atol);
    let score;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      maxRel = maxAbs = NaN;
      score = Infinity;
    } else if (!Number.isFinite(a) || !Number.isFinite(b)) {
      score = ok ? 0 : Infinity;
      if (!ok) { maxRel = Math.max(maxRel, Infinity); maxAbs = Math.max(maxAbs, Infinity); }
    } else {
      const d = Math.abs(a - b);
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, relError(a, b));
      score = d / (rtol * Math.max(Math.abs(a), Math.abs(b)) + atol);
    }
    if (!ok) bad++;
    if (score > worstScore) { worstScore = score; worst = { index: i, expected: a, actual: b }; }
  }
  return { n: expected.length, bad, maxRel, maxAbs, worst };
}
