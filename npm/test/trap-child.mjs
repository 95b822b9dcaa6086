// One trap, in a process of its own (a trapped instance stays trapped, and whether the process
// exits by itself is part of what npm/test/node/trap.test.mjs checks):
//
//   node --expose-gc npm/test/trap-child.mjs ENTRY SERVER_URL [HOW]   (gc: for `collected`)
//
// Makes requests of every kind pending against `chatwire sim` at SERVER_URL — a TrueConf
// request over the WebSocket (the simulator delays its answer), a Talk message over HTTP (an
// injected outage keeps it retrying, with a long-poll in flight), a `connect()` to a port
// nobody listens on (retried on a timer), a tada event iterator's `next()` — then arms a
// failure at the next ENTRY into the wasm (call, frame, timer, fetch, poll, promised,
// collected; see bindings-wasm/src/guard.rs; collected-stream arms collected too): HOW is
// `trap` (a panic; the default) or `overflow` (a recursion that overflows the engine's call
// stack). It waits for every pending Promise to
// settle, tries later calls, and prints one JSON line of what it saw. It frees nothing and
// ends with no code of its own pending: if the trap left a socket, timer or fetch behind, the
// process does not exit.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from './helpers.mjs';
import { injector, seenWith } from './browser/trap-report.mjs';

const require = createRequire(import.meta.url);
const { TrueConfClient, TadaClient, TalkClient, ChatwireError } = require('../node.cjs');
// The same module node.cjs loaded (CommonJS caches it), so the same wasm instance.
const wasm = require('../dist/node/chatwire.cjs');

const [entry, server, how = 'trap'] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));

const inject = injector(fetch, server);
/** What an error looked like, for the parent's assertions. */
const seen = seenWith(ChatwireError);

const settled = {};
/** Counts how `promise` settles, each time it does. */
function watch(name, promise) {
  settled[name] = [];
  return promise.then(
    (value) => settled[name].push({ resolved: value ?? null }),
    (e) => settled[name].push(seen(e)),
  );
}

/** How each later call refused: `{ rejected }` or `{ threw }`, or what it did instead. */
async function attempt(call) {
  let result;
  try {
    result = call();
  } catch (e) {
    return { threw: seen(e) };
  }
  if (!(result instanceof Promise)) return { returned: result ?? null };
  try {
    return { resolved: (await result) ?? null };
  } catch (e) {
    return { rejected: seen(e) };
  }
}

const tc = new TrueConfClient({ server, user: 'alice', password: 'alice-pass', webSocket: WebSocket });
await tc.connect();
const chat = await tc.createP2PChat('bob@sim.local');
const talk = new TalkClient({ server, user: 'alice', appPassword: 'alice-app-pass' });
await talk.connect();
const joined = new Promise((resolve) => talk.on((e) => e.type === 'read_state_changed' && resolve()));
talk.joinRoom('room-ab');
await joined; // its history came: the long-poll for new messages is in flight now
const nowhere = new TrueConfClient({ server: 'http://127.0.0.1:9', token: 'jwt', webSocket: WebSocket });
const quiet = new TadaClient({ server, team: 'team-sim', token: 'alice-token', webSocket: WebSocket });
const stream = quiet.events();
// `listener`: a listener of the client whose connect fails calls back into that client on the
// first failure, and that call traps; a second listener tells whether the delivery of the same
// event went on afterwards on the trapped instance (it must not).
const nested = {};
let nestedDone = Promise.resolve();
if (entry === 'listener') {
  let ran;
  nestedDone = new Promise((resolve) => (ran = resolve));
  nested.delivered_after = 0;
  let fired = false;
  nowhere.on((e) => {
    if (e.type !== 'connect_failed' || fired) return;
    fired = true;
    wasm.__trapAtNextForTests('call', how);
    ran(watch('the call that trapped inside a listener', nowhere.getChats()));
  });
  nowhere.on(() => {
    if (fired) nested.delivered_after += 1;
  });
}

