// The artifact page: an artifact's versions, the chosen version's
// metadata and files (downloads by digest, sizes, digests), its producing
// and consuming runs, and its lineage (up and down) drawn as a graph.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// Lays nodes out in columns by longest path from a source, edges left to
// right, and draws them; versions link to their pages, runs to theirs.
function drawLineage(docs, current) {
  const nodes = new Map(); // key -> {label, href, kind}
  const edges = new Set();
  const add = (key, label, href, kind) => { if (!nodes.has(key)) nodes.set(key, {label, href, kind}); };
  for (const doc of docs) {
    for (const v of doc.versions) add('v:' + v.ref, v.ref, '/artifact?ref=' + encodeURIComponent(v.ref), 'version');
    for (const r of doc.runs) {
      const label = '#' + r.id + ' [' + r.job_type + ']';
      add('r:' + r.id, label, '/run/' + r.id, 'run');
      for (const i of r.inputs) { add('v:' + i, i, '/artifact?ref=' + encodeURIComponent(i), 'version'); edges.add('v:' + i + '\n' + 'r:' + r.id); }
      for (const o of r.outputs) { add('v:' + o, o, '/artifact?ref=' + encodeURIComponent(o), 'version'); edges.add('r:' + r.id + '\n' + 'v:' + o); }
    }
  }
  const pairs = Array.from(edges).map((e) => e.split('\n'));
  const layer = new Map(Array.from(nodes.keys()).map((k) => [k, 0]));
  for (let pass = 0; pass < nodes.size; pass++) { // longest path, DAG
    let changed = false;
    for (const [a, b] of pairs) if (layer.get(b) < layer.get(a) + 1) { layer.set(b, layer.get(a) + 1); changed = true; }
    if (!changed) break;
  }
  const columns = [];
  for (const [k, l] of layer) (columns[l] = columns[l] || []).push(k);
  const W = 230, H = 44, BW = 200, BH = 28;
  const pos = new Map();
  const TOP = 50; // room for the arcs of edges that skip columns
  columns.forEach((col, x) => col.forEach((k, y) => pos.set(k, {x: 10 + x * W, y: TOP + y * H})));
  const rows = Math.max(1, ...columns.map((c) => c.length));
  const width = 20 + columns.length * W - (W - BW), height = TOP + 10 + rows * H;
  const root = svg('svg', {width: width, height: height, viewBox: '0 0 ' + width + ' ' + height,
    id: 'lineage-graph', role: 'img'},
    svg('defs', {}, svg('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto'},
      svg('path', {d: 'M 0 0 L 10 5 L 0 10 z', fill: '#9ca3af'}))));
  for (const [a, b] of pairs) {
    const p = pos.get(a), q = pos.get(b);
    const skips = layer.get(b) - layer.get(a) > 1;
    if (skips) { // over the nodes in between, from the top of each box
      const top = Math.min(p.y, q.y) - 40;
      root.append(svg('path', {class: 'edge', d: 'M ' + (p.x + BW / 2) + ' ' + p.y + ' C ' + (p.x + BW / 2) + ' ' + top +
        ', ' + (q.x + BW / 2) + ' ' + top + ', ' + (q.x + BW / 2) + ' ' + q.y}));
    } else {
      root.append(svg('path', {class: 'edge', d: 'M ' + (p.x + BW) + ' ' + (p.y + BH / 2) + ' C ' + (p.x + BW + 20) + ' ' +
        (p.y + BH / 2) + ', ' + (q.x - 20) + ' ' + (q.y + BH / 2) + ', ' + q.x + ' ' + (q.y + BH / 2)}));
    }
  }
  for (const [k, n] of nodes) {
    const p = pos.get(k);
    const label = n.label.length > 28 ? n.label.slice(0, 27) + '…' : n.label;
    const cls = 'node ' + n.kind + (k === current ? ' current' : '');
    root.append(svg('a', {href: n.href, class: cls, 'data-node': k},
      svg('title', {}, n.label),
      svg('rect', {x: p.x, y: p.y, width: BW, height: BH, rx: 4}),
      svg('text', {x: p.x + 8, y: p.y + 18}, label)));
  }
  return root;
}

