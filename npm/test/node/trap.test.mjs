// A WebAssembly trap (a panic inside the wasm), and the engine's call stack overflowing inside
// the wasm, which the guard takes for a trap, provoked for real at each kind of entry into the
// wasm while requests of every kind are pending: each pending Promise rejects once with a
// ChatwireError of kind `internal`, later calls refuse at once, and the process exits by
// itself (sockets closed, timers cleared, fetches aborted). Each trap runs in a process of
// its own (npm/test/trap-child.mjs): a trapped instance stays trapped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startSim, repo } from '../helpers.mjs';

let sim;

before(async () => {
  sim = await startSim();
});

after(() => sim?.stop());

/** Runs the child for `entry` and `how`; resolves once it exits, or after `limit` ms killed. */
function child(entry, how, limit = 30_000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const p = spawn(process.execPath, ['--expose-gc', path.join(repo, 'npm/test/trap-child.mjs'), entry, sim.url, how], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => p.kill('SIGKILL'), limit);
    p.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const trapped = (fault) => ({ error: 'ChatwireError', kind: 'internal', fault });

const ENTRIES = {
  call: 'a method called from JS',
  frame: 'a WebSocket message callback',
  timer: 'a timer callback',
  fetch: 'a fetch settling',
  poll: 'a future being polled',
  promised: 'a method called from JS, once the Promise it returns was made',
  collected: 'the shutdown of a client collected without free()',
  'collected-stream': 'the end of an event iterator collected without return()',
  listener: "a call a listener made back into the client, inside the wasm's delivery of an event",
};

// How the entry fails, and what the guard then reports it trapped with: the engine's own
// stack-overflow error (V8's; not an out-of-bounds access of the Rust shadow stack, which
// would be a RuntimeError and no test of the overflow).
const HOWS = {
  trap: { failure: 'a trap', thrown: 'RuntimeError: unreachable' },
  overflow: { failure: 'a stack overflow', thrown: 'RangeError: Maximum call stack size exceeded' },
};

const CASES = Object.entries(HOWS).flatMap(([how, failed]) =>
  Object.entries(ENTRIES).map(([entry, what]) => ({ how, entry, what, ...failed })),
);

for (const { how, entry, what, failure, thrown } of CASES) {
  test(`${failure} in ${what} rejects every pending Promise, refuses later calls, lets the process exit`, async () => {
    const run = await child(entry, how);
    // Ends the faults the child injected, for the next one.
    await sim.inject({ delay_ms: 0, http_outage_ms: 0 });
    assert.equal(run.signal, null, `the process did not exit by itself (killed after ${run.ms} ms):\n${run.stdout}\n${run.stderr}`);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`the WebAssembly instance trapped.*${thrown}`, 's'), 'a real one, reported');
    const seen = JSON.parse(run.stdout.trim().split('\n').at(-1));
    assert.equal(seen.outcome, 'settled', 'every pending Promise settled');

    const names = Object.keys(seen.settled);
    assert.ok(names.length >= 4, names.join(', '));
    if (entry === 'call' || entry === 'promised') assert.ok(names.includes('the call that trapped'));
    if (entry === 'listener') {
      assert.ok(names.includes('the call that trapped inside a listener'), names.join(', '));
      // The outer delivery stopped at the trap: the listener after it never got the event.
      assert.equal(seen.nested.delivered_after, 0);
    }
    for (const name of names) {
      const once = seen.settled[name];
      assert.equal(once.length, 1, `${name} settled ${once.length} times`);
      assert.deepEqual(pick(once[0]), trapped('failed'), `${name}: ${JSON.stringify(once[0])}`);
      assert.equal(once[0].detail.kind, 'internal');
      assert.equal(once[0].detail.reason, `the WebAssembly instance trapped (${thrown})`);
      assert.match(once[0].message, /load the package anew/);
    }

    const { later } = seen;
    for (const call of ['trueconf sendMessage', 'talk sendMessage', 'tada connect', 'events().next()']) {
      assert.deepEqual(pick(later[call].rejected), trapped('refused'), `${call}: ${JSON.stringify(later[call])}`);
    }
    for (const call of ['talk joinRoom', 'trueconf readState', 'trueconf userId', 'new TalkClient']) {
      assert.deepEqual(pick(later[call].threw), trapped('refused'), `${call}: ${JSON.stringify(later[call])}`);
    }
    assert.deepEqual(later['close()'], { returned: null });
    assert.deepEqual(later['free()'], { returned: null });
    assert.deepEqual(later['events().return()'], { resolved: { done: true } });

    // Every method of every class refuses as index.d.ts types it.
    assert.ok(seen.sweep.length > 30, `swept ${seen.sweep.length} methods`);
    for (const { method, promise, outcome } of seen.sweep) {
      const name = method.split('.')[1];
      if (['free', 'close'].includes(name)) assert.deepEqual(outcome, { returned: null }, method);
      else if (name === 'return') assert.deepEqual(outcome, { resolved: { done: true } }, method);
      else if (promise) assert.deepEqual(pick(outcome.rejected), trapped('refused'), `${method}: ${JSON.stringify(outcome)}`);
      else assert.deepEqual(pick(outcome.threw), trapped('refused'), `${method}: ${JSON.stringify(outcome)}`);
    }
  });
}

/** The fields compared: which error, which kind, whose fault. */
function pick(e) {
  return e && { error: e.error, kind: e.kind, fault: e.fault };
}