// `collected`: a client connected and then let go without `free()`; `collected-stream`: an
// event iterator let go with a `next()` pending. The trap comes in the client's shutdown or
// the iterator's end, which its finalizer (an entry the guard cannot wrap) put on a guarded
// timer; both arm the entry `collected`.
const armed = entry === 'collected-stream' ? 'collected' : entry;
let forgotten = null;
let forgottenNext = null;
if (entry === 'collected') {
  forgotten = new TrueConfClient({ server, user: 'alice', password: 'alice-pass', webSocket: WebSocket });
  await forgotten.connect();
}
if (entry === 'collected-stream') {
  forgotten = quiet.events();
  forgottenNext = watch('next() of an iterator collected with it pending', forgotten.next());
}

await inject({ delay_ms: 1500, http_outage_ms: 20_000 });
const pending = [
  watch('trueconf sendMessage (WebSocket)', tc.sendMessage(chat, 'pending over the socket')),
  watch('talk sendMessage (HTTP)', talk.sendMessage('room-ab', 'pending over HTTP')),
  watch('connect retried on a timer', nowhere.connect()),
  watch('events().next()', stream.next()),
];

if (forgottenNext) pending.push(forgottenNext);
if (entry === 'listener') pending.push(nestedDone.then((watched) => watched));
else wasm.__trapAtNextForTests(armed, how);
// Let go only once armed: collected before, its shutdown would not meet the trap.
forgotten = null;
// `promised` traps inside the call as well, once the wasm made the Promise it would have
// returned: the app never gets that one, so it must not surface as an unhandled rejection
// (which ends a Node process with code 1).
if (entry === 'call' || entry === 'promised') pending.push(watch('the call that trapped', tc.getChats()));

// Bounded, so a guard that leaves a Promise pending fails here rather than hanging; cleared,
// so it keeps nothing alive once they all settled.
let bound;
let over = false;
const all = Promise.all(pending).then(() => 'settled');
if (armed === 'collected') {
  (async () => {
    while (!over) {
      globalThis.gc(); // the child runs with --expose-gc
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
}
const outcome = await Promise.race([all, new Promise((r) => (bound = setTimeout(() => r('timed out'), 15_000)))]);
clearTimeout(bound);
over = true;
// A Promise settles once; this checks nobody settles another one (an iterator's `next()`
// resolved as well as rejected) a moment later.
await new Promise((r) => setImmediate(r));

const later = {
  'trueconf sendMessage': await attempt(() => tc.sendMessage(chat, 'after the trap')),
  'talk sendMessage': await attempt(() => talk.sendMessage('room-ab', 'after the trap')),
  'talk joinRoom': await attempt(() => talk.joinRoom('room-all')),
  'trueconf readState': await attempt(() => tc.readState(chat)),
  'trueconf userId': await attempt(() => tc.userId),
  'tada connect': await attempt(() => quiet.connect()),
  'events().next()': await attempt(() => stream.next()),
  'new TalkClient': await attempt(() => new TalkClient({ server, user: 'bob', appPassword: 'bob-app-pass' })),
  'close()': await attempt(() => tc.close()),
  'free()': await attempt(() => talk.free()),
  'events().return()': await attempt(() => stream.return()),
};

// Every method of every class, against index.d.ts: one declared to return a Promise must
// reject, any other must throw; only the ones that let go (free, close, return) succeed.
const declared = readFileSync(path.join(here, '../index.d.ts'), 'utf8');
const returnsPromise = new Set([...declared.matchAll(/^\s+(\w+)\([^)]*\):\s*Promise</gm)].map((m) => m[1]));
const sweep = [];
for (const [name, object] of [
  ['TrueConfClient', tc],
  ['TalkClient', talk],
  ['TadaClient', quiet],
  ['EventStream', stream],
]) {
  const proto = Object.getPrototypeOf(object);
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key === 'constructor' || key.startsWith('__')) continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    const outcome = await attempt(() => (d.get ? object[key] : object[key]()));
    sweep.push({ method: `${name}.${key}`, promise: returnsPromise.has(key), getter: !!d.get, outcome });
  }
}

console.log(JSON.stringify({ outcome, settled, later, sweep, nested }));
