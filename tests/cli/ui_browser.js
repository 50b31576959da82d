// The browser scenario of test_ui_browser.sh: headless chromium, driven by
// puppeteer-core, against a running `aeromancy ui`. Environment: UI_URL,
// SHOTS (screenshot folder), PROFILE (a fresh user-data-dir), DEMO, XSS.
// Prints one line per failed check; exits 1 if any failed.
'use strict';
const chromium = require('./ui_chromium.js');
const crypto = require('crypto');

const URL_ = process.env.UI_URL;
const SHOTS = process.env.SHOTS;
let failures = 0;
function check(ok, what) {
  if (!ok) { failures++; console.log('FAIL ' + what); } else console.log('ok   ' + what);
}

async function ready(page) {
  await page.waitForSelector('body[data-ready]', {timeout: 20000});
  const state = await page.$eval('body', (b) => b.dataset.ready);
  if (state !== '1') {
    const msg = await page.$eval('#main', (m) => m.textContent);
    throw new Error('page failed: ' + msg);
  }
}

async function api(path) {
  const r = await fetch(URL_ + path);
  return r.json();
}

async function main() {
  const browser = await chromium.launch(process.env.PROFILE);
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  const problems = [];
  const foreign = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (!req.url().startsWith(URL_ + '/') && !req.url().startsWith('data:')) {
      foreign.push(req.url());
      req.abort();
    } else req.continue();
  });

  // Which runs are which, from the API (ids depend on the store).
  const all = (await api('/api/runs?limit=100')).runs;
  const trains = all.filter((r) => r.job_type === 'train' && r.status === 'ok');
  const details = await Promise.all(trains.map((r) => api('/api/runs/' + r.id)));
  const lr05 = details.find((d) => d.config.learning_rate === 0.05 && d.config.epochs === 40);
  const lr02 = details.find((d) => d.config.learning_rate === 0.02);
  const long = details.find((d) => d.config.epochs === 5000);
  check(lr05 && lr02 && long, 'the store holds the three train runs');

  // 1. The runs page.
  await page.goto(URL_ + '/');
  await ready(page);
  const rows = await page.$$eval('#runs tbody tr', (trs) => trs.length);
  check(rows === all.length, 'runs page lists every run (' + rows + ' of ' + all.length + ')');
  const firstId = await page.$eval('#runs tbody tr', (tr) => Number(tr.dataset.run));
  check(firstId === Math.max(...all.map((r) => r.id)), 'newest run first');
  const metricHeads = await page.$$eval('#runs th.metric', (ths) => ths.map((t) => t.textContent));
  check(metricHeads.includes('loss'), 'metric columns include loss: ' + metricHeads.join(','));
  await page.waitForFunction(() => document.getElementById('store').textContent !== '');
  const storeName = await page.$eval('#store', (s) => s.textContent);
  check(storeName === process.env.AEROMANCY_STORE, 'the header names the store: ' + storeName);
  await page.screenshot({path: SHOTS + '/runs.png', fullPage: true});

  // 2. Filter by job type, then a text search.
  await page.type('#f-job_type', 'train');
  await Promise.all([page.waitForNavigation(), page.click('#apply')]);
  await ready(page);
  const actions = await page.$$eval('#runs tbody tr td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
  check(actions.length === all.filter((r) => r.job_type === 'train').length &&
        actions.every((a) => a.startsWith('[train]')), 'job type filter keeps the train runs only: ' + actions.join(' | '));
  check(page.url().includes('job_type=train'), 'the filter is in the URL');
  await page.screenshot({path: SHOTS + '/runs-filtered.png', fullPage: true});
  await page.goto(URL_ + '/?q=evaluate');
  await ready(page);
  const searched = await page.$$eval('#runs tbody tr td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
  check(searched.length >= 2 && searched.every((a) => a.startsWith('[evaluate]')), 'text search finds the evaluate runs');

  // 3. Open a run from the list; its loss chart has every point.
  await page.goto(URL_ + '/?job_type=train');
  await ready(page);
  await Promise.all([page.waitForNavigation(), page.click('#runs a[href="/run/' + lr02.id + '"]')]);
  await ready(page);
  const chart = await page.$eval('canvas[data-key="loss"]', (c) => {
    const ch = Chart.getChart(c);
    return {points: ch.data.datasets[0].data.length, attr: Number(c.dataset.points), x: ch.data.datasets[0].data[39].x};
  });
  check(chart.points === 40 && chart.attr === 40, 'run ' + lr02.id + ': loss chart has 40 points (' + chart.points + ')');
  check(chart.x === 39, 'the chart\'s x axis is the step');
  // Hover shows the value.
  await page.hover('canvas[data-key="loss"]'); // scrolled into view, centre
  await page.waitForFunction(() => {
    const t = Chart.getChart(document.querySelector('canvas[data-key="loss"]')).tooltip;
    return t && t.getActiveElements().length > 0;
  }, {timeout: 5000}).catch(() => {});
  const tip = await page.$eval('canvas[data-key="loss"]', (c) => {
    const t = Chart.getChart(c).tooltip;
    return t && t.getActiveElements().length > 0 ? t.body.map((b) => b.lines.join(' ')).join(' ') : '';
  });
  check(tip.startsWith('loss: '), 'hovering the chart shows the value: ' + tip);
  // The flag holding markup is shown as text and never runs.
  const xss = await page.evaluate(() => [window.aeroXss === undefined, document.querySelectorAll('script').length,
    document.querySelectorAll('#main img').length]);
  check(xss[0] === true && xss[1] === 3 && xss[2] === 0, 'the <script> flag value did not run (' + xss + ')');
  const notes = await page.$$eval('table.config tr', (trs) => trs.map((tr) => tr.textContent));
  check(notes.some((t) => t === 'notes' + process.env.XSS), 'the flag value is shown as text');
  const cmd = await page.$eval('#command-line', (p) => p.textContent);
  check(cmd.includes('--learning-rate 0.02') && cmd.includes('<script>'), 'the command line is shown, as text');
  await page.screenshot({path: SHOTS + '/run.png', fullPage: true});

  // A file of an output downloads by digest, byte for byte.
  const file = await page.$eval('#outputs ul.files a', (a) => a.getAttribute('href'));
  const digest = file.split('/').pop();
  const got = await page.evaluate(async (href) => Array.from(new Uint8Array(await (await fetch(href)).arrayBuffer())), file);
  check(crypto.createHash('sha256').update(Buffer.from(got)).digest('hex') === digest, 'a file downloads by digest: ' + file);

  // 4. Follow an output to its artifact page, and back to its producer.
  await Promise.all([page.waitForNavigation(), page.click('#outputs td:first-child a')]);
  await ready(page);
  check(page.url().includes('/artifact?ref='), 'the output link opens the artifact page');
  const producer = await page.$eval('#producer', (a) => a.getAttribute('href'));
  check(producer === '/run/' + lr02.id, 'the artifact names its producer run ' + lr02.id + ': ' + producer);
  const graph = await page.$$eval('#lineage-graph a.node', (ns) => ns.map((n) => n.dataset.node));
  check(graph.includes('r:' + lr02.id) && graph.some((n) => n.startsWith('v:aerodemo/dataset')),
    'the lineage graph draws the producer and its input: ' + graph.join(' '));
  // The version's metadata (what train attached to the model), typed as
  // recorded, and each file with its size and digest.
  const model = lr02.outputs.find((v) => v.name === 'model');
  const shownRef = await page.$eval('table.summary', (t) => t.textContent);
  check(model && shownRef.includes(model.ref), 'the artifact page shows ' + (model && model.ref));
  const meta = await page.$$eval('#metadata tr', (trs) => Object.fromEntries(trs.map((tr) =>
    [tr.dataset.key, tr.querySelector('td').textContent])));
  check(model && typeof model.metadata.final_loss === 'number' &&
        meta.final_loss === JSON.stringify(model.metadata.final_loss) &&
        meta.trained_on === model.metadata.trained_on && meta.trained_on.startsWith('aerodemo/dataset:v'),
  'the version\'s metadata is shown: ' + JSON.stringify(meta));
  const files = await page.$$eval('#files tbody tr', (trs) => trs.map((tr) =>
    [tr.querySelector('a').getAttribute('href').split('/').pop(), tr.cells[2].textContent, tr.cells[1].title]));
  check(files.length === model.files.length && files.every(([href, sha, size], i) =>
    href === sha && sha === model.files[i].sha256 && size === model.files[i].size + ' bytes'),
  'each file with its size and SHA-256: ' + JSON.stringify(files));
  const consumers = await page.$$eval('#consumers a', (as) => as.length);
  check(consumers >= 1, 'the consuming evaluate run is listed');
  await page.screenshot({path: SHOTS + '/artifact.png', fullPage: true});
  await Promise.all([page.waitForNavigation(), page.click('#producer')]);
  await ready(page);
  check(page.url() === URL_ + '/run/' + lr02.id, 'back on the producing run');

  // 5. Compare the two learning rates, picked on the runs page.
  await page.goto(URL_ + '/?job_type=train');
  await ready(page);
  await page.click('input.pick[value="' + lr05.id + '"]');
  await page.click('input.pick[value="' + lr02.id + '"]');
  await Promise.all([page.waitForNavigation(), page.click('#compare')]);
  await ready(page);
  const diff = await page.$$eval('#config tbody tr', (trs) => Object.fromEntries(trs.map((tr) =>
    [tr.dataset.key, tr.classList.contains('changed')])));
  check(diff.learning_rate === true, 'learning_rate is highlighted as changed');
  check(diff.epochs === false && diff.loss === false, 'unchanged flags are not highlighted');
  const changedColour = await page.$eval('#config tr[data-key="learning_rate"] td', (td) => getComputedStyle(td).backgroundColor);
  const plainColour = await page.$eval('#config tr[data-key="epochs"] td', (td) => getComputedStyle(td).backgroundColor);
  check(changedColour !== plainColour, 'the highlight is visible (' + changedColour + ')');
  const overlaid = await page.$eval('canvas[data-key="loss"]', (c) => Chart.getChart(c).data.datasets.length);
  check(overlaid === 2, 'loss of both runs on one chart');
  await page.screenshot({path: SHOTS + '/compare.png', fullPage: true});

  // 6. A long series is downsampled by the server, extremes kept.
  await page.goto(URL_ + '/run/' + long.id);
  await ready(page);
  const ds = await page.$eval('canvas[data-key="loss"]', (c) => ({
    points: Chart.getChart(c).data.datasets[0].data.length, count: Number(c.dataset.count),
    max: Math.max(...Chart.getChart(c).data.datasets[0].data.map((p) => p.y))}));
  check(ds.count === 5000 && ds.points <= 2000 && ds.points >= 250, 'a 5000-point series is drawn with ' + ds.points + ' points');
  check(ds.max === long.metrics.loss.max, 'the series keeps its maximum (' + ds.max + ')');
  await page.screenshot({path: SHOTS + '/run-downsampled.png'});

  // 7. A store written by a live aerohost: a run shows on reload while it
  // is being recorded (running, its points only growing, every answer
  // whole), then as ok once aerohost is done.
  const before = (await api('/api/runs?limit=1')).runs[0].id;
  const child = require('child_process').spawn(process.env.AEROHOST,
    ['run', process.env.DEMO, '--dev', '--only', 'train', '--', '--epochs', '100000'], {stdio: 'ignore'});
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  let live = null;
  for (let i = 0; i < 400 && live === null; i++) {
    await page.goto(URL_ + '/');
    await ready(page);
    const row = await page.$eval('#runs tbody tr', (tr) => ({id: Number(tr.dataset.run),
      status: tr.querySelector('.status').textContent}));
    if (row.id > before && row.status === 'running') live = row;
    else await new Promise((r) => setTimeout(r, 25));
  }
  check(live !== null, 'a run that aerohost is recording shows on reload as running');
  const counts = [];
  for (let i = 0; live !== null && i < 5; i++) {
    const doc = await api('/api/runs/' + live.id);
    if (doc.status !== 'running') break;
    const s = await api('/api/runs/' + live.id + '/series?key=loss');
    counts.push(doc.metrics.loss ? doc.metrics.loss.count : 0, s.count);
    await new Promise((r) => setTimeout(r, 100));
  }
  check(counts.length >= 2 && counts.every((c, i) => i === 0 || c >= counts[i - 1]),
    'its points only grow from one answer to the next: ' + counts.join(' '));
  check(await exited === 0, 'the live aerohost run succeeded');
  await page.goto(URL_ + '/');
  await ready(page);
  const done = await page.$eval('#runs tbody tr', (tr) => ({id: Number(tr.dataset.run),
    status: tr.querySelector('.status').textContent}));
  check(live !== null && done.id === live.id && done.status === 'ok',
    'on reload after it ended, the run shows as ok: ' + JSON.stringify(done));

  // 8. A metric key longer than the API takes (AEH_UI_TEXT_MAX, 256
  // bytes): that chart says so in its place, the rest of the page stands.
  const longKey = 'k'.repeat(300);
  const made = require('child_process').spawnSync(process.env.AEROHOST,
    ['run', process.env.TRK, '--dev', '--', '--metric-key', longKey], {stdio: 'ignore'});
  check(made.status === 0, 'aerohost ran the pipeline logging a 300-byte metric key');
  const withLong = (await api('/api/runs?job_type=train&limit=1')).runs[0];
  const seen = problems.length;
  await page.goto(URL_ + '/run/' + withLong.id);
  await ready(page);
  const failed = await page.$$eval('div.chart[data-failed]', (bs) => bs.map((b) => [b.dataset.failed, b.textContent]));
  check(failed.length === 1 && failed[0][0] === longKey &&
        failed[0][1].includes('a metric key of 1 to 256 bytes'),
  'the 300-byte key\'s chart says why it is not drawn: ' + JSON.stringify(failed).slice(0, 200));
  const loss = await page.$eval('canvas[data-key="loss"]', (c) => Chart.getChart(c).data.datasets[0].data.length);
  check(loss === 3, 'the run\'s other chart is drawn (' + loss + ' points)');
  await page.screenshot({path: SHOTS + '/run-long-key.png', fullPage: true});
  // So does the compare page, beside a run without that key.
  await page.goto(URL_ + '/compare?runs=' + lr02.id + ',' + withLong.id);
  await ready(page);
  const cmpFailed = await page.$$eval('div.chart[data-failed]', (bs) => bs.map((b) => b.dataset.failed));
  const cmpLoss = await page.$eval('canvas[data-key="loss"]', (c) => Chart.getChart(c).data.datasets.length);
  check(cmpFailed.length === 1 && cmpFailed[0] === longKey && cmpLoss === 2,
    'compare: the long key\'s chart says why, loss of both runs is drawn');
  // The refused request is the browser's one console error there.
  const refused = problems.splice(seen).filter((p) => !/status of 400/.test(p));
  check(refused.length === 0, 'nothing else went wrong on that page: ' + refused.join('; '));

  // 9. Values near the largest double: one point, and two (DBL_MAX then
  // half of it), whose axis Chart.js rounded out to Infinity and then hung
  // the tab making ticks (one point: an Intl RangeError in its place).
  for (const points of ['1', '2']) {
    const big = require('child_process').spawnSync(process.env.AEROHOST,
      ['run', process.env.TRK, '--dev', '--force', '--', '--metric-key', 'big',
        '--metric-value', '1.7976931348623157e308', '--metric-points', points],
      {stdio: 'ignore'});
    check(big.status === 0, 'aerohost ran the pipeline logging ' + points + ' huge point(s)');
    const withBig = (await api('/api/runs?job_type=train&limit=1')).runs[0];
    await page.goto(URL_ + '/run/' + withBig.id, {timeout: 20000});
    await ready(page);
    const bigFailed = await page.$$eval('div.chart[data-failed]', (bs) => bs.map((b) => b.textContent));
    check(bigFailed.length === 0, 'no chart of that run says it failed: ' + bigFailed.join('; '));
    const drawn = await page.$$eval('canvas[data-key="big"]', (cs) => {
      const ch = cs.length ? Chart.getChart(cs[0]) : null;
      return ch ? ch.data.datasets[0].data.length : -1;
    });
    check(drawn === Number(points), 'the chart of ' + points + ' value(s) near 1.8e308 is drawn (' + drawn + ')');
  }

  check(problems.length === 0, 'no page errors or CSP violations: ' + problems.join('; '));
  check(foreign.length === 0, 'nothing fetched from elsewhere: ' + foreign.join(' '));
  await browser.close();
}

main().then(() => process.exit(failures ? 1 : 0), (e) => {
  console.log('FAIL ' + (e && e.stack || e));
  process.exit(1);
});