// The metadata the producing action attached, key by key.
function metadataTable(metadata) {
  const keys = Object.keys(metadata || {}).sort();
  if (!keys.length) return ui.el('p', {class: 'muted', id: 'metadata'}, 'none');
  return ui.el('table', {class: 'kv', id: 'metadata'}, ui.el('tbody', {}, keys.map((k) =>
    ui.el('tr', {'data-key': k}, ui.el('th', {scope: 'row'}, k), ui.el('td', {}, ui.value(metadata[k]))))));
}

// Each file: its download (by digest), size and SHA-256.
function filesTable(v) {
  return ui.el('table', {id: 'files'},
    ui.el('thead', {}, ui.el('tr', {}, ui.el('th', {}, 'file'), ui.el('th', {class: 'num'}, 'size'),
      ui.el('th', {}, 'SHA-256'))),
    ui.el('tbody', {}, v.files.map((f) => ui.el('tr', {},
      ui.el('td', {}, ui.fileLink(v, f)),
      ui.el('td', {class: 'num', title: f.size + ' bytes'}, ui.bytes(f.size)),
      ui.el('td', {class: 'mono'}, f.sha256)))));
}

async function main() {
  const ref = new URLSearchParams(location.search).get('ref');
  const doc = await ui.api('/api/artifacts?ref=' + encodeURIComponent(ref));
  const versions = doc.artifacts;
  const wanted = /:v(\d+)$/.exec(ref);
  const chosen = (wanted && versions.find((v) => v.version === Number(wanted[1]))) || versions[versions.length - 1];
  const [up, down, consumers] = await Promise.all([
    ui.api('/api/lineage?ref=' + encodeURIComponent(chosen.ref)),
    ui.api('/api/lineage?down=1&ref=' + encodeURIComponent(chosen.ref)),
    ui.api('/api/runs?limit=500&input_version=' + chosen.id),
  ]);
  const name = chosen.ref.replace(/:v\d+$/, '');
  document.title = chosen.ref + ' · aeromancy';
  const main = ui.clear(document.getElementById('main'));
  main.append(ui.el('h1', {}, 'Artifact ', name, ' ', ui.el('span', {class: 'muted', id: 'version'}, 'v' + chosen.version)));
  main.append(ui.kvTable([
    ['reference', chosen.ref],
    ['type', chosen.type],
    ['mode', chosen.mode],
    ['digest', chosen.digest],
    ['created', ui.time(chosen.created_at)],
    ['size', ui.bytes(chosen.total_size) + ' in ' + chosen.file_count + ' file(s)'],
    ['produced by', ui.el('a', {href: '/run/' + chosen.run_id, id: 'producer'}, 'run #' + chosen.run_id)],
  ], 'summary'));
  main.append(ui.section('Metadata', metadataTable(chosen.metadata)));
  main.append(ui.section('Files', filesTable(chosen)));
  main.append(ui.section('Versions', ui.el('table', {id: 'versions'},
    ui.el('thead', {}, ui.el('tr', {}, ['version', 'mode', 'created', 'digest', 'files', 'size', 'produced by'].map((h) => ui.el('th', {}, h)))),
    ui.el('tbody', {}, versions.slice().reverse().map((v) => ui.el('tr', {class: v.id === chosen.id ? 'changed' : ''},
      ui.el('td', {}, ui.artifactLink(v.ref, 'v' + v.version)), ui.el('td', {}, v.mode),
      ui.el('td', {class: 'mono'}, ui.time(v.created_at)), ui.el('td', {class: 'mono'}, v.digest.slice(0, 12)),
      ui.el('td', {class: 'num'}, v.file_count), ui.el('td', {class: 'num'}, ui.bytes(v.total_size)),
      ui.el('td', {}, ui.runLink(v.run_id))))))));
  main.append(ui.section('Consumed by', consumers.runs.length ? ui.el('ul', {id: 'consumers'}, consumers.runs.map((r) =>
    ui.el('li', {}, ui.runLink(r.id), ' [' + r.job_type + '] ' + (r.output_names[0] || '') + ' ', ui.status(r.status)))) :
    ui.el('p', {class: 'muted', id: 'consumers'}, 'no run read this version')));
  main.append(ui.section('Lineage', ui.el('div', {class: 'lineage'}, drawLineage([up, down], 'v:' + chosen.ref))));
  document.body.dataset.ready = '1';
}

main().catch(ui.fail);
