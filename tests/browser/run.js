#!/usr/bin/env node
// Browser tests of the Mail Cutover UI: playwright-core drives Debian's
// chromium (headless) against PHP's built-in server running the staged
// extension (build/ext/mail-cutover) with the pm_* stand-in of stub/, the
// real helper, the Plesk emulator on real BIND (127.0.56.1/.2) and real
// Postfix/Dovecot (127.0.7.20). Ends with one line "N passed, N failed".
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');
const { execFileSync, spawn, spawnSync } = require('child_process');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'tests', 'out', 'browser');
const EXT = path.join(ROOT, 'build', 'ext', 'mail-cutover');
const SIM = path.join(ROOT, 'tests', 'plesk-sim', 'plesk-sim');
const MAILBED = path.join(ROOT, 'tests', 'mail', 'mailbed');
const PANEL = '127.0.6.10:8443', WEB = '127.0.6.1:8080';
const P = '127.0.56.1', S = '127.0.56.2', OLD = '127.0.6.10', NEW = '127.0.7.20';
const KEY = '24f8c5e5-fcb5-bdfc-aac0-7bff0e800334';
const DAY = 86400;
const BASE = `http://${WEB}/modules/mail-cutover/index.php/index/`;
const DOMAINS = ['example.com', 'shop.test', 'xn--bcher-kva.example', 'addon.test', 'sub.example.com'];
// more than IndexController::SYNC_MAX (20): a bulk action over them is a long task
const BULK = Array.from({ length: 22 }, (_, i) => `bulk${String(i + 1).padStart(2, '0')}.test`);
const NAMES = ['mail', 'lists', 'webmail'];

let passed = 0, failed = 0;
const started = [];   // cleanup steps, last first

