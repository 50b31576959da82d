// Debian's chromium, headless, as the UI's browser tests and benchmark
// drive it: no sandbox (tests run as root), no network of its own (no
// updates, sync, QUIC or proxy), a fresh profile in `profile`.
'use strict';
const puppeteer = require('puppeteer-core');

exports.launch = function (profile) {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-proxy-server', '--user-data-dir=' + profile],
  });
};
