// The trap guard (npm/extras.mjs, bindings-wasm/src/guard.rs) in headless Chromium, on the
// browser build (npm/dist/web, served by `chatwire sim --static` with strict CORS, as the web
// demo is): the Node twin is npm/test/node/trap.test.mjs. Each case is a fresh browser context
// (a trapped instance stays trapped) loading trap.html, whose trap-page.mjs makes requests of
// three protocols pending, arms a failure with `__trapAtNextForTests` and reports what it saw.
// Asserted per case: every pending Promise rejects once with a ChatwireError internal/failed;
// every later call and every method refuses (internal/refused, or does nothing if it only lets
// go) without entering the wasm; every WebSocket ends closed, the simulator's by the guard, and
// none is opened again; the guard reports the trap once on the console; and the page sees no
// uncaught error or unhandled rejection at all (the guard catches the trap at every entry and
// marks handled the Promises the wasm made in a call that trapped before handing them out).
//
// Usage: node npm/test/browser/trap.mjs ART_DIR     (CHATWIRE_BIN: the chatwire binary)
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startSim, repo } from '../helpers.mjs';
import { launchChromium } from './chromium.mjs';

const art = path.resolve(process.argv[2] ?? path.join(repo, 'target/npm-test'));
// Not the web demo's folder: stage-web.sh empties its folder first.
const site = path.join(art, 'trap-site');
execFileSync('bash', [path.join(repo, 'scripts/lib/stage-web.sh'), site], { stdio: 'inherit' });
for (const file of ['trap.html', 'trap-page.mjs', 'trap-report.mjs']) {
  copyFileSync(path.join(repo, 'npm/test/browser', file), path.join(site, file));
}

const CASES = [
  { entry: 'call', how: 'trap', what: 'a trap in a method called from JS' },
  { entry: 'frame', how: 'trap', what: 'a trap in a WebSocket message callback' },
  { entry: 'frame', how: 'overflow', what: 'a stack overflow in a WebSocket message callback' },
];
// What the guard reports it trapped with: V8's own errors, in Chromium as in Node.
const THROWN = { trap: 'RuntimeError: unreachable', overflow: 'RangeError: Maximum call stack size exceeded' };

// The methods index.d.ts declares to return a Promise: after a trap they reject, others throw.
const declared = readFileSync(path.join(repo, 'npm/index.d.ts'), 'utf8');
const promiseMethods = [...new Set([...declared.matchAll(/^\s+(\w+)\([^)]*\):\s*Promise</gm)].map((m) => m[1]))];

const trapped = (fault) => ({ error: 'ChatwireError', kind: 'internal', fault });
const pick = (e) => e && { error: e.error, kind: e.kind, fault: e.fault };