function check(cond, msg, ...extra) {
  if (!cond) throw new Error(msg + (extra.length ? ' | ' + extra.map(x => JSON.stringify(x)).join(' | ') : ''));
}
function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }
function dig(server, name) {
  const r = spawnSync('dig', ['+norec', '+short', '+time=2', '+tries=2', '@' + server, name, 'A'], { encoding: 'utf8' });
  return r.stdout.split('\n').map(s => s.trim()).filter(Boolean).sort();
}
async function waitFor(fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v || Date.now() > end) return v;
    await sleep(200);
  }
}
function simctl(method, p, body) {
  const args = ['ctl', '--dir', path.join(OUT, 'sim'), method, p];
  if (body !== undefined) args.push(JSON.stringify(body));
  const out = execFileSync(SIM, args, { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : null;
}
function zone(name) {
  return simctl('GET', '/__sim/state').domains.find(d => d.name === name || d.ascii_name === name);
}
function snapshot(names) {
  const o = {};
  for (const n of names) {
    const z = zone(n);
    o[n] = { records: z.zone.records.map(r => [r.type, r.host, r.value, r.opt || '']).sort(),
      soa: z.zone.soa, mail: z.mail.enabled };
  }
  return JSON.stringify(o);
}

// ------------------------------------------------------------------ setup
function setup() {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  check(fs.existsSync(path.join(EXT, 'sbin', 'mailcutover')), 'run `make ext` first');
  const fix = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'system.json'), 'utf8')
    .replace(/127\.0\.2\.10/g, OLD).replace(/127\.0\.53\./g, '127.0.56.'));
  BULK.forEach((name, i) => {
    const id = 100 + i, rid = 10000 + i * 20;
    const recs = [['NS', '', `ns1.${name}.`], ['NS', '', `ns2.${name}.`], ['A', 'ns1', P], ['A', 'ns2', S],
      ['A', '', OLD], ['A', 'mail', OLD], ['A', 'lists', OLD], ['A', 'webmail', OLD], ['MX', '', `mail.${name}.`, '10']];
    fix.domains.push({ id, kind: 'webspace', name, mail: { enabled: true, mailnames: [{ id: 1000 + i, name: 'info' }] },
      zone: { status: 'enabled', soa: { ttl: 86400, refresh: 10800, retry: 3600, expire: 604800, minimum: 10800 },
        records: recs.map((r, k) => ({ id: rid + k, type: r[0], host: r[1], value: r[2], opt: r[3] || '' })) } });
  });
  fs.writeFileSync(path.join(OUT, 'fixture.json'), JSON.stringify(fix));
  const simdir = path.join(OUT, 'sim');
  execFileSync(SIM, ['up', '--dir', simdir, '--fixture', path.join(OUT, 'fixture.json'), '--listen', PANEL,
    '--primary', P, '--secondary', S], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
  started.push(() => spawnSync(SIM, ['down', '--dir', simdir], { timeout: 60000 }));
  const pin = fs.readFileSync(path.join(simdir, 'pin'), 'utf8').trim();

  const maildir = path.join(OUT, 'mail');
  const margs = ['up', '--dir', maildir, '--ip', NEW, '--hostname', 'mail.example.com'];
  for (const d of DOMAINS.slice(0, 3)) margs.push('--domain', d, '--cert-name', 'mail.' + d);
  fs.mkdirSync(maildir, { recursive: true });
  const mlog = fs.openSync(path.join(OUT, 'mailbed.log'), 'w');
  const mr = spawnSync(MAILBED, margs, { stdio: ['ignore', mlog, mlog], timeout: 60000 });
  started.push(() => spawnSync(MAILBED, ['down', '--dir', maildir], { timeout: 60000 }));
  const mail = mr.status === 0;

  const conf = path.join(OUT, 'etc', 'mailcutover.conf');
  fs.mkdirSync(path.dirname(conf), { mode: 0o700 });
  const secret = path.join(OUT, 'etc', 'source.secret');
  fs.writeFileSync(secret, KEY + '\n', { mode: 0o600 });
  fs.writeFileSync(conf, `[source]\nurl = https://${PANEL}\nsecret_file = ${secret}\npin = ${pin}\n` +
    `[cutover]\nnew_ip = ${NEW}\nprimary_dns = ${P}\nstate_dir = ${path.join(OUT, 'state')}\n` +
    `switch_timeout = 10\nsync_timeout = 8\ndns_timeout = 300\nmail_cafile = ${path.join(maildir, 'ca.pem')}\n` +
    `[secondary ns2]\naddress = ${S}\nmethod = notify\n`, { mode: 0o600 });
  fs.mkdirSync(path.join(OUT, 'var'));
  const php = spawn('php', ['-S', WEB, path.join(__dirname, 'stub', 'router.php')], {
    cwd: OUT, stdio: ['ignore', fs.openSync(path.join(OUT, 'php.log'), 'w'), fs.openSync(path.join(OUT, 'php.log'), 'a')],
    env: Object.assign({}, process.env, { MC_EXT_DIR: EXT, MC_SBIN_DIR: path.join(EXT, 'sbin'), MC_SBIN_FAKETIME_DIR: ROOT, MC_CONFIG: conf,
      MC_VAR_DIR: path.join(OUT, 'var'), MC_CALL_LOG: path.join(OUT, 'helper-calls.log'),
      MC_DOMAIN_IDS: '1=example.com,2=shop.test' }),
  });
  started.push(() => { try { process.kill(php.pid, 'SIGTERM'); } catch (e) { /* gone */ } });
  return { conf, secret, mail, pin };
}

// ------------------------------------------------------------------ tests
const T = {};
let env, ctx, page;
const responses = [];   // every body the browser received, for the secret check

async function rowText(domain, cls) {
  return (await page.locator(`tr[data-domain="${domain}"] td.${cls}`).innerText()).trim();
}
async function list() {
  await page.goto(BASE + 'index');
}
async function faketime(seconds) {
  if (seconds) {
    await ctx.addCookies([{ name: 'mc_test_faketime', value: String(seconds), url: `http://${WEB}/` }]);
  } else {
    await ctx.clearCookies({ name: 'mc_test_faketime' });
  }
}
async function select(domains) {
  for (const d of domains) await page.locator(`tr[data-domain="${d}"] input[name="ids[]"]`).check();
}

