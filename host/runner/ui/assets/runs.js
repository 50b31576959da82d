// The runs page: filters kept in the URL, one page of runs from /api/runs,
// chosen metrics as columns, runs selected for comparison.
'use strict';

const FILTERS = ['q', 'project', 'job_type', 'status', 'tag', 'branch', 'mode', 'since', 'metrics'];
const STATUSES = ['', 'running', 'ok', 'failed', 'crashed', 'timed_out', 'killed', 'skipped', 'bailed'];

function filterForm(params) {
  const field = (name, label, input) => ui.el('label', {}, label, input);
  const text = (name, label, placeholder) => field(name, label,
    ui.el('input', {name: name, id: 'f-' + name, value: params.get(name) || '', placeholder: placeholder || ''}));
  const select = (name, label, options) => {
    const s = ui.el('select', {name: name, id: 'f-' + name},
      options.map(([v, t]) => ui.el('option', {value: v, selected: (params.get(name) || '') === v}, t)));
    return field(name, label, s);
  };
  const sinceDays = params.get('since') ? new Date(Number(params.get('since')) * 1000).toISOString().slice(0, 10) : '';
  const form = ui.el('form', {class: 'filters', id: 'filters'},
    text('q', 'Search', 'id, name, branch, message…'),
    text('project', 'Project'),
    text('job_type', 'Job type'),
    select('status', 'Status', STATUSES.map((s) => [s, s || 'any'])),
    text('tag', 'Tag'),
    text('branch', 'Branch'),
    select('mode', 'Mode', [['', 'any'], ['dev', 'dev'], ['prod', 'production']]),
    field('since', 'Since', ui.el('input', {type: 'date', id: 'f-since', name: 'since_date', value: sinceDays})),
    text('metrics', 'Metric columns', 'loss,test_r2'),
    ui.el('button', {type: 'submit', id: 'apply'}, 'Apply'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      if (name === 'since') continue;
      const input = form.querySelector('[name="' + name + '"]');
      if (input && input.value.trim() !== '') next.set(name, input.value.trim());
    }
    const date = form.querySelector('#f-since').value;
    if (date) next.set('since', String(Math.floor(Date.parse(date + 'T00:00:00Z') / 1000)));
    location.search = next.toString();
  });
  return form;
}

function apiQuery(params) {
  const q = new URLSearchParams();
  for (const name of FILTERS) {
    if (name !== 'metrics' && params.get(name)) q.set(name, params.get(name));
  }
  if (params.get('before')) q.set('before', params.get('before'));
  q.set('limit', params.get('limit') || '50');
  return q;
}

function metricColumns(params, runs) {
  if (params.get('metrics')) return params.get('metrics').split(',').map((s) => s.trim()).filter(Boolean);
  const seen = new Set();
  for (const r of runs) for (const k of Object.keys(r.last_metrics || {})) seen.add(k);
  return Array.from(seen).sort().slice(0, 4);
}

function runsTable(runs, metrics) {
  const head = ui.el('tr', {},
    ui.el('th', {}, ''), ui.el('th', {}, 'run'), ui.el('th', {}, 'started'),
    ui.el('th', {}, 'project'), ui.el('th', {}, 'action'), ui.el('th', {}, 'status'),
    ui.el('th', {}, 'mode'), ui.el('th', {class: 'num'}, 'duration'), ui.el('th', {}, 'commit'),
    metrics.map((m) => ui.el('th', {class: 'num metric'}, m)));
  const rows = runs.map((r) => ui.el('tr', {'data-run': r.id},
    ui.el('td', {}, ui.el('input', {type: 'checkbox', class: 'pick', value: r.id, 'aria-label': 'select run ' + r.id})),
    ui.el('td', {}, ui.runLink(r.id)),
    ui.el('td', {class: 'mono'}, ui.time(r.started_at)),
    ui.el('td', {}, r.project),
    ui.el('td', {}, '[' + r.job_type + '] ' + (r.output_names[0] || '')),
    ui.el('td', {}, ui.status(r.status)),
    ui.el('td', {}, r.mode),
    ui.el('td', {class: 'num'}, r.duration_s === null ? '' : ui.seconds(r.duration_s)),
    ui.el('td', {class: 'mono'}, r.git_commit ? r.git_commit.slice(0, 10) : ''),
    metrics.map((m) => ui.el('td', {class: 'num'}, ui.number((r.last_metrics || {})[m])))));
  return ui.el('table', {id: 'runs'}, ui.el('thead', {}, head), ui.el('tbody', {}, rows));
}

async function main() {
  const params = new URLSearchParams(location.search);
  const doc = await ui.api('/api/runs?' + apiQuery(params).toString());
  const metrics = metricColumns(params, doc.runs);
  const main = ui.clear(document.getElementById('main'));
  const compare = ui.el('button', {id: 'compare', type: 'button', disabled: true}, 'Compare selected');
  compare.addEventListener('click', () => {
    const ids = Array.from(document.querySelectorAll('input.pick:checked')).map((c) => c.value);
    if (ids.length >= 1) location.href = '/compare?runs=' + ids.join(',');
  });
  const pager = ui.el('div', {class: 'pager'});
  if (params.get('before')) {
    const first = new URLSearchParams(params);
    first.delete('before');
    pager.append(ui.el('a', {href: '?' + first.toString(), id: 'newest'}, '« newest'));
  }
  if (doc.next_before_id !== null) {
    const older = new URLSearchParams(params);
    older.set('before', doc.next_before_id);
    pager.append(ui.el('a', {href: '?' + older.toString(), id: 'older'}, 'older »'));
  }
  pager.append(compare);
  main.append(ui.el('h1', {}, 'Runs'), filterForm(params),
    doc.runs.length ? runsTable(doc.runs, metrics) : ui.el('p', {class: 'muted', id: 'empty'}, 'No runs match.'),
    pager);
  main.addEventListener('change', () => {
    compare.disabled = document.querySelectorAll('input.pick:checked').length < 1;
  });
  document.body.dataset.ready = '1';
  window.aeroRunsDrawn = performance.now();
}

main().catch(ui.fail);
