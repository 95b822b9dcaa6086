// The page half of npm/test/browser/trap.mjs: one trap of the browser build (npm/dist/web, which
// scripts/lib/stage-web.sh serves under /chatwire/) while requests of three protocols are
// pending. Sets `window.trapCase(entry, how, promiseMethods)`, which resolves with what the page
// saw, for the driver to judge.
//
// Before the package loads, two things are instrumented that only the page can see: the global
// WebSocket (wasm-bindgen's glue constructs it by name at each connect), so every socket's
// close() calls and final state are known; and the wasm instance's exports as the glue sees
// them, each counted as it is called (one JS frame more per call), so "refuses without
// entering the wasm" is something measured. The .wasm and the glue files are the shipped ones.

// No side effects: it loads nothing of the package before the instrumentation below.
import { injector, seenWith } from './trap-report.mjs';

const NativeWebSocket = globalThis.WebSocket;
const sockets = [];
// Which stage the case is in when a socket is made: a socket made once every Promise settled
// would be a reconnect the guard let through.
let phase = 'setup';
globalThis.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    const record = { url: String(args[0]), phase, closes: [], closeEvent: false };
    // A listener of its own: the guard takes the socket's on* handlers away before closing it.
    this.addEventListener('close', () => (record.closeEvent = true));
    Object.defineProperty(this, 'record', { value: record });
    sockets.push(this);
  }
  close(...args) {
    this.record.closes.push({ code: args[0] ?? null, reason: args[1] ?? null });
    return super.close(...args);
  }
};

// The glue instantiates with instantiateStreaming when the .wasm comes as application/wasm, as
// the simulator serves it; were it to fall back, nothing would be counted, which the driver
// checks is not so.
let entries = 0;
const instantiateStreaming = WebAssembly.instantiateStreaming;
WebAssembly.instantiateStreaming = async function (...args) {
  const { module, instance } = await instantiateStreaming.apply(this, args);
  const exports = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    exports[name] =
      typeof value === 'function'
        ? (...a) => {
            entries += 1;
            return value(...a);
          }
        : value;
  }
  return { module, instance: { exports } };
};

// The guard reports a trap once, with console.error; anything else written there is news.
const consoleErrors = [];
const consoleError = console.error;
console.error = (...args) => {
  consoleErrors.push({ text: String(args[0]), cause: args[1] === undefined ? null : String(args[1]) });
  consoleError.apply(console, args);
};

const { TrueConfClient, TadaClient, TalkClient, ChatwireError } = await import('/chatwire/browser.mjs');
// The module browser.mjs imported (the same URL, so the same instance): the test hook lives there.
const { __trapAtNextForTests } = await import('/chatwire/dist/web/chatwire.js');

const inject = injector(fetch);
const seen = seenWith(ChatwireError);