let initial;

T['list shows the fixture domains'] = async () => {
  initial = snapshot(DOMAINS.slice(0, 4));
  await list();
  const got = await page.locator('#mc-domains tbody tr[data-domain]').evaluateAll(trs => trs.map(t => t.dataset.domain));
  check(JSON.stringify(got.sort()) === JSON.stringify([...DOMAINS, ...BULK].sort()), 'every domain listed', got);
  check((await rowText('example.com', 'c-mail')) === 'on', 'old mail on');
  await page.screenshot({ path: path.join(OUT, 'list.png'), fullPage: true });
};

T['select two, Lower TTL: both rows wait, with the end time'] = async () => {
  await list();
  await select(['example.com', 'shop.test']);
  const t0 = Date.now() / 1000;
  await page.locator('#mc-bulk button[value="prepare"]').click();
  await page.waitForLoadState();
  check((await page.locator('#mc-status').innerText()).includes('Lower TTL'), 'status message',
    await page.locator('#mc-status').innerText());
  for (const d of ['example.com', 'shop.test']) {
    check((await page.locator(`tr[data-domain="${d}"]`).getAttribute('data-state')) === 'prepared', 'prepared', d);
    const next = await rowText(d, 'c-next');
    const at = parseInt(await page.locator(`tr[data-domain="${d}"] .mc-countdown`).getAttribute('data-at'), 10);
    check(next.startsWith('switch') && /at \d{4}-\d\d-\d\d \d\d:\d\d UTC/.test(next), 'next action and when', d, next);
    check(Math.abs(at - (t0 + DAY)) < 120, 'ends after the old TTL (86400 s)', d, at - t0);
    check(/\(\d+d\d\dh\)|\(23h\d\dm\)/.test(next), 'countdown shown', next);
    check(zone(d).zone.soa.ttl === 600, 'TTL lowered on the panel', d);
  }
  check((await page.locator('tr[data-domain="xn--bcher-kva.example"]').getAttribute('data-state')) === 'new', 'others untouched');
};

T['Migrate one row with time advanced: checklist done, DNS and old mail switched'] = async () => {
  if (!env.mail) throw new Error('mail bed did not start (see tests/out/browser/mailbed.log): verify cannot pass');
  await faketime(DAY + 60);
  await list();
  await page.locator('tr[data-domain="example.com"] button.mc-migrate').click();
  await page.waitForLoadState();
  let next = await rowText('example.com', 'c-next');
  check(next.startsWith('disable-old-mail'), 'switched and synced; waits to disable', next);
  check((await rowText('example.com', 'c-agree')) === 'yes', 'secondaries agree');
  for (const n of NAMES) check(JSON.stringify(dig(P, n + '.example.com')) === JSON.stringify([NEW]), 'primary', n);
  await faketime(DAY + 2000);
  await list();
  await page.locator('tr[data-domain="example.com"] button.mc-migrate').click();
  await page.waitForLoadState();
  check((await rowText('example.com', 'c-mail')) === 'off', 'old mail off in the list', await rowText('example.com', 'c-last'));
  check((await rowText('example.com', 'c-next')).startsWith('finish'), 'waits for the registrar',
    await rowText('example.com', 'c-next'), await rowText('example.com', 'c-last'));
  await page.locator('tr[data-domain="example.com"] td.c-domain a').click();
  await page.waitForLoadState();
  await Promise.all([page.waitForNavigation(), page.locator('#mc-confirm-clients').check()]);
  await Promise.all([page.waitForNavigation(), page.locator('#mc-confirm-registrar').check()]);
  const st = await page.locator('#mc-checklist li').evaluateAll(li => li.map(l => l.dataset.step + ':' + l.dataset.status));
  check(st.every(s => s.endsWith(':done')), 'every checklist step done', st);
  check((await page.locator('#mc-domain').getAttribute('data-state')) === 'done', 'domain done');
  const audit = await page.locator('#mc-audit').innerText();
  check(audit.includes('confirm-clients') && audit.includes('plesk:admin'), 'confirmation in the audit log', audit.slice(0, 400));
  for (const n of NAMES) {
    check(JSON.stringify(dig(P, n + '.example.com')) === JSON.stringify([NEW]), 'dig primary', n);
    check(await waitFor(() => JSON.stringify(dig(S, n + '.example.com')) === JSON.stringify([NEW])), 'dig secondary', n);
  }
  const z = zone('example.com');
  check(z.mail.enabled === false, 'emulator: old mail off');
  check(z.zone.soa.ttl === 86400, 'TTL restored');
  await page.screenshot({ path: path.join(OUT, 'domain.png'), fullPage: true });
};

