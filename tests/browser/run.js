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
// served by the mail bed (so verify passes): the scheduled tick takes them to
// the finish gate together (the notification digest tests)
const GATE = ['gate1.test', 'gate2.test', 'gate3.test'];
const SDK = path.join(ROOT, 'tests', 'package', 'sdk.php');
// step 5 at the parent (issue 15): the loopback parent bed (real BIND: a root
// and two parent servers), asked directly (parent_dns); its zone zz. holds the
// delegation of MOVED, which moves during the test
const PARENTBED = path.join(ROOT, 'tests', 'system', 'parentbed.py');
const PB_ROOT = '127.0.63.31', PB = ['127.0.63.32', '127.0.63.33'];
const MOVED = 'moved.zz';
const NEW_NS = ['ns1.new-host.example', 'ns2.new-host.example'];
const NAMES = ['mail', 'lists', 'webmail'];

const OLDMAIL = path.join(OUT, 'oldmail');
// what the stand-in's pm_Notification and pm_ActionLog received, one JSON line each
const RECORDS = path.join(OUT, 'pm-records.jsonl');
let PHPENV;

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

// the delegation of MOVED in zone zz. on the parent servers SERVERS (default both)
function parentSet(ns, servers) {
  const args = [PARENTBED, 'set', '--dir', path.join(OUT, 'parentbed'), '--zone', MOVED];
  for (const s of servers || []) args.push('--server', s);
  execFileSync('/usr/bin/python3', args.concat(ns), { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
}

// ------------------------------------------------------------------ setup
function setup() {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  check(fs.existsSync(path.join(EXT, 'sbin', 'mailcutover')), 'run `make ext` first');
  const fix = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'system.json'), 'utf8')
    .replace(/127\.0\.2\.10/g, OLD).replace(/127\.0\.53\./g, '127.0.56.'));
  [...BULK, ...GATE, MOVED].forEach((name, i) => {
    const id = 100 + i, rid = 10000 + i * 20;
    const recs = [['NS', '', `ns1.${name}.`], ['NS', '', `ns2.${name}.`], ['A', 'ns1', P], ['A', 'ns2', S],
      ['A', '', OLD], ['A', 'mail', OLD], ['A', 'lists', OLD], ['A', 'webmail', OLD], ['MX', '', `mail.${name}.`, '10']];
    fix.domains.push({ id, kind: 'webspace', name, mail: { enabled: true, mailnames: [{ id: 1000 + i, name: 'info' }] },
      zone: { status: 'enabled', soa: { ttl: 86400, refresh: 10800, retry: 3600, expire: 604800, minimum: 10800 },
        records: recs.map((r, k) => ({ id: rid + k, type: r[0], host: r[1], value: r[2], opt: r[3] || '' })) } });
  });
  fs.writeFileSync(path.join(OUT, 'fixture.json'), JSON.stringify(fix));
  // the old server's Maildirs (no Postfix of its own): the emulator reports
  // their sizes as mailbox usage, so mail "delivered" there after the switch
  // is residual mail; its bed serves no domain (mail on/off stays in the API)
  fs.mkdirSync(path.join(OLDMAIL, 'mail'), { recursive: true });
  fs.writeFileSync(path.join(OLDMAIL, 'state.json'), JSON.stringify({ all_domains: [] }));
  const simdir = path.join(OUT, 'sim');
  execFileSync(SIM, ['up', '--dir', simdir, '--fixture', path.join(OUT, 'fixture.json'), '--listen', PANEL,
    '--primary', P, '--secondary', S, '--mailbed', OLDMAIL], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
  started.push(() => spawnSync(SIM, ['down', '--dir', simdir], { timeout: 60000 }));
  const pin = fs.readFileSync(path.join(simdir, 'pin'), 'utf8').trim();

  const maildir = path.join(OUT, 'mail');
  const margs = ['up', '--dir', maildir, '--ip', NEW, '--hostname', 'mail.example.com'];
  for (const d of [...DOMAINS.slice(0, 3), ...GATE, MOVED]) margs.push('--domain', d, '--cert-name', 'mail.' + d);
  fs.mkdirSync(maildir, { recursive: true });
  const mlog = fs.openSync(path.join(OUT, 'mailbed.log'), 'w');
  const mr = spawnSync(MAILBED, margs, { stdio: ['ignore', mlog, mlog], timeout: 60000 });
  started.push(() => spawnSync(MAILBED, ['down', '--dir', maildir], { timeout: 60000 }));
  const mail = mr.status === 0;

  const pbdir = path.join(OUT, 'parentbed');
  execFileSync('/usr/bin/python3', [PARENTBED, 'up', '--dir', pbdir, '--ip', PB_ROOT],
    { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
  started.push(() => spawnSync('/usr/bin/python3', [PARENTBED, 'down', '--dir', pbdir], { timeout: 60000 }));
  parentSet([`ns1.${MOVED}=${P}`, `ns2.${MOVED}=${S}`]);

  // `settings set` writes only the default config (issue 11): this run has
  // a private tmpfs there (mount namespace, see the end of this file)
  const conf = path.join(ETC, 'mailcutover.conf');
  check(fs.readdirSync(ETC).length === 0, 'a private, empty ' + ETC);
  const secret = path.join(ETC, 'source.secret');
  fs.writeFileSync(secret, KEY + '\n', { mode: 0o600 });
  fs.writeFileSync(conf, `[source]\nurl = https://${PANEL}\nsecret_file = ${secret}\npin = ${pin}\n` +
    `[cutover]\nnew_ip = ${NEW}\nprimary_dns = ${P}\nstate_dir = ${path.join(OUT, 'state')}\n` +
    `switch_timeout = 10\nsync_timeout = 8\ndns_timeout = 300\nmail_cafile = ${path.join(maildir, 'ca.pem')}\n` +
    `new_ns = ${NEW_NS.join(', ')}\nparent_dns = ${PB.join(', ')}\n` +
    `[secondary ns2]\naddress = ${S}\nmethod = notify\n`, { mode: 0o600 });
  fs.mkdirSync(path.join(OUT, 'var'));
  PHPENV = Object.assign({}, process.env, { MC_EXT_DIR: EXT, MC_SBIN_DIR: path.join(EXT, 'sbin'), MC_SBIN_FAKETIME_DIR: ROOT,
    MC_CONFIG: conf, MC_VAR_DIR: path.join(OUT, 'var'), MC_CALL_LOG: path.join(OUT, 'helper-calls.log'),
    MC_STUB_RECORDS: RECORDS, MC_DOMAIN_IDS: '1=example.com,2=shop.test,' + GATE.map((d, i) => `${200 + i}=${d}`).join(',') });
  const php = spawn('php', ['-S', WEB, path.join(__dirname, 'stub', 'router.php')], {
    cwd: OUT, stdio: ['ignore', fs.openSync(path.join(OUT, 'php.log'), 'w'), fs.openSync(path.join(OUT, 'php.log'), 'a')],
    env: PHPENV,
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
  check(JSON.stringify(got.sort()) === JSON.stringify([...DOMAINS, ...BULK, ...GATE, MOVED].sort()), 'every domain listed', got);
  check((await rowText('example.com', 'c-mail')) === 'on', 'old mail on');
  await page.screenshot({ path: path.join(OUT, 'list.png'), fullPage: true });
};

T['the list pages, filters and sorts in the helper (list --page), never the whole list'] = async () => {
  const log = path.join(OUT, 'helper-calls.log');
  const before = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
  await page.goto(BASE + 'index?q=bulk&sort=domain&dir=desc');
  const got = await page.locator('#mc-domains tbody tr[data-domain]').evaluateAll(trs => trs.map(t => t.dataset.domain));
  check(got.length === BULK.length && got[0] === 'bulk22.test' && got[21] === 'bulk01.test', 'filtered, descending', got);
  check((await page.locator('.mc-pages span').innerText()).includes('Page 1 of 1 (22 domains)'), 'the total of the filter',
    await page.locator('.mc-pages span').innerText());
  const opts = await page.locator('#mc-state option').allInnerTexts();
  const all = [...DOMAINS, ...BULK, ...GATE, MOVED].length;
  check(opts.some(o => o.includes(`(${all})`)), 'the state counts are all domains\'', opts);
  await page.goto(BASE + 'index?state=verified');
  check((await page.locator('#mc-domains tbody td.mc-empty').count()) === 1, 'no domain in that state');
  const calls = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).slice(before).map(JSON.parse)
    .filter(c => c.argv.includes('list'));
  check(calls.length === 2, 'one helper call per view', calls.map(c => c.argv));
  const a0 = calls[0].argv.join(' ');
  check(a0.includes('list --page 1 --per-page 50 --sort domain --desc --filter bulk'), 'the query goes to the helper', a0);
  check(calls[1].argv.join(' ').includes('--state verified'), 'the state filter too', calls[1].argv);
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

T['a domain busy in another run shows "busy, retrying", not failed'] = async () => {
  // another run holds addon.test's lock (flock(1), as the helper's flock)
  const lock = path.join(OUT, 'state', 'addon.test.lock');
  // (a process group of its own: flock and its sleep go together)
  const holder = spawn('flock', [lock, 'sleep', '60'], { stdio: 'ignore', detached: true });
  try {
    check(await waitFor(() => fs.existsSync(lock)), 'lock taken');
    await new Promise(r => setTimeout(r, 300));
    await list();
    const snap = snapshot(['addon.test']);
    await select(['addon.test']);
    await page.locator('#mc-bulk button[value="prepare"]').click();
    await page.waitForLoadState();
    const last = await rowText('addon.test', 'c-last');
    check(last.startsWith('busy, retrying') && /another mailcutover run/.test(last), 'busy on the row', last);
    const cls = await page.locator('tr[data-domain="addon.test"]').getAttribute('class');
    check(cls.includes('mc-busy') && !cls.includes('mc-failed'), 'row not failed', cls);
    check(await page.locator('#mc-status .msg-error').count() === 0, 'no error message', await page.locator('#mc-status').innerText());
    check(snapshot(['addon.test']) === snap, 'nothing changed on the panel');
  } finally {
    try { process.kill(-holder.pid, 'SIGKILL'); } catch (e) { /* gone */ }
    await new Promise(r => holder.exitCode !== null || holder.signalCode !== null ? r() : holder.once('exit', r));
  }
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
  // the task runs without a web session: its actor is the one who started it
  check(calls.some(c => c.argv.includes('prepare') && BULK.every(d => c.argv.includes(d)) && c.actor === 'plesk:admin'),
    'the task\'s actor', calls.filter(c => c.argv.includes('prepare')).map(c => c.actor));
};

T['Japanese locale renders the list'] = async () => {
  await ctx.addCookies([{ name: 'mc_locale', value: 'ja-JP', url: `http://${WEB}/` }]);
  await list();
  check((await page.locator('#mc-bulk button[value="migrate"]').innerText()) === '移行', 'ja-JP labels');
  await ctx.clearCookies({ name: 'mc_locale' });
};

// ------------------------------------------------ notifications, Action Log
function records(kind) {
  if (!fs.existsSync(RECORDS)) return [];
  return fs.readFileSync(RECORDS, 'utf8').split('\n').filter(Boolean).map(JSON.parse)
    .filter(r => !kind || r.kind === kind);
}
function digestDomains(n) { return n.params.domains.split(', '); }
// the scheduled task as Plesk runs it (tests/package/sdk.php), N seconds in
// the future, in the panel's language LOCALE; -> the helper's JSON of that tick
function tickRun(seconds, locale) {
  const before = fs.readFileSync(path.join(OUT, 'helper-calls.log'), 'utf8').split('\n').filter(Boolean).length;
  const r = spawnSync('php', [SDK, path.join(EXT, 'plib', 'scripts', 'tick.php')], {
    env: Object.assign({}, PHPENV, { MC_TEST_FAKETIME: String(seconds), MC_LOCALE: locale || 'en-US' }),
    encoding: 'utf8', timeout: 600000 });
  check(!r.error && r.status !== null, 'tick.php ran', r.error && r.error.message);
  const calls = fs.readFileSync(path.join(OUT, 'helper-calls.log'), 'utf8').split('\n').filter(Boolean)
    .slice(before).map(JSON.parse).filter(c => c.argv[1] === 'tick');
  check(calls.length === 1, 'one helper tick per tick.php', calls.length, r.stdout, r.stderr);
  const j = JSON.parse(calls[0].stdout);
  const by = {};
  for (const d of j.domains) by[d.domain] = d;
  return by;
}
function shortTick(by, names) {
  return names.map(n => by[n] ? `${n}:${by[n].result}/${by[n].state}/${(by[n].next || {}).step}` : `${n}:absent`);
}

T['page actions notify: the finish gate, a failed step, a finished cut-over (one digest per run)'] = async () => {
  // what the tests above did from the page, in order: Migrate example.com to
  // its finish gate, confirm the registrar (finished), Migrate two domains to
  // the gate in one run, a failed Lower TTL of addon.test
  const got = records('notification').map(n => [n.id, n.params.domains, n.params.count, n.locale]);
  const want = [['gate_opened', 'example.com', '1', 'en-US'], ['cutover_finished', 'example.com', '1', 'en-US'],
    ['gate_opened', 'shop.test, bücher.example (xn--bcher-kva.example)', '2', 'en-US'],
    ['step_failed', 'addon.test', '1', 'en-US']];
  check(JSON.stringify(got) === JSON.stringify(want), 'exactly these digests so far', got);
  const n = records('notification');
  check(n[2].subject === 'Mail Cutover: 2 domain(s) wait for you', 'gate subject', n[2].subject);
  for (const line of ['- shop.test: verified; change the name servers at the registrar, then confirm it on the checklist page to finish',
    '- bücher.example (xn--bcher-kva.example): verified; change the name servers at the registrar']) {
    check(n[2].message.includes(line), 'gate digest line', line, n[2].message);
  }
  check(n[2].message.includes('sent after an action on the Mail Cutover page') && !n[2].message.includes('<'),
    'source named, every placeholder filled', n[2].message);
  check(/^- addon\.test: lower TTL: lowering the TTL: source panel: HTTP 500/.test(n[3].params.list),
    'the failed step and the helper\'s reason', n[3].params.list);
  check(n[1].subject === 'Mail Cutover: the cut-over of 1 domain(s) is finished', 'finished subject', n[1].subject);
  check(n.every(x => x.title && JSON.stringify(x.recipients) === '["admin@panel.test"]'), 'declared, to the administrator');
};

T['tick: the finish gate opens for several domains: one digest per event, sent once (en-US)'] = async () => {
  await faketime(0);
  await list();
  await select(GATE);
  await page.locator('#mc-bulk button[value="prepare"]').click();
  await page.waitForLoadState();
  for (const d of GATE) check((await page.locator(`tr[data-domain="${d}"]`).getAttribute('data-state')) === 'prepared', 'prepared', d);
  let mark = records('notification').length;
  const t1 = tickRun(DAY + 60);
  check([...GATE, ...BULK].every(d => t1[d] && t1[d].state === 'synced'), 'tick 1 switched and synced them',
    shortTick(t1, [...GATE, BULK[0]]));
  check(records('notification').length === mark, 'nothing to tell after tick 1', records('notification').slice(mark));
  // mail a stale sender delivered to the old server after the switch
  const md = path.join(OLDMAIL, 'mail', 'gate1.test', 'info', 'new');
  fs.mkdirSync(md, { recursive: true });
  fs.writeFileSync(path.join(md, '1700000000.M1P1.old'), 'Subject: late\r\n\r\n' + 'x'.repeat(1200) + '\r\n');
  const t2 = tickRun(DAY + 2000);
  // gate1.test's old mailbox grew since the last reading: the quiet gate of
  // step 3 holds it (the old server still receives mail); the others go on
  const g1 = t2['gate1.test'];
  check(g1.state === 'synced' && g1.next.step === 'disable-old-mail' && g1.result === 'waiting' &&
    g1.quiet && g1.quiet.state === 'receiving' && g1.quiet.last_growth && g1.next.at === g1.quiet.opens_at,
    'tick 2: the quiet gate holds gate1.test', g1.message, g1.quiet);
  check(g1.message.startsWith('old server still receiving mail: last growth at '), 'said plainly', g1.message);
  check(zone('gate1.test').mail.enabled === true, 'its old mail stays on');
  const rest = GATE.slice(1);
  check(rest.every(d => t2[d].state === 'verified' && t2[d].next.step === 'finish' && t2[d].result === 'waiting'),
    'tick 2: the other gate domains verified, at the finish gate', shortTick(t2, GATE));
  check(BULK.every(d => t2[d].result === 'failed' && t2[d].message.startsWith('verify failed')),
    'tick 2: the bulk domains fail verify (no mail for them on the new server)', shortTick(t2, BULK.slice(0, 3)));
  let got = records('notification').slice(mark);
  check(JSON.stringify(got.map(x => x.id)) === JSON.stringify(['verify_failed', 'gate_opened']),
    'one message per event for the whole tick', got.map(x => [x.id, x.params.count]));
  const [vf, gate] = got;
  check(gate.params.domains === 'gate2.test, gate3.test' && gate.params.count === '2', 'the gate digest lists the two',
    gate.params);
  check(gate.subject === 'Mail Cutover: 2 domain(s) wait for you' && gate.locale === 'en-US', 'subject', gate.subject);
  for (const d of rest) {
    check(gate.message.includes(`- ${d}: verified; change the name servers at the registrar, then confirm it on the checklist page to finish`),
      'gate line', d, gate.message);
  }
  check(gate.message.startsWith('The next step of the mail cut-over of these domains can be taken now, and it needs you:') &&
    gate.message.includes('(sent by the scheduled task, '), 'body and source', gate.message);
  check(vf.params.count === '22' && JSON.stringify(digestDomains(vf)) === JSON.stringify(BULK), 'verify digest: the 22', vf.params.domains);
  check(vf.subject === 'Mail Cutover: verification failed for 22 domain(s)', 'verify subject', vf.subject);
  check(BULK.every(d => vf.message.includes(`- ${d}: verify failed (see the checks)`)), 'verify lines', vf.message.slice(0, 600));
  // the checklist page shows the gate, its times and the countdown, in English and Japanese
  await faketime(DAY + 2060);
  for (const [loc, words, shot] of [['en-US', ['Old server still receiving mail: last growth at ', ', gate opens at '], 'quiet-gate.png'],
    ['ja-JP', ['旧サーバーはまだメールを受信しています: 最後の増加 ', '、ゲートが開くのは '], 'quiet-gate-ja.png']]) {
    await ctx.addCookies([{ name: 'mc_locale', value: loc, url: `http://${WEB}/` }]);
    await page.goto(BASE + 'domain?domain=gate1.test');
    const q = page.locator('#mc-quiet');
    check((await q.getAttribute('data-state')) === 'receiving', 'the gate state on the page', loc);
    const text = await q.locator('.mc-quiet-text').innerText();
    const opens = g1.quiet.opens_at.slice(0, 16).replace('T', ' ') + ' UTC';
    check(words.every(w => text.includes(w)) && text.includes(opens) &&
      text.includes(g1.quiet.last_growth.slice(0, 16).replace('T', ' ') + ' UTC'), 'growth and opening times', loc, text, opens);
    check(/\(\d+(d\d\dh|h\d\dm|m\d\ds)\)/.test(await q.locator('.mc-countdown').innerText()), 'the countdown runs', loc, text);
    check((await page.locator('li[data-step="3"]').getAttribute('data-status')) === 'waiting', 'step 3 waits', loc);
    await page.locator('li[data-step="3"]').screenshot({ path: path.join(OUT, shot) });
  }
  await page.screenshot({ path: path.join(OUT, 'quiet-gate-page-ja.png'), fullPage: true });
  // quiet_max passed (30 min for this view) with the old server still
  // receiving: capped, said loudly, no countdown, the operator's button
  const confText = fs.readFileSync(env.conf, 'utf8');
  fs.writeFileSync(env.conf, confText.replace('[cutover]\n', '[cutover]\nquiet_max = 1800\n'), { mode: 0o600 });
  try {
    for (const [loc, words, shot] of [
      ['en-US', ['OLD SERVER STILL RECEIVING MAIL after the cap of 30m00s (last growth at ', 'Disable old mail now'], 'quiet-capped.png'],
      ['ja-JP', ['上限 30m00s を過ぎても旧サーバーがメールを受信しています（最後の増加 ', '今すぐ旧メールを無効にする'], 'quiet-capped-ja.png']]) {
      await ctx.addCookies([{ name: 'mc_locale', value: loc, url: `http://${WEB}/` }]);
      await page.goto(BASE + 'domain?domain=gate1.test');
      const q = page.locator('#mc-quiet');
      check((await q.getAttribute('data-state')) === 'capped', 'capped on the page', loc, await q.getAttribute('data-state'));
      const text = await q.innerText();
      check(words.every(w => text.includes(w)) && text.includes(g1.quiet.last_growth.slice(0, 16).replace('T', ' ') + ' UTC'),
        'the cap, the last growth and the button', loc, text);
      check((await q.locator('.mc-countdown').count()) === 0, 'no countdown: it waits for the operator', loc);
      check((await page.locator('li[data-step="3"]').getAttribute('data-status')) === 'waiting' &&
        (await page.locator('li[data-step="3"] .mc-status').innerText()) === (loc === 'en-US' ? 'waits for your confirmation'
          : 'あなたの確認を待っています'), 'step 3 waits for the operator', loc);
      await page.locator('li[data-step="3"]').screenshot({ path: path.join(OUT, shot) });
    }
    // the operator confirms (English page): a forced disable, journaled and audited
    await ctx.addCookies([{ name: 'mc_locale', value: 'en-US', url: `http://${WEB}/` }]);
    await page.goto(BASE + 'domain?domain=gate1.test');
    let asked = '';
    page.once('dialog', dlg => { asked = dlg.message(); dlg.accept(); });
    await Promise.all([page.waitForNavigation(), page.locator('#mc-confirm-quiet').click()]);
    check(asked.startsWith('The old server still receives mail for this domain. Disable it anyway?'), 'asked first', asked);
    check((await page.content()).includes('Old mail disabled on your confirmation (recorded in the audit log).'),
      'the confirmation said');
    check(zone('gate1.test').mail.enabled === false, 'old mail off on the operator\'s word');
    const calls = fs.readFileSync(path.join(OUT, 'helper-calls.log'), 'utf8').split('\n').filter(Boolean).map(JSON.parse)
      .filter(c => c.argv.includes('disable-old-mail'));
    check(calls.length > 0 && calls[calls.length - 1].argv.includes('--force') && calls[calls.length - 1].argv.includes('gate1.test'),
      'disable-old-mail --force gate1.test', calls.length && calls[calls.length - 1].argv);
  } finally {
    fs.writeFileSync(env.conf, confText, { mode: 0o600 });
  }
  await ctx.clearCookies({ name: 'mc_locale' });
  await faketime(0);
  // disabled on the operator's word: the next tick verifies it and reports
  // the residual mail (the quiet window opening by itself: tests/system/cutover.py)
  mark = records('notification').length;
  const t2b = tickRun(DAY + 3000);
  check(t2b['gate1.test'].state === 'verified' && t2b['gate1.test'].next.step === 'finish' && zone('gate1.test').mail.enabled === false,
    'disabled and verified', shortTick(t2b, GATE), t2b['gate1.test'].message);
  got = records('notification').slice(mark);
  check(JSON.stringify(got.map(x => x.id)) === JSON.stringify(['residual_mail', 'gate_opened']), 'residual and gate digests',
    got.map(x => [x.id, x.params.count]));
  const [res, gate1] = got;
  check(gate1.params.domains === 'gate1.test', 'gate digest: gate1.test', gate1.params);
  const size = fs.statSync(path.join(md, '1700000000.M1P1.old')).size;
  check(res.params.domains === 'gate1.test' && res.params.list.includes(`info@gate1.test +${size} bytes`), 'residual digest',
    res.params.list);
  check(res.subject === 'Mail Cutover: mail arrived on the old server for 1 domain(s)', 'residual subject', res.subject);
  // the checklist offers the exact copy command
  await faketime(DAY + 3010);
  await page.goto(BASE + 'domain?domain=gate1.test');
  check((await page.locator('#mc-residual').getAttribute('data-state')) === 'grew', 'residual section');
  const cmd = await page.locator('#mc-residual .mc-cmd').innerText();
  check(cmd === `imapsync --host1 ${OLD} --ssl1 --user1 info@gate1.test --password1 'PASSWORD-ON-OLD' --host2 ${NEW} ` +
    '--ssl2 --user2 info@gate1.test --password2 \'PASSWORD-ON-NEW\'', 'the imapsync line', cmd);
  await page.locator('#mc-residual').screenshot({ path: path.join(OUT, 'residual.png') });
  await faketime(0);
  // the same states again: nothing is sent twice
  mark = records('notification').length;
  const t3 = tickRun(DAY + 3100);
  check(GATE.every(d => t3[d].next.step === 'finish') && BULK.every(d => t3[d].result === 'failed'),
    'tick 3 reports the same gate and failures', shortTick(t3, [...GATE, BULK[0]]));
  check(records('notification').length === mark, 'tick 3 sent nothing again', records('notification').slice(mark).map(x => x.id));
};

T['tick in Japanese: the digests and a failed switch, in the panel\'s language (ja-JP)'] = async () => {
  // forget the notifications sent (not the Action Log), as if for another run
  const sent = path.join(OUT, 'var', 'sent');
  for (const f of fs.readdirSync(sent).filter(f => f.endsWith('.json'))) {
    const v = JSON.parse(fs.readFileSync(path.join(sent, f), 'utf8'));
    v.notified = {};
    fs.writeFileSync(path.join(sent, f), JSON.stringify(v));
  }
  // addon.test's switch gate opens in this tick; its first new record fails
  simctl('POST', '/__sim/fault', { kind: 'operror', count: 1, match: 'dns.add_rec' });
  const mark = records('notification').length;
  let t4;
  try {
    t4 = tickRun(2 * DAY + 300, 'ja-JP');
  } finally {
    simctl('POST', '/__sim/fault/clear');
  }
  check(t4['addon.test'] && t4['addon.test'].result === 'failed', 'addon.test failed its switch', shortTick(t4, ['addon.test']),
    t4['addon.test'] && t4['addon.test'].message);
  const got = records('notification').slice(mark);
  check(JSON.stringify(got.map(x => x.id)) === JSON.stringify(['step_failed', 'verify_failed', 'gate_opened']),
    'one message per event', got.map(x => [x.id, x.params.count]));
  const [sf, vf, gate] = got;
  check(got.every(x => x.locale === 'ja-JP'), 'in Japanese');
  check(gate.subject === 'メール切り替え: 3 個のドメインが操作を待っています', 'ja gate subject', gate.subject);
  check(gate.message.startsWith('次のドメインのメール切り替えは次の手順に進めますが、管理者の操作が必要です:') &&
    gate.message.includes('（スケジュールタスクより送信、'), 'ja gate body', gate.message);
  for (const d of GATE) {
    check(gate.message.includes(`- ${d}: 検証済み。レジストラでネームサーバーを変更し、チェックリストページで確認すると完了します`),
      'ja gate line', d, gate.message);
  }
  check(vf.subject === 'メール切り替え: 22 個のドメインで検証が失敗しました' && vf.params.count === '22', 'ja verify subject', vf.subject);
  check(vf.message.includes('新しいサーバーの DNS とメールの検証が、次のドメインで失敗しました') &&
    BULK.every(d => vf.message.includes(`- ${d}: verify failed`)), 'ja verify body', vf.message.slice(0, 400));
  check(sf.subject === 'メール切り替え: 1 個のドメインで手順が失敗しました' && sf.params.domains === 'addon.test', 'ja step subject',
    sf.subject, sf.params.domains);
  check(/^- addon\.test: レコード切り替え: adding /.test(sf.params.list) && sf.message.includes('原因を解消して手順を再実行するまで'),
    'ja step body: the step in Japanese, the helper\'s reason', sf.message);
};

T['finish from the checklist page: the finished digest, in each language'] = async () => {
  await faketime(2 * DAY + 400);
  for (const [d, loc] of [['gate1.test', 'en-US'], ['gate2.test', 'ja-JP']]) {
    await ctx.addCookies([{ name: 'mc_locale', value: loc, url: `http://${WEB}/` }]);
    const mark = records('notification').length;
    await page.goto(BASE + 'domain?domain=' + d);
    await Promise.all([page.waitForNavigation(), page.locator('#mc-confirm-clients').check()]);
    await Promise.all([page.waitForNavigation(), page.locator('#mc-confirm-registrar').check()]);
    check((await page.locator('#mc-domain').getAttribute('data-state')) === 'done', 'finished', d);
    const got = records('notification').slice(mark);
    check(got.length === 1 && got[0].id === 'cutover_finished' && got[0].params.domains === d && got[0].locale === loc,
      'one finished digest', d, got.map(x => [x.id, x.params.domains, x.locale]));
    check(got[0].subject === (loc === 'en-US' ? 'Mail Cutover: the cut-over of 1 domain(s) is finished'
      : 'メール切り替え: 1 個のドメインの切り替えが完了しました'), 'subject', got[0].subject);
    check(got[0].message.includes(loc === 'en-US' ? `- ${d}: finished` : `- ${d}: 完了`) &&
      got[0].message.includes(loc === 'en-US' ? 'sent after an action on the Mail Cutover page' : 'メール切り替えページでの操作後に送信'),
      'body', got[0].message);
  }
  await ctx.clearCookies({ name: 'mc_locale' });
  await faketime(0);
};

T['the Action Log: each change on the old server once, with old and new values (bulk run included)'] = async () => {
  // the helper's own audit log is the source of truth
  const r = spawnSync(path.join(ROOT, 'mailcutover'), ['--config', env.conf, '--json', 'log'], { encoding: 'utf8' });
  check(r.status === 0, 'mailcutover log', r.status, r.stderr);
  const map = { 'prepare/ok': 'ttl_lowered', 'switch/done': 'records_switched', 'disable-old-mail/ok': 'mail_disabled',
    'finish/ok': 'ttl_restored', 'rollback/ok': 'rollback', 'rollback/done': 'rollback' };
  const key = (ev, dom, old, nw, res, actor, time) => JSON.stringify([ev, dom, old, nw, res, actor, time]);
  const want = JSON.parse(r.stdout).log.filter(l => map[l.step + '/' + l.result])
    .map(l => key(map[l.step + '/' + l.result], l.domain, l.old, l.new, l.result, l.actor, l.time)).sort();
  const al = records('actionlog');
  const got = al.map(e => key(e.id, e.old.domain_name, e.old.value, e.new.value, e.new.result, e.new.actor, e.new.audit_time)).sort();
  check(want.length > 0 && JSON.stringify(got) === JSON.stringify(want), 'every such audit line exactly once',
    got.length, want.length, got.filter(x => !want.includes(x)).slice(0, 3), want.filter(x => !got.includes(x)).slice(0, 3));
  const of = (d, ev) => al.filter(e => e.old.domain_name === d && e.id === ev);
  for (const d of BULK) {
    const [tl, rs, md] = [of(d, 'ttl_lowered'), of(d, 'records_switched'), of(d, 'mail_disabled')];
    check(tl.length === 1 && tl[0].old.value === '86400' && tl[0].new.value === '900', 'TTL lowered once', d, tl);
    check(rs.length === 1 && rs[0].old.value === OLD && rs[0].new.value === NEW, 'records switched once', d, rs);
    check(md.length === 1 && md[0].old.value === 'on' && md[0].new.value === 'off', 'mail disabled once', d, md);
    check([...tl, ...rs, ...md].every(e => e.object_id === 0), 'not a domain of this panel: object 0', d);
  }
  const rb = of('shop.test', 'rollback').map(e => e.old.value + ' -> ' + e.new.value).sort();
  check(JSON.stringify(rb) === JSON.stringify(['TTL -> 86400', `${NEW} -> ${OLD}`, 'mail off -> mail on'].sort()),
    'the rollback: mail, TTL and records back', rb);
  check(of('shop.test', 'rollback').every(e => e.object_id === 2), 'shop.test is domain 2 of this panel');
  check(of('example.com', 'ttl_restored').length === 1 && of('gate1.test', 'ttl_restored')[0].object_id === 200, 'finish: TTL restored');
  check(of('addon.test', 'records_switched').length === 0, 'the failed switch is not logged as one');
  check(al.every(e => e.event === 'ext_mail-cutover_' + e.id && e.title.length > 0 &&
    JSON.stringify(Object.keys(e.old).sort()) === JSON.stringify(Object.keys(e.new).sort())),
  'declared events, old and new with the same keys');
};

// ------------------------------------------------------- step 5 at the parent
async function step5() {
  const li = page.locator('#mc-checklist li[data-step="5"]');
  return { status: await li.getAttribute('data-status'), how: await li.getAttribute('data-how'),
    text: (await li.locator('.mc-status').innerText()).trim() };
}
async function parentServers() {
  return page.locator('#mc-delegation .mc-deleg-server').evaluateAll(
    lis => lis.map(l => [l.dataset.address, l.dataset.ok, l.innerText.trim()]));
}

T['step 5 on the checklist: what the parent serves and should, then checked there (en, ja)'] = async () => {
  if (!env.mail) throw new Error('mail bed did not start (see tests/out/browser/mailbed.log): verify cannot pass');
  await faketime(0);
  await list();
  await select([MOVED]);
  await page.locator('#mc-bulk button[value="prepare"]').click();
  await page.waitForLoadState();
  const mark = records('notification').length;
  for (const f of [DAY + 60, DAY + 2000]) {
    await faketime(f);
    await page.goto(BASE + 'domain?domain=' + MOVED);
    await Promise.all([page.waitForNavigation(), page.locator('button.mc-op-migrate').click()]);
  }
  // verified; the parent servers still delegate to the old name servers
  check((await page.locator('#mc-domain').getAttribute('data-state')) === 'verified', 'verified, not done',
    await page.locator('#mc-domain').getAttribute('data-state'));
  let s5 = await step5();
  check(s5.status === 'waiting' && s5.how === '' &&
    s5.text === 'waiting: a parent server does not list the new name servers yet', 'step 5 waits (en)', s5);
  check((await page.locator('#mc-delegation').getAttribute('data-result')) === 'differs', 'the check differs');
  let title = await page.locator('#mc-delegation p').first().innerText();
  check(title.startsWith('Delegation at the parent zone (the parent_dns servers), checked '), 'the check, en', title);
  check((await page.locator('#mc-delegation .mc-deleg-want').innerText()) === `should list: ${NEW_NS.join(', ')}`,
    'what it should list', await page.locator('#mc-delegation').innerText());
  let srv = await parentServers();
  check(JSON.stringify(srv) === JSON.stringify(PB.map(a => [a, '0', `(${a}): ns1.${MOVED}, ns2.${MOVED}`])),
    'what each parent server serves', srv);
  check(await page.locator('#mc-confirm-registrar').isEnabled(), 'the manual confirmation stays possible');
  // the waiting domain's digest says it finishes by itself
  const gate = records('notification').slice(mark).filter(n => n.id === 'gate_opened');
  check(gate.length === 1 && gate[0].message.includes(`- ${MOVED}: verified; change the name servers at the registrar: ` +
    'the cut-over finishes by itself once every server of the parent zone lists them'), 'the gate digest', gate);
  // in Japanese
  await ctx.addCookies([{ name: 'mc_locale', value: 'ja-JP', url: `http://${WEB}/` }]);
  await page.goto(BASE + 'domain?domain=' + MOVED);
  s5 = await step5();
  check(s5.status === 'waiting' && s5.text === '待機中: 新しいネームサーバーをまだ返していない親サーバーがあります', 'step 5 waits (ja)', s5);
  title = await page.locator('#mc-delegation p').first().innerText();
  check(title.startsWith('親ゾーン （parent_dns のサーバー） での委任（') &&
    (await page.locator('#mc-delegation .mc-deleg-want').innerText()) === `あるべき値: ${NEW_NS.join(', ')}`, 'the check, ja', title);
  // one parent server moves: still waiting, that one is fine now
  parentSet(NEW_NS, [PB[0]]);
  await Promise.all([page.waitForNavigation(), page.locator('button.mc-op-migrate').click()]);
  srv = await parentServers();
  check((await step5()).status === 'waiting' && srv[0][1] === '1' && srv[1][1] === '0' &&
    srv[0][2] === `(${PB[0]}): ${NEW_NS.join(', ')}`, 'one moved, one not: still waiting', srv);
  // the other one too: step 5 done at the parent, the cut-over finished
  const mark2 = records('notification').length;
  parentSet(NEW_NS);
  await Promise.all([page.waitForNavigation(), page.locator('button.mc-op-migrate').click()]);
  check((await page.locator('#mc-domain').getAttribute('data-state')) === 'done', 'done');
  s5 = await step5();
  check(s5.status === 'done' && s5.how === 'parent' && /^\d{4}-\d\d-\d\d \d\d:\d\d UTC に親ゾーンのサーバーで確認済み$/.test(s5.text),
    'step 5 done at the parent (ja)', s5);
  check((await page.locator('#mc-delegation').getAttribute('data-result')) === 'listed' &&
    (await parentServers()).every(x => x[1] === '1'), 'every parent server lists them', await parentServers());
  check(await page.locator('#mc-confirm-registrar').isChecked() && !(await page.locator('#mc-confirm-registrar').isEnabled()),
    'nothing left to confirm');
  const fin = records('notification').slice(mark2);
  check(fin.length === 1 && fin[0].id === 'cutover_finished' && fin[0].params.domains === MOVED, 'the finished digest', fin);
  await ctx.clearCookies({ name: 'mc_locale' });
  await page.goto(BASE + 'domain?domain=' + MOVED);
  s5 = await step5();
  check(/^checked at the parent zone's servers at \d{4}-\d\d-\d\d \d\d:\d\d UTC$/.test(s5.text), 'step 5 done at the parent (en)', s5);
  const st = await page.locator('#mc-checklist li').evaluateAll(li => li.map(l => l.dataset.step + ':' + l.dataset.status));
  check(st.every(x => x.endsWith(':done') || x === '0.3:pending'), 'the checklist done (0.3 is the operator\'s)', st);
  check(zone(MOVED).zone.soa.ttl === 86400, 'TTL restored');
  await page.screenshot({ path: path.join(OUT, 'step5.png'), fullPage: true });
  await faketime(0);
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
/*
 * The helper's settings page writes only /etc/mailcutover/mailcutover.conf:
 * run in a mount namespace of its own with an empty tmpfs there, so a real
 * config on this machine is never seen nor touched.
 */
const ETC = '/etc/mailcutover';
if (process.env.MC_BROWSER_PRIVATE_ETC !== '1') {
  const made = !fs.existsSync(ETC);   // the mount point, if we make it
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mkdir -p ${ETC} && mount -t tmpfs -o mode=0700,size=4m mc-browser-etc ${ETC} && exec "$0" "$@"`,
    process.execPath, __filename, ...process.argv.slice(2)],
  { stdio: 'inherit', env: Object.assign({}, process.env, { MC_BROWSER_PRIVATE_ETC: '1' }) });
  // leave no empty mount point behind on this machine
  if (made) { try { fs.rmdirSync(ETC); } catch (e) { /* not empty: keep */ } }
  if (r.status !== 0 && r.status !== 1) console.log(`FAIL - setup: unshare -m for a private ${ETC}: ${r.error || r.status}\n0 passed, 1 failed`);
  process.exit(r.status === null ? 1 : r.status);
} else {
  main();
}
