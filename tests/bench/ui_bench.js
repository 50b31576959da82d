// bench_ui's browser half: loads pages in headless chromium (cache off, a
// new tab each time) and reads when they were drawn, in ms since the
// navigation started (window.aeroRunsDrawn, window.aeroChartsDrawn, set
// by the pages). Environment: PROFILE, RUNS (iterations), and PAGES, a
// JSON list of [label, url, marker]. Prints {label: [ms...], "label
// (first)": ms} as JSON: the first round, kept apart, is the first load
// after the server started.
'use strict';
const chromium = require('../cli/ui_chromium.js');

async function main() {
  const browser = await chromium.launch(process.env.PROFILE);
  const pages = JSON.parse(process.env.PAGES);
  const runs = Number(process.env.RUNS || 7);
  const out = {};
  for (const [label] of pages) out[label] = [];
  for (let i = 0; i < runs + 1; i++) {
    for (const [label, url, marker] of pages) {
      const page = await browser.newPage();
      await page.setViewport({width: 1280, height: 900});
      await page.setCacheEnabled(false);
      await page.goto(url);
      await page.waitForFunction((m) => window[m] !== undefined, {timeout: 60000}, marker);
      const t = await page.evaluate((m) => window[m], marker);
      if (i > 0) out[label].push(t);
      else out[label + ' (first)'] = t;
      await page.close();
    }
  }
  await browser.close();
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