T['bulk Roll back restores records, TTL and mail'] = async () => {
  await faketime(0);
  await list();
  await select(['xn--bcher-kva.example']);
  await page.locator('#mc-bulk button[value="prepare"]').click();
  await page.waitForLoadState();
  const two = ['shop.test', 'xn--bcher-kva.example'];
  for (const f of [DAY + 60, DAY + 2000]) {
    await faketime(f);
    await list();
    await select(two);
    await page.locator('#mc-bulk button[value="migrate"]').click();
    await page.waitForLoadState();
  }
  for (const d of two) {
    check(zone(d).mail.enabled === false, 'mail off before the rollback', d, await rowText(d, 'c-last'));
    check(JSON.stringify(dig(P, 'mail.' + d)) === JSON.stringify([NEW]), 'switched before the rollback', d);
  }
  await faketime(DAY + 2100);
  await list();
  await select(two);
  page.once('dialog', dlg => dlg.accept());
  await page.locator('#mc-bulk button[value="rollback"]').click();
  await page.waitForLoadState();
  const before = JSON.parse(initial), now = JSON.parse(snapshot(two));
  for (const d of two) {
    check(JSON.stringify(now[d]) === JSON.stringify(before[d]), 'records, TTL and mail exactly as before', d, now[d], before[d]);
    for (const n of NAMES) {
      check(JSON.stringify(dig(P, n + '.' + d)) === JSON.stringify([OLD]), 'primary back', d, n);
      check(await waitFor(() => JSON.stringify(dig(S, n + '.' + d)) === JSON.stringify([OLD])), 'secondary back', d, n);
    }
    check((await page.locator(`tr[data-domain="${d}"]`).getAttribute('data-state')) === 'rolled_back', 'row rolled back', d);
    check((await rowText(d, 'c-mail')) === 'on', 'old mail on again', d);
  }
  await faketime(0);
};

T['a panel error shows on the right row, nothing else changes'] = async () => {
  await list();
  const others = {};
  for (const d of DOMAINS.filter(x => x !== 'addon.test')) {
    others[d] = await page.locator(`tr[data-domain="${d}"]`).innerText();
  }
  const snap = snapshot(DOMAINS.slice(0, 4));
  simctl('POST', '/__sim/fault', { kind: 'http500', count: 1, match: 'dns.set' });
  await select(['addon.test']);
  await page.locator('#mc-bulk button[value="prepare"]').click();
  await page.waitForLoadState();
  simctl('POST', '/__sim/fault/clear');
  const last = await rowText('addon.test', 'c-last');
  check(last.startsWith('failed') && /panel|HTTP|500/i.test(last), 'readable error on the row', last);
  check(!/<|Traceback|Fatal/.test(last), 'no markup or trace', last);
  check((await page.locator('tr[data-domain="addon.test"]').getAttribute('class')).includes('mc-failed'), 'row marked');
  check(await page.locator('#mc-status .msg-error').count() === 1, 'one error message on top');
  for (const d of Object.keys(others)) {
    check((await page.locator(`tr[data-domain="${d}"]`).innerText()) === others[d], 'other row unchanged', d);
  }
  check(snapshot(DOMAINS.slice(0, 4)) === snap, 'nothing changed on the panel');
};