/** Throws on the first thing in `seen` (the page's report) the guard does not promise. */
function judge({ entry, how }, seen, pageErrors) {
  const thrown = THROWN[how];
  assert.deepEqual(pageErrors, [], 'uncaught errors or unhandled rejections reached the page');
  assert.ok(seen.setupEntries > 0, 'the count of entries into the wasm counts nothing');
  assert.equal(seen.outcome, 'settled', `not every pending Promise settled: ${JSON.stringify(seen.settled)}`);

  const names = Object.keys(seen.settled);
  assert.equal(names.length, entry === 'call' ? 6 : 5, names.join(', '));
  for (const name of names) {
    const once = seen.settled[name];
    assert.equal(once.length, 1, `${name} settled ${once.length} times: ${JSON.stringify(once)}`);
    assert.deepEqual(pick(once[0]), trapped('failed'), `${name}: ${JSON.stringify(once[0])}`);
    assert.equal(once[0].detail.reason, `the WebAssembly instance trapped (${thrown})`, name);
    assert.match(once[0].message, /load the package anew/, name);
  }

  for (const [call, result] of Object.entries(seen.later)) {
    assert.equal(result.entered, 0, `${call} entered the wasm ${result.entered} times after the trap`);
  }
  const { later } = seen;
  for (const call of ['trueconf sendMessage', 'talk sendMessage', 'tada sendMessage', 'tada connect', 'events().next()']) {
    assert.deepEqual(pick(later[call].rejected), trapped('refused'), `${call}: ${JSON.stringify(later[call])}`);
  }
  for (const call of ['talk joinRoom', 'trueconf readState', 'trueconf userId', 'new TalkClient']) {
    assert.deepEqual(pick(later[call].threw), trapped('refused'), `${call}: ${JSON.stringify(later[call])}`);
  }
  assert.deepEqual(later['close()'], { returned: null, entered: 0 });
  assert.deepEqual(later['free()'], { returned: null, entered: 0 });
  // Playwright hands undefined over as it is, where JSON (the Node test) drops the key.
  assert.deepEqual(later['events().return()'], { resolved: { value: undefined, done: true }, entered: 0 });

  assert.ok(seen.sweep.length > 30, `swept ${seen.sweep.length} methods`);
  for (const { method, promise, outcome } of seen.sweep) {
    const name = method.split('.')[1];
    const { entered, ...result } = outcome;
    assert.equal(entered, 0, `${method} entered the wasm ${entered} times after the trap`);
    if (['free', 'close'].includes(name)) assert.deepEqual(result, { returned: null }, method);
    else if (name === 'return') assert.deepEqual(result, { resolved: { value: undefined, done: true } }, method);
    else if (promise) assert.deepEqual(pick(result.rejected), trapped('refused'), `${method}: ${JSON.stringify(outcome)}`);
    else assert.deepEqual(pick(result.threw), trapped('refused'), `${method}: ${JSON.stringify(outcome)}`);
  }

  // The simulator's sockets (TrueConf's and tada's) were open when the trap came: the guard
  // closed them. The ones to port 9 failed by themselves; none at all is made once the
  // Promises settled (the retry timer was cleared).
  const sockets = seen.sockets.map(({ url, phase, closes, closeEvent, readyState }) => ({
    url: new URL(url).host,
    phase,
    closes,
    closeEvent,
    readyState,
  }));
  const ours = sockets.filter((s) => s.url === seen.origin);
  assert.equal(ours.length, 2, `the simulator's sockets: ${JSON.stringify(sockets)}`);
  for (const { url, ...socket } of ours) {
    assert.deepEqual(
      socket,
      {
        phase: 'setup',
        closes: [{ code: 1000, reason: 'the chatwire WebAssembly instance trapped' }],
        closeEvent: true,
        readyState: 3,
      },
      `a socket to ${url}`,
    );
  }
  for (const s of sockets) {
    assert.equal(s.readyState, 3, `a socket left open: ${JSON.stringify(s)}`);
    assert.notEqual(s.phase, 'settled', `a socket made after the trap: ${JSON.stringify(s)}`);
  }

  assert.equal(seen.consoleErrors.length, 1, `console.error: ${JSON.stringify(seen.consoleErrors)}`);
  assert.match(seen.consoleErrors[0].text, /^chatwire: the WebAssembly instance trapped/);
  assert.equal(seen.consoleErrors[0].cause, thrown);
}

const sim = await startSim(['--cors', 'strict', '--static', site]);
const browser = await launchChromium();
let failures = 0;
try {
  for (const c of CASES) {
    const started = Date.now();
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await page.goto(`${sim.url}/trap.html`);
      await page.waitForFunction(() => window.trapCase, null, { timeout: 15_000 });
      const seen = await page.evaluate(([e, h, m]) => window.trapCase(e, h, m), [c.entry, c.how, promiseMethods]);
      judge(c, seen, pageErrors);
      console.log(`trap: PASS: ${c.what} (${c.entry}/${c.how}, ${Date.now() - started} ms)`);
    } catch (error) {
      failures += 1;
      console.log(`trap: FAIL: ${c.what} (${c.entry}/${c.how}): ${error.message}`);
      if (pageErrors.length) console.log(`trap: page errors: ${pageErrors.join('\n')}`);
    } finally {
      await context.close();
      // Ends the faults the page injected, for the next case.
      await sim.inject({ delay_ms: 0, http_outage_ms: 0 });
    }
  }
} finally {
  await browser.close();
  sim.stop();
}
console.log(failures ? `trap: ${failures} of ${CASES.length} cases FAILED` : `trap: all ${CASES.length} cases passed`);
process.exit(failures ? 1 : 0);
