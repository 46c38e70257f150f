#!/usr/bin/env node
// listpage.js -- the benchmark's figure for the extension's domain list
// (issue 14): headless Chromium (playwright-core, as tests/browser) loads
// page 1 of the list, served by PHP's built-in server running the staged
// extension with the pm_* stand-in of tests/browser/stub, the helper
// against the bench's config and state (thousands of journals) and the
// emulator. Timed: the first view with no cached panel list (the helper
// lists the panel), then REPEAT views (the helper's cached list, as within
// five minutes of the last), and page 2 sorted by state.
// usage: listpage.js EXT_DIR SBIN_DIR CONFIG OUT_DIR STATE_DIR [REPEAT]
// prints one JSON object; exit 1 when the page shows no domain rows.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const { chromium } = require(path.join(ROOT, 'tests', 'browser', 'node_modules', 'playwright-core'));
const WEB = process.env.BENCH_WEB || '127.0.9.1:8080';
const BASE = `http://${WEB}/modules/mail-cutover/index.php/index/`;

function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }

async function view(page, url) {
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  const wall = Date.now() - t0;
  const nav = await page.evaluate(() => {
    const t = performance.getEntriesByType('navigation')[0];
    return { server_ms: t.responseStart - t.requestStart, load_ms: t.loadEventEnd - t.startTime };
  });
  const rows = await page.locator('#mc-domains tbody tr[data-domain]').count();
  const pager = (await page.locator('.mc-pages span').innerText()).trim();
  return { ms: wall, server_ms: Math.round(nav.server_ms), load_ms: Math.round(nav.load_ms), rows, pager };
}

async function main() {
  const [ext, sbin, conf, out, state, rep] = process.argv.slice(2);
  const repeat = parseInt(rep || '5', 10);
  fs.mkdirSync(path.join(out, 'var'), { recursive: true });
  const env = Object.assign({}, process.env, { MC_EXT_DIR: ext, MC_SBIN_DIR: sbin, MC_CONFIG: conf,
    MC_VAR_DIR: path.join(out, 'var'), MC_CALL_LOG: path.join(out, 'helper-calls.log') });
  const log = fs.openSync(path.join(out, 'php.log'), 'w');
  const php = spawn('php', ['-S', WEB, path.join(ROOT, 'tests', 'browser', 'stub', 'router.php')],
    { cwd: out, stdio: ['ignore', log, log], env });
  let browser;
  const res = { views: [] };
  let rc = 0;
  try {
    for (let i = 0; i < 50; i++) {
      try { await fetch(`http://${WEB}/`); break; } catch (e) { await sleep(100); }
    }
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    const page = await (await browser.newContext()).newPage();
    fs.rmSync(path.join(state, 'panel-domains.cache'), { force: true });
    res.cold = await view(page, BASE + 'index');
    for (let i = 0; i < repeat; i++) res.views.push(await view(page, BASE + 'index'));
    res.page2_by_state = await view(page, BASE + 'index?sort=state&page=2');
    const ms = res.views.map(v => v.ms).sort((a, b) => a - b);
    res.warm_median_ms = ms[Math.floor(ms.length / 2)];
    res.warm_max_ms = ms[ms.length - 1];
    if (!res.cold.rows || !res.views.every(v => v.rows > 0)) rc = 1;
  } catch (e) {
    res.error = String(e && e.stack || e);
    rc = 1;
  } finally {
    if (browser) await browser.close();
    try { process.kill(php.pid, 'SIGTERM'); } catch (e) { /* gone */ }
  }
  console.log(JSON.stringify(res));
  process.exit(rc);
}

main();