/** One later call: how it refused, and how many times it entered the wasm doing so. */
async function attempt(call) {
  const before = entries;
  let outcome;
  try {
    const result = call();
    if (result instanceof Promise) {
      try {
        outcome = { resolved: (await result) ?? null };
      } catch (e) {
        outcome = { rejected: seen(e) };
      }
    } else outcome = { returned: result ?? null };
  } catch (e) {
    outcome = { threw: seen(e) };
  }
  return { ...outcome, entered: entries - before };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

window.trapCase = async (entry, how, promiseMethods) => {
  const tc = new TrueConfClient({ user: 'alice', password: 'alice-pass' });
  await tc.connect();
  const chat = await tc.createP2PChat('bob@sim.local');
  const talk = new TalkClient({ user: 'alice', appPassword: 'alice-app-pass' });
  await talk.connect();
  const joined = new Promise((resolve) => talk.on((e) => e.type === 'read_state_changed' && resolve()));
  talk.joinRoom('room-ab');
  await joined; // its history came: the long-poll for new messages is in flight now
  // A page cannot send tada's token header: the session cookie authenticates instead.
  document.cookie = 'token=alice-token; path=/; SameSite=Strict';
  const tada = new TadaClient({ team: 'team-sim' });
  await tada.connect();
  // Nobody listens on port 9: its connect fails and is retried on a timer.
  const nowhere = new TrueConfClient({ server: 'http://127.0.0.1:9', token: 'jwt' });
  const quiet = new TadaClient({ team: 'team-sim' });
  const stream = quiet.events();
  const setupEntries = entries;

  const settled = {};
  const watch = (name, promise) => {
    settled[name] = [];
    return promise.then(
      (value) => settled[name].push({ resolved: value ?? null }),
      (e) => settled[name].push(seen(e)),
    );
  };
  // Every frame waits 1.5 s (the WebSocket requests stay pending), every Talk request answers
  // 503 (its send keeps retrying).
  await inject({ delay_ms: 1500, http_outage_ms: 20_000 });
  phase = 'pending';
  const pending = [
    watch('trueconf sendMessage (WebSocket)', tc.sendMessage(chat, 'pending over the socket')),
    watch('talk sendMessage (HTTP)', talk.sendMessage('room-ab', 'pending over HTTP')),
    watch('tada sendMessage (WebSocket)', tada.sendMessage('d-b0b00000-0000-4000-8000-000000000002', 'pending')),
    watch('connect retried on a timer', nowhere.connect()),
    watch('events().next()', stream.next()),
  ];
  __trapAtNextForTests(entry, how);
  if (entry === 'call') pending.push(watch('the call that trapped', tc.getChats()));

  // Bounded, so a guard that leaves a Promise pending fails here rather than hanging.
  const all = Promise.all(pending).then(() => 'settled');
  const outcome = await Promise.race([all, sleep(15_000).then(() => 'timed out')]);
  // A second settlement of the same Promise (an iterator's next() resolved as well) would come
  // in a later task.
  await sleep(0);
  phase = 'settled';

  const later = {
    'trueconf sendMessage': await attempt(() => tc.sendMessage(chat, 'after the trap')),
    'talk sendMessage': await attempt(() => talk.sendMessage('room-ab', 'after the trap')),
    'tada sendMessage': await attempt(() => tada.sendMessage('d-b0b00000-0000-4000-8000-000000000002', 'after')),
    'talk joinRoom': await attempt(() => talk.joinRoom('room-all')),
    'trueconf readState': await attempt(() => tc.readState(chat)),
    'trueconf userId': await attempt(() => tc.userId),
    'tada connect': await attempt(() => quiet.connect()),
    'events().next()': await attempt(() => stream.next()),
    'new TalkClient': await attempt(() => new TalkClient({ user: 'bob', appPassword: 'bob-app-pass' })),
    'close()': await attempt(() => tc.close()),
    'free()': await attempt(() => talk.free()),
    'events().return()': await attempt(() => stream.return()),
  };

  // Every method and getter of every class: one index.d.ts declares to return a Promise must
  // reject, any other must throw; only the ones that let go (free, close, return) succeed.
  const promises = new Set(promiseMethods);
  const sweep = [];
  for (const [name, object] of [
    ['TrueConfClient', nowhere],
    ['TalkClient', talk],
    ['TadaClient', tada],
    ['EventStream', stream],
  ]) {
    const proto = Object.getPrototypeOf(object);
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key.startsWith('__')) continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      const outcome = await attempt(() => (d.get ? object[key] : object[key]()));
      sweep.push({ method: `${name}.${key}`, promise: promises.has(key), outcome });
    }
  }

  // The close handshakes the guard started end within the bound; the wait also lets a reconnect
  // timer the guard failed to clear fire (the first retry comes within 0.5 s, the next within 1).
  const closing = Date.now();
  while (sockets.some((s) => s.readyState !== NativeWebSocket.CLOSED) && Date.now() - closing < 5000) {
    await sleep(50);
  }
  await sleep(Math.max(0, 1500 - (Date.now() - closing)));
  const socketStates = sockets.map((s) => ({ ...s.record, readyState: s.readyState }));

  return { outcome, settled, later, sweep, setupEntries, sockets: socketStates, consoleErrors, origin: location.host };
};
