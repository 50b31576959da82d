// Helpers shared by every page. Pages build the DOM with el(), which only
// ever sets text through textContent and attributes through setAttribute:
// text from the store (flags, config, log lines, names) is never parsed as
// HTML. The server's Content-Security-Policy forbids inline script too.
'use strict';

const ui = {};

// el('td', {class: 'x', href: '/run/3'}, 'text', childNode, ...)
ui.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
};

ui.clear = function (node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
};

// Fetches JSON from the API; throws an Error carrying the server's message.
ui.api = async function (path) {
  const r = await fetch(path, {headers: {Accept: 'application/json'}});
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new Error((body && body.error) || (r.status + ' ' + r.statusText));
  return body;
};

// A chart whose series the server will not give (a metric key longer than
// its API takes, or the store failing for that one): the error in the
// chart's place, so that the rest of the page stands.
ui.chartFailed = function (box, key, err) {
  ui.clear(box).setAttribute('data-failed', key);
  const name = key.length > 60 ? key.slice(0, 60) + '…' : key;
  box.append(ui.el('p', {class: 'error'}, 'no chart of ' + name + ': ' + String(err.message || err)));
};

ui.fail = function (err) {
  const main = ui.clear(document.getElementById('main'));
  main.append(ui.el('p', {class: 'error', role: 'alert'}, String(err.message || err)));
  document.body.dataset.ready = 'error';
};

// The schema's UTC times ("2026-12-01T15:40:36.123Z") in local time.
ui.time = function (iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
    p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
};

ui.seconds = function (s) {
  if (s < 1) return (s * 1000).toFixed(0) + ' ms';
  if (s < 120) return s.toFixed(1) + ' s';
  return (s / 60).toFixed(1) + ' min';
};

ui.bytes = function (n) {
  n = Number(n);
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(1) + ' ' + units[i];
};

ui.number = function (v) {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(4) : String(+v.toPrecision(6));
};

ui.status = function (state) {
  return ui.el('span', {class: 'status status-' + state}, state);
};

ui.runLink = function (id) {
  return ui.el('a', {href: '/run/' + encodeURIComponent(id)}, '#' + id);
};

ui.artifactLink = function (ref, text) {
  return ui.el('a', {href: '/artifact?ref=' + encodeURIComponent(ref)}, text || ref);
};

ui.section = function (title, ...children) {
  return ui.el('section', {}, ui.el('h2', {}, title), ...children);
};

// A two-column table of [key, value] pairs; values may be nodes.
ui.kvTable = function (pairs, cls) {
  return ui.el('table', {class: 'kv ' + (cls || '')},
    ui.el('tbody', {}, pairs.map(([k, v]) =>
      ui.el('tr', {}, ui.el('th', {scope: 'row'}, k), ui.el('td', {}, v)))));
};

// Chart.js, which chart pages load with `async` (id "chartjs") so that
// their API requests go out while it is still being compiled: resolves
// once it has run.
ui.chartReady = function () {
  if (window.Chart) return Promise.resolve();
  const script = document.getElementById('chartjs');
  return new Promise((resolve, reject) => {
    script.addEventListener('load', resolve);
    script.addEventListener('error', () => reject(new Error('Chart.js did not load')));
  });
};

// Chart.js line chart of one or more series [{label, points: [[step, value]...]}],
// once Chart.js is there. Animations are off: a chart is drawn once, at
// once; points are handed over already parsed and sorted by x.
ui.palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2',
  '#ca8a04', '#db2777'];
ui.lineChart = async function (canvas, series, title) {
  const datasets = series.map((s, i) => ({
    label: s.label,
    data: s.points.map(([x, y]) => ({x: x, y: y})),
    borderColor: ui.palette[i % ui.palette.length],
    backgroundColor: ui.palette[i % ui.palette.length],
    borderWidth: 1.5,
    pointRadius: s.points.length > 200 ? 0 : 2,
    pointHitRadius: 4,
    spanGaps: true,
  }));
  // Values near the largest double (1e308): Chart.js's own ticks round
  // the axis ends outward past it, to Infinity, and then never stop making
  // ticks (the tab hangs), or format them with Intl options out of range.
  // Such an axis gets its ends from the data and five ticks written here.
  const ys = series.flatMap((s) => s.points.map((p) => p[1]))
    .filter((v) => typeof v === 'number' && isFinite(v));
  const yAxis = {type: 'linear', title: {display: false}};
  // (reduce, not Math.max(...ys): a compare page holds 16 series of 20,000)
  let lo = ys.reduce((a, b) => Math.min(a, b), Infinity);
  let hi = ys.reduce((a, b) => Math.max(a, b), -Infinity);
  if (ys.length && Math.max(Math.abs(lo), Math.abs(hi)) > 1e300) {
    if (lo === hi) {
      const d = Math.abs(lo) / 100;
      lo -= d;
      hi = isFinite(hi + d) ? hi + d : hi;
    }
    Object.assign(yAxis, {min: lo, max: hi, ticks: {count: 5, callback: (v) => ui.number(v)}});
  }
  await ui.chartReady();
  return new Chart(canvas, {
    type: 'line',
    data: {datasets: datasets},
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: {mode: 'nearest', axis: 'x', intersect: false},
      scales: {
        x: {type: 'linear', title: {display: true, text: 'step'}},
        y: yAxis,
      },
      plugins: {
        title: {display: !!title, text: title},
        legend: {display: series.length > 1},
        tooltip: {callbacks: {label: (c) => c.dataset.label + ': ' + ui.number(c.parsed.y)}},
      },
    },
  });
};

// A config value as text: strings as they are, everything else as JSON.
ui.value = function (v) {
  return typeof v === 'string' ? v : JSON.stringify(v);
};

// A link downloading file `f` of version `v`, by its digest.
ui.fileLink = function (v, f) {
  return ui.el('a', {href: '/api/files/' + v.id + '/' + f.sha256, download: f.path.split('/').pop()}, f.path);
};

// A version's files, each a download link by digest.
ui.fileList = function (v) {
  if (!v.files) return String(v.file_count);
  return ui.el('ul', {class: 'files'}, v.files.map((f) => ui.el('li', {},
    ui.fileLink(v, f), ' ', ui.el('span', {class: 'muted'}, ui.bytes(f.size)))));
};

// A series document's points as [x, y]: the step, or the point's position
// when it was logged without one.
ui.seriesPoints = function (s) {
  return s.points.map(([step, value], i) => [step === null ? i : step, value]);
};

// The header names the store being browsed.
document.addEventListener('DOMContentLoaded', () => {
  ui.api('/api/store').then((s) => {
    document.getElementById('store').textContent = s.location;
  }).catch(() => {});
});