T['settings refuse a malformed URL and never show the secret'] = async () => {
  const confBefore = fs.readFileSync(env.conf, 'utf8');
  await page.goto(BASE + 'settings');
  check((await page.locator('#mc-secret-state').innerText()).includes('stored'), 'says a secret is stored');
  check(await page.locator('#mc-secret').inputValue() === '', 'secret field empty');
  await page.fill('#mc-url', 'htp://old example');
  await page.fill('#mc-secret', 'NEW-SECRET-zz9');
  await page.locator('#mc-save').click();
  await page.waitForLoadState();
  const msg = await page.locator('#mc-status').innerText();
  check(msg.includes("'htp://old example'") && msg.includes('https://'), 'refusal names the URL', msg);
  check(fs.readFileSync(env.conf, 'utf8') === confBefore, 'config unchanged');
  check(fs.readFileSync(env.secret, 'utf8') === KEY + '\n', 'secret unchanged');
  check(await page.locator('#mc-secret').inputValue() === '', 'secret not echoed into the form');
  // a good save (same key, so the panel still accepts us), new TTL
  await page.fill('#mc-url', `https://${PANEL}`);
  await page.fill('#mc-secret', KEY);
  await page.fill('#mc-lowered_ttl', '900');
  await page.locator('#mc-save').click();
  await page.waitForLoadState();
  check((await page.locator('#mc-status').innerText()).includes('saved'), 'saved', await page.locator('#mc-status').innerText());
  check(await page.locator('#mc-lowered_ttl').inputValue() === '900', 'new value shown');
  check((fs.statSync(env.secret).mode & 0o777) === 0o600 && (fs.statSync(env.conf).mode & 0o777) === 0o600, 'files 0600');
  check(fs.readFileSync(env.conf, 'utf8').includes('lowered_ttl = 900'), 'config written');
  // the pin read from the server, shown for confirmation
  await page.locator('#mc-pin-fetch').click();
  await page.waitForLoadState();
  check((await page.locator('#mc-fetched-pin').innerText()) === env.pin, 'pin shown');
  // the secret: in no page or response, in no helper argv
  await page.goto(BASE + 'index');
  await page.goto(BASE + 'domain?domain=example.com');
  for (const r of responses) check(!r.includes(KEY) && !r.includes('NEW-SECRET-zz9'), 'secret in a response', r.slice(0, 200));
  const calls = fs.readFileSync(path.join(OUT, 'helper-calls.log'), 'utf8');
  for (const l of calls.split('\n').filter(Boolean)) {
    const c = JSON.parse(l);
    check(!JSON.stringify(c.argv).includes(KEY) && !JSON.stringify(c.argv).includes('NEW-SECRET'), 'secret in argv', c.argv);
    check(!c.stdout.includes(KEY), 'secret in helper output');
  }
};

T['POST only, with the CSRF token'] = async () => {
  const api = page.request;
  let r = await api.post(BASE + 'action', { form: { op: 'prepare', 'ids[]': 'addon.test' }, maxRedirects: 0 });
  check(r.status() === 403, 'POST without the token refused', r.status());
  r = await api.get(BASE + 'action?op=prepare&ids[]=addon.test', { maxRedirects: 0 });
  check(r.status() === 405, 'GET on an action refused', r.status());
  r = await api.post(BASE + 'confirm', { form: { domain: 'example.com', item: 'clients', value: 'yes', forgery_protection_token: 'wrong' }, maxRedirects: 0 });
  check(r.status() === 403, 'wrong token refused', r.status());
  check(zone('addon.test').zone.soa.ttl === 86400, 'nothing changed');
  // escaping: a hostile query value comes back inert
  await page.goto(BASE + 'domain?domain=' + encodeURIComponent('<script>alert(1)</script>'));
  check(!(await page.content()).includes('<script>alert(1)'), 'escaped');
};

