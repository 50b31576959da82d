// The compare page: two or more runs side by side, the config, flags,
// environment and last metric values that differ highlighted, and each
// metric overlaid on one chart.
'use strict';

// Rows [key, values...] where `get(run)` gives each run's object.
function diffTable(id, runs, get, show) {
  const keys = new Set();
  for (const r of runs) for (const k of Object.keys(get(r) || {})) keys.add(k);
  const sorted = Array.from(keys).sort();
  if (!sorted.length) return ui.el('p', {class: 'muted'}, 'none');
  return ui.el('table', {id: id},
    ui.el('thead', {}, ui.el('tr', {}, ui.el('th', {}, ''), runs.map((r) => ui.el('th', {}, ui.runLink(r.id), ' [' + r.job_type + ']'))),
      ui.el('tbody', {}, sorted.map((k) => {
        const values = runs.map((r) => {
          const o = get(r) || {};
          return k in o ? show(o[k]) : '—';
        });
        const changed = values.some((v) => v !== values[0]);
        return ui.el('tr', {class: changed ? 'changed' : '', 'data-key': k, 'data-changed': changed ? '1' : '0'},
          ui.el('th', {scope: 'row'}, k), values.map((v) => ui.el('td', {class: 'mono'}, v)));
      }))));
}

async function main() {
  const ids = new URLSearchParams(location.search).get('runs').split(',');
  const runs = await Promise.all(ids.map((id) => ui.api('/api/runs/' + encodeURIComponent(id))));
  const main = ui.clear(document.getElementById('main'));
  main.append(ui.el('h1', {}, 'Compare runs ', ids.map((id) => '#' + id).join(', ')));
  const lastValues = (r) => Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, m.last]));
  const facts = (r) => ({status: r.status, mode: r.mode, project: r.project, job_type: r.job_type,
    git_commit: r.git_commit, git_branch: r.git_branch, ...r.environment});
  main.append(ui.section('Flags and config', diffTable('config', runs, (r) => r.config, ui.value)));
  main.append(ui.section('Last metric values', diffTable('metrics', runs, lastValues, ui.number)));
  main.append(ui.section('Inputs and outputs', diffTable('artifacts', runs, (r) => Object.fromEntries(
    r.inputs.map((v) => ['in ' + v.name, v.ref + ' ' + v.digest.slice(0, 12)]).concat(
      r.outputs.map((v) => ['out ' + v.name, v.ref + ' ' + v.digest.slice(0, 12)]))), String)));
  main.append(ui.section('Environment', diffTable('environment', runs, facts, (v) => v === null ? '' : String(v))));
  const keys = new Set();
  for (const r of runs) for (const k of Object.keys(r.metrics)) keys.add(k);
  const charts = ui.el('div', {class: 'charts', id: 'charts'});
  main.append(ui.section('Metrics', charts));
  await Promise.all(Array.from(keys).sort().map(async (key) => {
    const box = ui.el('div', {class: 'chart'});
    const canvas = ui.el('canvas', {'data-key': key});
    box.append(canvas);
    charts.append(box);
    const having = runs.filter((r) => key in r.metrics);
    try {
      const series = await Promise.all(having.map((r) =>
        ui.api('/api/runs/' + r.id + '/series?key=' + encodeURIComponent(key))));
      await ui.lineChart(canvas, series.map((s, i) => ({label: '#' + having[i].id, points: ui.seriesPoints(s)})), key);
      canvas.dataset.series = String(series.length);
    } catch (e) {
      ui.chartFailed(box, key, e);
    }
  }));
  document.body.dataset.ready = '1';
}

main().catch(ui.fail);
