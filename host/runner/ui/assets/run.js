// The run page: everything /api/runs/ID holds, and one chart per metric
// from /api/runs/ID/series (downsampled by the server, extremes kept).
'use strict';

function versionsTable(versions, id) {
  if (!versions.length) return ui.el('p', {class: 'muted'}, 'none');
  return ui.el('table', {id: id},
    ui.el('thead', {}, ui.el('tr', {}, ui.el('th', {}, 'artifact'), ui.el('th', {}, 'type'),
      ui.el('th', {}, 'mode'), ui.el('th', {}, 'files'), ui.el('th', {}, 'produced by'))),
    ui.el('tbody', {}, versions.map((v) => ui.el('tr', {},
      ui.el('td', {}, ui.artifactLink(v.ref)),
      ui.el('td', {}, v.type),
      ui.el('td', {}, v.mode),
      ui.el('td', {}, ui.fileList(v)),
      ui.el('td', {}, ui.runLink(v.run_id))))));
}

function configTable(config) {
  const keys = Object.keys(config).sort();
  if (!keys.length) return ui.el('p', {class: 'muted'}, 'none');
  return ui.kvTable(keys.map((k) => [k, ui.value(config[k])]), 'config');
}

function environmentTable(env) {
  const pairs = [];
  for (const k of Object.keys(env).sort()) {
    if (k === 'command_line') continue;
    const v = env[k];
    if (k === 'packages' && v && v.includes('\n')) {
      pairs.push([k, ui.el('details', {}, ui.el('summary', {}, v.split('\n').filter(Boolean).length + ' packages'),
        ui.el('pre', {}, v))]);
    } else {
      pairs.push([k, v === null ? '' : String(v)]);
    }
  }
  return ui.kvTable(pairs, 'environment');
}

function logsTable(logs) {
  if (!logs.length) return ui.el('p', {class: 'muted'}, 'none');
  return ui.el('table', {id: 'logs'}, ui.el('tbody', {}, logs.map((l) => ui.el('tr', {class: 'log-' + l.level},
    ui.el('td', {class: 'mono'}, ui.time(l.time)), ui.el('td', {}, l.level),
    ui.el('td', {class: 'mono'}, l.message)))));
}

function metricsSummary(metrics) {
  const keys = Object.keys(metrics).sort();
  return ui.el('table', {id: 'metric-summary'},
    ui.el('thead', {}, ui.el('tr', {}, ['metric', 'last', 'last step', 'min', 'max', 'points'].map((h, i) =>
      ui.el('th', {class: i ? 'num' : ''}, h)))),
    ui.el('tbody', {}, keys.map((k) => {
      const m = metrics[k];
      return ui.el('tr', {}, ui.el('th', {}, k), ui.el('td', {class: 'num'}, ui.number(m.last)),
        ui.el('td', {class: 'num'}, m.last_step === null ? '' : m.last_step),
        ui.el('td', {class: 'num'}, ui.number(m.min)), ui.el('td', {class: 'num'}, ui.number(m.max)),
        ui.el('td', {class: 'num'}, m.count));
    })));
}

async function main() {
  const id = location.pathname.split('/')[2];
  const run = await ui.api('/api/runs/' + encodeURIComponent(id));
  document.title = 'Run #' + run.id + ' · aeromancy';
  const main = ui.clear(document.getElementById('main'));
  const action = '[' + run.job_type + '] ' + (run.output_names[0] || '');
  main.append(ui.el('h1', {}, 'Run #' + run.id + ' ', action, ' ', ui.status(run.status)));
  main.append(ui.kvTable([
    ['project', (run.entity ? run.entity + '/' : '') + run.project],
    ['status', run.status + (run.message ? ': ' + run.message : '')],
    ['exit code', run.exit_code === null ? '' : run.exit_code],
    ['signal', run.signal === null ? '' : run.signal],
    ['mode', run.mode],
    ['started', ui.time(run.started_at)],
    ['ended', ui.time(run.ended_at)],
    ['duration', run.duration_s === null ? 'running' : ui.seconds(run.duration_s)],
    ['git', [run.git_branch, run.git_commit].filter(Boolean).join(' @ ')],
    ['tags', run.tags.join(', ')],
  ], 'summary'));
  main.append(ui.section('Command line', ui.el('pre', {id: 'command-line'}, (run.environment || {}).command_line || '')));
  main.append(ui.section('Flags and config', configTable(run.config)));
  main.append(ui.section('Environment', environmentTable(run.environment || {})));
  main.append(ui.section('Inputs', versionsTable(run.inputs, 'inputs')));
  main.append(ui.section('Outputs', versionsTable(run.outputs, 'outputs')));
  main.append(ui.section('Logs', logsTable(run.logs)));
  const keys = Object.keys(run.metrics).sort();
  const charts = ui.el('div', {class: 'charts', id: 'charts'});
  main.append(ui.section('Metrics', keys.length ? metricsSummary(run.metrics) : ui.el('p', {class: 'muted'}, 'none'), charts));
  await Promise.all(keys.map(async (key) => {
    const box = ui.el('div', {class: 'chart'});
    const canvas = ui.el('canvas', {'data-key': key});
    box.append(canvas);
    charts.append(box);
    try {
      const s = await ui.api('/api/runs/' + run.id + '/series?key=' + encodeURIComponent(key));
      if (s.downsampled) box.append(ui.el('span', {class: 'note'}, s.points.length + ' of ' + s.count + ' points'));
      await ui.lineChart(canvas, [{label: key, points: ui.seriesPoints(s)}], key);
      canvas.dataset.points = String(s.points.length);
      canvas.dataset.count = String(s.count);
    } catch (e) {
      ui.chartFailed(box, key, e);
    }
  }));
  document.body.dataset.ready = '1';
  window.aeroChartsDrawn = performance.now();
}

main().catch(ui.fail);