T['the controller checks its own CSRF token on every POST'] = async () => {
  const api = page.request;
  await list();
  const platform = await page.locator('meta[name="forgery_protection_token"]').getAttribute('content');
  const cookie = (await ctx.cookies()).find(c => c.name === 'mc_csrf');
  check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/modules/mail-cutover/',
    'the nonce cookie: HttpOnly, SameSite=Strict, the extension path only', cookie);
  const ours = await page.locator('#mc-bulk input[name="mc_token"]').inputValue();
  check(/^[0-9a-f]{64}$/.test(ours), 'every POST form carries the token', ours);
  const snap = snapshot(DOMAINS.slice(0, 4));
  // the platform's token right, ours missing or wrong: the controller refuses
  for (const form of [{ forgery_protection_token: platform }, { forgery_protection_token: platform, mc_token: '0'.repeat(64) },
    { forgery_protection_token: platform, mc_token: ours.slice(0, 63) + (ours[63] === 'a' ? 'b' : 'a') }]) {
    const r = await api.post(BASE + 'action', { form: Object.assign({ op: 'prepare', 'ids[]': 'addon.test' }, form), maxRedirects: 0 });
    check(r.status() === 403 && (await r.text()).includes('own check'), 'refused by the controller', Object.keys(form), r.status());
  }
  // the stand-in's own check turned off: the controller alone still refuses
  await ctx.addCookies([{ name: 'mc_test_no_platform_csrf', value: '1', url: `http://${WEB}/` }]);
  try {
    for (const [p, form] of [['action', { op: 'prepare', 'ids[]': 'addon.test' }],
      ['confirm', { domain: 'example.com', item: 'clients', value: 'no' }],
      ['settings', { url: 'https://127.0.0.1:1', lowered_ttl: '60' }]]) {
      const r = await api.post(BASE + p, { form, maxRedirects: 0 });
      check(r.status() === 403 && (await r.text()).includes('own check'), 'no token: refused by the controller', p, r.status());
    }
    // another browser's token (another nonce cookie): refused
    const other = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    try {
      const p2 = await (await other.newContext()).newPage();
      await p2.goto(BASE + 'index');
      const theirs = await p2.locator('#mc-bulk input[name="mc_token"]').inputValue();
      check(theirs !== ours, 'a token per browser');
      const r = await api.post(BASE + 'action', { form: { op: 'prepare', 'ids[]': 'addon.test', mc_token: theirs }, maxRedirects: 0 });
      check(r.status() === 403, "another browser's token refused", r.status());
    } finally {
      await other.close();
    }
    // the control case: the page's own form passes the controller's check
    // (Plan changes nothing; it ran if the helper was called)
    const before = fs.readFileSync(path.join(OUT, 'helper-calls.log'), 'utf8').split('\n').length;
    await list();
    await select(['addon.test']);
    await page.locator('#mc-bulk button[value="plan"]').click();
    await page.waitForLoadState();
    const calls = fs.readFileSync(path.join(OUT, 'helper-calls.log'), 'utf8').split('\n').slice(before - 1)
      .filter(Boolean).map(JSON.parse);
    check(await page.locator('#mc-fail').count() === 0 && calls.some(c => c.argv.includes('plan') && c.argv.includes('addon.test')),
      'the form with its token is accepted', calls.map(c => c.argv));
  } finally {
    await ctx.clearCookies({ name: 'mc_test_no_platform_csrf' });
  }
  check(snapshot(DOMAINS.slice(0, 4)) === snap, 'nothing changed on the panel');
};

