"use strict";
// The dashboard page: it fetches /api/runs, listens to /api/events and
// draws everything as hand-written SVG (see docs/dashboard.md).

const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const SVG = "http://www.w3.org/2000/svg";
let runs = [], hidden = {}, histEpoch = null;

function el(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

function html(tag, props, children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  (children || []).forEach(c => e.append(c));
  return e;
}

const fmt = v => (v === null || v === undefined) ? "" : (+v).toPrecision(4);

// lineChart draws series ({name, pts: [[x, y|null]...]}) with optional
// vertical marks ({x, label}).
function lineChart(svg, series, marks) {
  svg.innerHTML = "";
  const W = +svg.getAttribute("width"), H = +svg.getAttribute("height"), L = 55, B = 25, T = 10, R = 10;
  const xs = [], ys = [];
  series.forEach(s => s.pts.forEach(p => { if (p[1] !== null && isFinite(p[1])) { xs.push(p[0]); ys.push(p[1]); } }));
  if (!xs.length) {
    svg.appendChild(el("text", {x: W / 2 - 40, y: H / 2, fill: "#999"}, "no data yet"));
    return;
  }
  const intX = xs.every(Number.isInteger);
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { const d = Math.abs(y0) * 0.1 || 0.5; y0 -= d; y1 += d; } // a flat curve in the middle
  const X = x => L + (x - x0) / (x1 - x0) * (W - L - R), Y = y => H - B - (y - y0) / (y1 - y0) * (H - B - T);
  svg.appendChild(el("line", {x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#bbb"}));
  svg.appendChild(el("line", {x1: L, x2: L, y1: T, y2: H - B, stroke: "#bbb"}));
  for (let i = 0; i <= 4; i++) {
    const y = y0 + (y1 - y0) * i / 4;
    svg.appendChild(el("text", {x: 2, y: Y(y) + 4, "font-size": 11}, y.toPrecision(3)));
    let x = x0 + (x1 - x0) * i / 4;
    if (intX) x = Math.round(x);
    svg.appendChild(el("text", {x: X(x) - 8, y: H - 6, "font-size": 11}, +x.toPrecision(3)));
  }
  series.forEach((s, i) => {
    const all = s.pts.filter(p => p[1] !== null && isFinite(p[1])), pts = decimate(all, X, W - L - R);
    const d = pts.map((p, j) => (j ? "L" : "M") + X(p[0]).toFixed(1) + "," + Y(p[1]).toFixed(1)).join("");
    const c = colors[i % colors.length];
    svg.appendChild(el("path", {d: d, fill: "none", stroke: c, "stroke-width": 1.5, class: "series", "data-name": s.name, "data-points": all.length}));
    if (pts.length < 60) pts.forEach(p => svg.appendChild(el("circle", {cx: X(p[0]), cy: Y(p[1]), r: 2, fill: c})));
    svg.appendChild(el("text", {x: W - 260, y: T + 12 + 13 * i, "font-size": 11, fill: c}, s.name));
  });
  (marks || []).forEach(m => {
    svg.appendChild(el("line", {x1: X(m.x), x2: X(m.x), y1: T, y2: H - B, stroke: "#999", "stroke-dasharray": "4"}));
    const right = X(m.x) > W - 200; // the label goes left of a line near the right edge
    svg.appendChild(el("text", {x: right ? X(m.x) - 3 : X(m.x) + 3, y: H - B - 4, "font-size": 11, class: "best", "text-anchor": right ? "end" : "start"}, m.label));
  });
}

// decimate keeps, of a curve with more points than two per pixel, the
// first, lowest and highest point of each pixel column: the drawing looks
// the same and costs the browser a bounded amount.
function decimate(pts, X, width) {
  if (pts.length <= 2 * width) return pts;
  const out = [];
  let col = null, lo = null, hi = null;
  const flush = () => { if (col === null) return; const a = lo[0] <= hi[0] ? [lo, hi] : [hi, lo]; out.push(a[0]); if (a[1] !== a[0]) out.push(a[1]); };
  pts.forEach(p => {
    const c = Math.round(X(p[0]));
    if (c !== col) { flush(); col = c; lo = hi = p; return; }
    if (p[1] < lo[1]) lo = p;
    if (p[1] > hi[1]) hi = p;
  });
  flush();
  return out;
}

// barChart draws a histogram {min, max, counts} in a small SVG.
function barChart(h, color, W, H) {
  const svg = el("svg", {width: W, height: H, class: "hist", "data-name": h.name, "data-kind": h.kind});
  const n = h.counts.length, top = Math.max(1, ...h.counts), B = 14;
  h.counts.forEach((c, i) => {
    const bh = c / top * (H - B - 4);
    svg.appendChild(el("rect", {x: i * W / n, y: H - B - bh, width: Math.max(1, W / n - 1), height: bh, fill: color}));
  });
  svg.appendChild(el("text", {x: 1, y: H - 2, "font-size": 10}, fmt(h.min)));
  svg.appendChild(el("text", {x: W - 45, y: H - 2, "font-size": 10}, fmt(h.max)));
  return svg;
}

function renderRuns() {
  const box = document.getElementById("runs");
  box.innerHTML = "";
  runs.forEach(r => {
    const c = html("input", {type: "checkbox", checked: !hidden[r.name]});
    c.onchange = () => { hidden[r.name] = !c.checked; fwdRun = null; render(); };
    box.appendChild(html("label", {className: "run"}, [c, " " + r.name + (r.live ? (r.done ? " (done)" : " (live)") : "")]));
  });
}

function renderCurves(vis) {
  const ser = [], marks = [];
  vis.forEach(r => {
    (r.keys || []).forEach(k => ser.push({name: r.name + ": " + k, pts: r.epochs.map(e => [e.epoch + 1, e.logs[k] === undefined ? null : e.logs[k]])}));
    const key = (r.keys || []).includes("val_loss") ? "val_loss" : "loss";
    let best = -1;
    r.epochs.forEach((e, i) => {
      const v = e.logs[key];
      if (v !== null && v !== undefined && (best < 0 || v < r.epochs[best].logs[key])) best = i;
    });
    if (best >= 0) marks.push({x: r.epochs[best].epoch + 1, label: "best " + key + " (epoch " + (r.epochs[best].epoch + 1) + ")"});
  });
  lineChart(document.getElementById("epochs"), ser, marks);
  lineChart(document.getElementById("batches"), vis.map(r => ({name: r.name + ": batch loss", pts: r.batches})));
  lineChart(document.getElementById("lr"), vis.filter(r => r.epochs.some(e => e.lr)).map(r => ({name: r.name + ": learning rate", pts: r.epochs.map(e => [e.epoch + 1, e.lr || null])})));
  const live = vis.find(r => r.progress && !r.done), p = live && live.progress;
  document.getElementById("progress").textContent = p ? `${live.name}: epoch ${p.epoch + 1}/${p.epochs}, batch ${p.batch}/${p.steps}, learning rate ${fmt(p.lr)}` : "";
  const bar = document.getElementById("progress-bar");
  bar.value = p ? p.batch : 0;
  bar.max = p ? Math.max(p.steps, 1) : 1;
}

function renderSpeed(vis) {
  const r = vis.find(r => r.speed && r.speed.layers.length);
  const per = (key) => r ? r.speed.layers.map((n, l) => ({name: n, pts: (r.speed[key] || []).map((g, e) => [e + 1, g[l]])})) : [];
  lineChart(document.getElementById("speed"), per("grad_norm"));
  lineChart(document.getElementById("speed-change"), per("weight_change"));
}

function renderSummary(vis) {
  const r = vis.find(r => r.summary), box = document.getElementById("summary"), g = document.getElementById("graph");
  box.innerHTML = "";
  g.innerHTML = "";
  g.style.display = "none";
  if (!r) return;
  const s = r.summary, t = html("table", {id: "summary-table"});
  const h = t.insertRow();
  s.columns.forEach(c => h.appendChild(html("th", {textContent: c})));
  s.rows.forEach(row => { const tr = t.insertRow(); row.forEach(c => { tr.insertCell().textContent = c; }); });
  box.appendChild(html("div", {textContent: "Model: " + (s.model || r.name)}));
  box.appendChild(t);
  s.totals.forEach(x => box.appendChild(html("div", {textContent: x})));
  if (s.graph) drawGraph(g, s);
}

// drawGraph lays a functional model's layers out by depth (longest path
// from an input), top to bottom, with "Connected to" as arrows.
function drawGraph(svg, s) {
  const names = s.rows.map(r => r[0].split(" (")[0]), depth = {}, col = {}, perDepth = [];
  names.forEach(n => { depth[n] = 0; });
  s.edges.forEach(([from, to]) => { if (from in depth) depth[to] = Math.max(depth[to], depth[from] + 1); });
  names.forEach(n => { const d = depth[n]; perDepth[d] = (perDepth[d] || 0) + 1; col[n] = perDepth[d] - 1; });
  const BW = 190, BH = 40, GX = 30, GY = 34, wide = Math.max(...perDepth);
  const W = wide * (BW + GX) + GX, H = perDepth.length * (BH + GY) + GY;
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  svg.style.display = "";
  const defs = el("defs", {});
  const m = el("marker", {id: "arrow", markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: "auto"});
  m.appendChild(el("path", {d: "M0,0 L8,4 L0,8 z", fill: "#555"}));
  defs.appendChild(m);
  svg.appendChild(defs);
  const pos = n => {
    const d = depth[n], off = (W - perDepth[d] * (BW + GX) + GX) / 2;
    return {x: off + col[n] * (BW + GX), y: GY + d * (BH + GY)};
  };
  s.edges.forEach(([from, to]) => {
    if (!(from in depth)) return;
    const a = pos(from), b = pos(to);
    svg.appendChild(el("line", {x1: a.x + BW / 2, y1: a.y + BH, x2: b.x + BW / 2, y2: b.y - 2, stroke: "#555", "marker-end": "url(#arrow)", class: "edge"}));
  });
  s.rows.forEach((row, i) => {
    const p = pos(names[i]), g = el("g", {class: "node", "data-name": names[i]});
    g.appendChild(el("rect", {x: p.x, y: p.y, width: BW, height: BH, rx: 5, fill: "#eef4fb", stroke: "#1f77b4"}));
    g.appendChild(el("text", {x: p.x + 6, y: p.y + 16, "font-size": 12}, row[0]));
    g.appendChild(el("text", {x: p.x + 6, y: p.y + 32, "font-size": 11, fill: "#555"}, row[1] + "  " + row[2] + " params"));
    svg.appendChild(g);
  });
}

function renderHists(vis) {
  const box = document.getElementById("hists"), slider = document.getElementById("hist-epoch");
  box.innerHTML = "";
  // Activation histograms (the weight-init demo) of every run, side by
  // side; then the weights and gradients of a training run, per epoch.
  const acts = [];
  vis.forEach(r => (r.hists || []).filter(e => e.epoch < 0).forEach(e => e.weights.forEach(h => acts.push(h))));
  if (acts.length) {
    box.appendChild(html("div", {className: "hist-row"}, acts.map(h => html("figure", {}, [barChart(h, colors[2], 440, 160), html("figcaption", {textContent: h.name})]))));
  }
  const r = vis.find(r => r.hists && r.hists.some(e => e.epoch >= 0));
  if (!r) { slider.style.display = "none"; document.getElementById("hist-label").textContent = ""; return; }
  const hs = r.hists.filter(e => e.epoch >= 0), epochs = hs.map(h => h.epoch);
  slider.style.display = epochs.length > 1 ? "" : "none";
  slider.min = 0;
  slider.max = epochs.length - 1;
  let i = histEpoch === null ? epochs.length - 1 : Math.min(histEpoch, epochs.length - 1);
  slider.value = i;
  const e = hs[i];
  document.getElementById("hist-label").textContent = `${r.name}: end of epoch ${e.epoch + 1}`;
  const byName = {};
  e.weights.forEach(h => { (byName[h.name] = byName[h.name] || []).push(h); });
  for (const name in byName) {
    const row = html("div", {className: "hist-row"}, [html("span", {className: "hist-name", textContent: name})]);
    byName[name].forEach(h => {
      row.appendChild(html("figure", {}, [barChart(h, h.kind === "gradient" ? colors[1] : colors[0], 240, 56), html("figcaption", {textContent: h.kind})]));
    });
    box.appendChild(row);
  }
}

function renderImages(vis) {
  const im = document.getElementById("images");
  im.innerHTML = "";
  // The newest first: a GAN writes a sample grid every few iterations.
  vis.forEach(r => (r.images || []).slice(-12).reverse().forEach(p => {
    im.appendChild(html("figure", {}, [html("img", {src: "api/file?path=" + encodeURIComponent(p) + "&v=" + (r.epochs || []).length, title: p}), html("figcaption", {textContent: p})]));
  }));
}

// The forward pass: a validation row (or the drawn digit) through the
// model, layer by layer; a click on a neuron shows its arithmetic.
let fwdRun = null;

function renderForwardControls(vis) {
  const r = vis.find(r => r.forward), ctl = document.getElementById("forward-controls");
  if (!r) { ctl.innerHTML = ""; fwdRun = null; document.getElementById("forward").textContent = "this run has no forward pass"; return; }
  if (fwdRun === r.name) return;
  fwdRun = r.name;
  ctl.innerHTML = "";
  const info = r.forward;
  if (info.rows > 0) {
    const row = html("input", {type: "number", id: "forward-row", min: 0, max: info.rows - 1, value: 0});
    const go = html("button", {id: "forward-go", textContent: "forward pass"});
    go.onclick = () => forward(r.name, {row: +row.value});
    ctl.append(`validation row (0–${info.rows - 1}): `, row, " ", go);
  }
  if (info.image) ctl.appendChild(digitCanvas(r.name, info.image));
  forward(r.name, info.rows > 0 || info.inputs === 0 ? {row: 0} : {});
}

// digitCanvas offers a 10× canvas to draw a grey image on; its pixels,
// averaged to the image's size and scaled to [0, 1], are the input.
function digitCanvas(run, [h, w]) {
  const S = 10, cv = html("canvas", {id: "digit", width: w * S, height: h * S});
  const ctx = cv.getContext("2d");
  const clear = () => { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, cv.width, cv.height); };
  clear();
  let down = false;
  const at = ev => { const b = cv.getBoundingClientRect(); return [ev.clientX - b.left, ev.clientY - b.top]; };
  const dot = ([x, y]) => { ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(x, y, 1.4 * S, 0, 2 * Math.PI); ctx.fill(); };
  cv.onpointerdown = ev => { down = true; dot(at(ev)); };
  cv.onpointermove = ev => { if (down) dot(at(ev)); };
  cv.onpointerup = cv.onpointerleave = () => { down = false; };
  const go = html("button", {id: "digit-go", textContent: "forward pass of the drawing"});
  go.onclick = () => {
    const px = ctx.getImageData(0, 0, cv.width, cv.height).data, input = [];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = 0; dy < S; dy++) for (let dx = 0; dx < S; dx++) s += px[4 * ((y * S + dy) * cv.width + x * S + dx)];
      input.push(s / (S * S * 255));
    }
    forward(run, {input: input});
  };
  const clr = html("button", {textContent: "clear"});
  clr.onclick = clear;
  return html("div", {className: "digit"}, [html("div", {textContent: "or draw a digit:"}), cv, html("br"), go, " ", clr]);
}

async function forward(run, req) {
  const fd = document.getElementById("forward");
  let ex;
  try {
    const res = await fetch("api/forward?run=" + encodeURIComponent(run), {method: "POST", body: JSON.stringify(req)});
    ex = await res.json();
  } catch (e) {
    fd.textContent = "forward pass failed: " + e;
    return;
  }
  fd.innerHTML = "";
  if (ex.error) { fd.textContent = ex.error; return; }
  (ex.layers || []).forEach(l => {
    const d = html("div", {className: "layer"}, [html("b", {textContent: l.name}), " (" + l.class + (l.activation ? ", " + l.activation : "") + "): "]);
    // A few neurons show their values; a wide layer is a strip of cells
    // coloured by activation (blue positive, red negative), each with its
    // value in a tooltip.
    const ns = l.neurons || [], wide = ns.length > 16;
    const top = Math.max(1e-12, ...ns.map(n => Math.abs(+n.output)));
    ns.forEach(n => {
      const s = html("span", {className: wide ? "neuron cell" : "neuron", title: n.name + " = " + fmt(n.output), textContent: wide ? "" : n.name + " = " + fmt(n.output)});
      if (wide) {
        const a = Math.min(1, Math.abs(+n.output) / top);
        s.style.background = +n.output >= 0 ? `rgba(31,119,180,${a})` : `rgba(214,39,40,${a})`;
      }
      s.onclick = () => showNeuron(l, n);
      d.appendChild(s);
    });
    fd.appendChild(d);
  });
  const out = ex.output || {values: []};
  fd.appendChild(html("div", {id: "forward-output", textContent: "output: " + out.values.map((v, i) => (out.names && out.names[i] ? out.names[i] + " " : "") + (+v).toFixed(4)).join(", ")}));
}

function showNeuron(l, n) {
  let t = `${l.name} ${n.name}: `;
  if (n.weights) {
    const terms = n.weights.map((w, i) => `${fmt(w)}·${fmt(n.inputs[i])}`);
    t += "z = " + (terms.length > 12 ? terms.slice(0, 12).join(" + ") + ` + … (${terms.length} terms)` : terms.join(" + ")) + ` + ${fmt(n.bias)} = ${fmt(n.z)}`;
  } else if (n.moving_mean !== undefined) {
    t += `z = ${fmt(n.gamma)}·(${fmt(n.input)} − ${fmt(n.moving_mean)}) / √(${fmt(n.moving_variance)} + ε) + ${fmt(n.beta)} = ${fmt(n.z)}`;
  } else if (n.input !== undefined) {
    t += "input " + fmt(n.input);
  }
  t += `; ${n.activation || l.activation || "output"} → ${fmt(n.output)}`;
  document.getElementById("neuron").textContent = t;
}

// The page draws a section only while it is on screen, and at most once
// a second while a run trains: what it costs the browser is bounded,
// and so is what it takes from a training run on the same machine. A
// section that comes into view is drawn then; data-stale marks one that
// is behind its data.
const sections = {
  "curves": renderCurves, "model": renderSummary, "learning-speed": renderSpeed,
  "histograms": renderHists, "image-section": renderImages, "forward-pass": renderForwardControls,
};
// onScreen tells whether a section is in the viewport.
function onScreen(sec) {
  const r = sec.getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight;
}

function renderSection(id) {
  const sec = document.getElementById(id);
  if (!onScreen(sec)) {
    if (!sec.dataset.stale) sec.dataset.stale = "1"; // a change to the DOM costs a frame
    return;
  }
  sections[id](runs.filter(r => !hidden[r.name]));
  if (sec.dataset.stale) delete sec.dataset.stale;
}

function render() {
  renderRuns();
  for (const id in sections) renderSection(id);
}

// A stale section that comes into view, by a scroll or by the layout
// moving (an IntersectionObserver tells), is drawn then.
let pending = false;
function drawStale() {
  pending = false;
  for (const id in sections) if (document.getElementById(id).dataset.stale) renderSection(id);
}
const wake = () => { if (!pending) { pending = true; requestAnimationFrame(drawStale); } };
for (const ev of ["scroll", "resize"]) window.addEventListener(ev, wake);
const observer = new IntersectionObserver(wake);
for (const id in sections) {
  document.getElementById(id).dataset.stale = "1";
  observer.observe(document.getElementById(id));
}

// schedule draws the page (all of it when full, else the curves) a
// second after the last drawing at the earliest.
let timer = null, last = 0, wantFull = false;
function schedule(full) {
  wantFull = wantFull || full;
  if (timer !== null || document.hidden) return; // a hidden tab draws when shown
  timer = setTimeout(() => {
    timer = null;
    last = performance.now();
    if (wantFull) render(); else renderSection("curves");
    wantFull = false;
  }, Math.max(0, 1000 - (performance.now() - last)));
}

// load fetches the runs when a state event asks for it, one fetch at a
// time.
let loading = false, reload = false;
async function load() {
  if (loading) { reload = true; return; }
  loading = true;
  try {
    runs = await (await fetch("api/runs")).json();
  } finally {
    loading = false;
  }
  renderRuns();
  schedule(true);
  if (reload) { reload = false; setTimeout(load, 1000); }
}

document.addEventListener("visibilitychange", () => { if (!document.hidden) schedule(true); });
document.getElementById("hist-epoch").oninput = ev => { histEpoch = +ev.target.value; renderSection("histograms"); };
load();
const es = new EventSource("api/events");
// An update event carries what a run added since the last one; it is
// appended when the page holds exactly what came before, else the page
// fetches the runs again.
es.onmessage = ev => {
  const m = JSON.parse(ev.data), r = runs.find(x => x.name === m.run);
  if (m.type !== "update" || !r || r.batches.length !== m.from || r.epochs.length !== m.epochs_from || (r.hists || []).length !== m.hists_from || (r.images || []).length !== m.images_from) {
    load();
    return;
  }
  const points = m.points || [], epochs = m.epochs || [], hists = m.hists || [], images = m.images || [];
  if (images.length) r.images = (r.images || []).concat(images);
  r.batches.push(...points);
  r.progress = m.progress;
  const ended = m.done && !r.done;
  r.done = m.done;
  if (m.keys && m.keys.length) r.keys = m.keys;
  if (m.speed) r.speed = m.speed;
  if (hists.length) r.hists = (r.hists || []).concat(hists);
  r.epochs.push(...epochs);
  const full = epochs.length > 0 || hists.length > 0 || images.length > 0 || ended;
  if (ended) renderRuns();
  schedule(full);
};