T['more than 20 domains: a background task, the page polls it'] = async () => {
  // the panel holds the task's TTL packet: the page must come back before it
  simctl('POST', '/__sim/fault', { kind: 'hold', count: 1, match: 'dns.set', delay_s: 120 });
  try {
    await page.goto(BASE + 'index?q=bulk');
    await page.locator('#mc-all').check();
    check(await page.locator('#mc-domains input[name="ids[]"]:checked').count() === BULK.length, 'all bulk rows selected');
    const t0 = Date.now();
    await page.locator('#mc-bulk button[value="prepare"]').click();
    await page.waitForLoadState();
    const back = Date.now() - t0;
    check((await page.locator('#mc-status').innerText()).includes(`${BULK.length} domains`), 'task started message',
      await page.locator('#mc-status').innerText());
    const held = await waitFor(() => simctl('GET', '/__sim/held').held.length === 1, 30000);
    check(held, 'the task reached the panel in its own process while the page was already back', back);
    await page.waitForSelector('#pm-tasks .pm-task[data-status="running"]', { timeout: 30000 });
    check(BULK.every(d => zone(d).zone.soa.ttl === 86400), 'nothing applied while the panel holds the request');
    const r = simctl('POST', '/__sim/fault/release');
    check(r.applied === 1, 'released', r);
    // no reload: the page's poll shows the task done
    await page.waitForSelector('#pm-tasks .pm-task[data-status="done"][data-progress="100"]', { timeout: 60000 });
    const msg = await page.locator('#pm-tasks .pm-task[data-status="done"]').last().innerText();
    check(msg.includes('finished'), 'the task status message', msg);
  } finally {
    simctl('POST', '/__sim/fault/clear');
  }
  const lowered = parseInt(/lowered_ttl = (\d+)/.exec(fs.readFileSync(env.conf, 'utf8'))[1], 10);
  check(BULK.every(d => zone(d).zone.soa.ttl === lowered), 'every domain prepared on the panel', lowered,
    BULK.map(d => zone(d).zone.soa.ttl));
  await page.goto(BASE + 'index?q=bulk');
  for (const d of BULK) {
    check((await page.locator(`tr[data-domain="${d}"]`).getAttribute('data-state')) === 'prepared', 'row prepared', d);
  }
  const calls = fs.readFileSync(path.join(OUT, 'helper-calls.log'), 'utf8').split('\n').filter(Boolean).map(JSON.parse);
  check(calls.some(c => c.argv.includes('prepare') && BULK.every(d => c.argv.includes(d))), 'one helper run for the batch');
};

T['Japanese locale renders the list'] = async () => {
  await ctx.addCookies([{ name: 'mc_locale', value: 'ja-JP', url: `http://${WEB}/` }]);
  await list();
  check((await page.locator('#mc-bulk button[value="migrate"]').innerText()) === '移行', 'ja-JP labels');
  await ctx.clearCookies({ name: 'mc_locale' });
};

// ------------------------------------------------------------------ main
async function main() {
  let browser;
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-chromium-'));
  try {
    env = setup();
    await sleep(500);
    ctx = await chromium.launchPersistentContext(udd, {
      executablePath: '/usr/bin/chromium', headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    browser = ctx;
    page = ctx.pages()[0] || await ctx.newPage();
    page.setDefaultTimeout(60000);
    page.on('response', async r => { try { responses.push(await r.text()); } catch (e) { /* redirects */ } });
    page.on('pageerror', e => console.log('page error: ' + e.message));
    for (const [name, fn] of Object.entries(T)) {
      const t0 = Date.now();
      try {
        await fn();
        passed++;
        console.log(`ok   - ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      } catch (e) {
        failed++;
        console.log(`FAIL - ${name}: ${e.message}`);
        try { await page.screenshot({ path: path.join(OUT, 'fail-' + passed + '-' + failed + '.png'), fullPage: true }); } catch (x) { /* */ }
      }
    }
  } catch (e) {
    failed++;
    console.log('FAIL - setup: ' + e.message);
  } finally {
    if (browser) await browser.close().catch(() => {});
    fs.rmSync(udd, { recursive: true, force: true });
    for (const f of started.reverse()) f();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
main();
