#!/usr/bin/env node
// Node host figure of issue 13: TrueConf incoming `sendMessage` frames per CPU-second, the
// npm package's wasm client against a plain JavaScript handler, on the same frames, measured
// side by side in one run. Timings are printed, never asserted.
//
//   node scripts/bench-node.mjs [--frames N] [--rounds R] [--package DIR] [--against DIR] [--rows]
//   (--rows: only the table row, in the columns of scripts/bench.sh's table, where the ratio
//   is chatwire's time per frame over plain's, as in the native rows)
//   (scripts/bench-node.sh builds npm/dist first; --package: another built npm/ directory;
//   --against: a second built package, e.g. main's, run as a third variant rotated in the same
//   rounds, so a change is measured before/after within one run)
//
// Frames: N (default 100 000) distinct `sendMessage` notifications (type 1, a fresh `id`,
// `messageId` and `box.id` each; 323 bytes, byte for byte the frames of
// scripts/bench-python.py), built
// before any clock starts.
//
// How frames get in: the JS API has no entry that takes a frame without a socket, but it takes
// the WebSocket constructor as `options.webSocket` (the host calls `new WebSocket(url,
// protocols)`, sets `onopen`/`onmessage`/`onclose`/`onerror`, reads `event.data`, calls
// `send(text)`). Both variants here get the same in-memory socket, `MemorySocket`: no network,
// no `ws` package; the bench calls its `onmessage({ data })` once per frame, as a real
// socket's event loop would, and its `send` keeps each text frame.
//
// * `plain`: a minimal hand-written TrueConf receive path on that socket: `JSON.parse`, a
//   `Map` of pending request ids (a response, type 2, resolves and deletes its entry), for a
//   request (type 1) the ack string `{"type":2,"id":N}` sent, and for `sendMessage` a message
//   object of the package's `Message` shape (id, chat_id, author, timestamp_ms, content,
//   edited, reply_to, version, own, raw) handed to a listener. No dedupe, no validation
//   beyond that.
// * `chatwire`: `new TrueConfClient({ token, webSocket: MemorySocket })`, connected and
//   authenticated through the same socket, with one `on(listener)`: per frame the wasm
//   `handle_frame` (decode, dedupe, the ack sent through `send`, the typed `message_received`
//   event converted to a JS object), the output performed by the package's host glue (timer
//   re-armed, listeners called).
//
// Measure: each round runs both variants over all N frames, the first alternating from round
// to round, each on a fresh client; the clock is `process.cpuUsage()` (user + system CPU of
// this process). Ratio = plain's CPU time / chatwire's within each round (chatwire's
// throughput as a fraction of plain's), median over the rounds. Each variant must send N acks
// and deliver N messages, or the run fails.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    frames: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    package: { type: 'string', default: path.join(here, '../npm') },
    against: { type: 'string' },
    rows: { type: 'boolean', default: false },
  },
});
const N = Number(opt.frames);
const ROUNDS = Number(opt.rounds);
const load = async (dir) => (await import(pathToFileURL(path.join(dir, 'node.mjs')).href)).TrueConfClient;
const TrueConfClient = await load(opt.package);
const AgainstClient = opt.against ? await load(opt.against) : null;

function frame(i) {
  return JSON.stringify({
    type: 1, id: i, method: 'sendMessage', payload: {
      messageId: `m-${i}`, chatId: 'chat-1',
      chat: { chatId: 'chat-1', chatTitle: 'Team', chatType: 2 }, timestamp: 1746028006345, type: 200,
      author: { id: 'alice@x', type: 1 }, content: { text: `hi ${i}`, parseMode: 'text' },
      isEdited: false, box: { id: i, position: '0' },
    },
  });
}

/** An in-memory WebSocket: the page-style API the package's host uses, nothing on a network. */
class MemorySocket {
  static last = null;
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    MemorySocket.last = this;
    // The host sets its handlers right after constructing; open on the next turn, as a socket does.
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send(text) {
    this.sent.push(text);
  }
  close() {
    this.readyState = 3;
  }
}

// --- plain JavaScript handler ------------------------------------------------------------

function plainHandler(ws, listener) {
  const pending = new Map(); // request id -> resolve, as any client keeps for its own calls
  ws.onmessage = (event) => {
    const f = JSON.parse(event.data);
    if (f.type === 2) {
      const resolve = pending.get(f.id);
      if (resolve !== undefined) {
        pending.delete(f.id);
        resolve(f.payload);
      }
      return;
    }
    if (f.type === 1) ws.send(`{"type":2,"id":${f.id}}`);
    if (f.method === 'sendMessage') {
      const p = f.payload;
      listener({
        type: 'message_received',
        message: {
          id: p.messageId,
          chat_id: p.chatId ?? null,
          author: { id: p.author.id, kind: String(p.author.type), display_name: null },
          timestamp_ms: p.timestamp ?? null,
          content: { type: 'text', text: p.content.text, format: p.content.parseMode ?? null },
          edited: p.isEdited === true,
          reply_to: p.replyMessageId ?? null,
          version: null,
          own: false,
          raw: event.data,
        },
      });
    }
  };
  return pending;
}

async function plainRun(frames) {
  const ws = new MemorySocket('ws://127.0.0.1:1/websocket/chat_bot', []);
  let messages = 0;
  plainHandler(ws, (e) => {
    if (e.type === 'message_received') messages += 1;
  });
  await new Promise((r) => setTimeout(r)); // let it open, as the client's socket does
  const t = feed(ws, frames);
  check('plain', frames, ws.sent, messages);
  return t;
}

// --- chatwire ----------------------------------------------------------------------------

function jwt() {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: 4102444800 })}.sig`;
}

async function chatwireRun(frames, Client = TrueConfClient) {
  MemorySocket.last = null;
  const client = new Client({
    server: 'http://127.0.0.1:1',
    token: jwt(),
    reconnect: false,
    webSocket: MemorySocket,
  });
  let messages = 0;
  client.on((e) => {
    if (e.type === 'message_received') messages += 1;
  });
  const connected = client.connect();
  // Answer the auth request (and any other the client sends before it reports connected).
  for (let i = 0; i < 100 && !client.userId; i++) {
    await new Promise((r) => setTimeout(r));
    const ws = MemorySocket.last;
    if (!ws || !ws.onmessage) continue;
    for (const text of ws.sent.splice(0)) {
      const req = JSON.parse(text);
      if (req.type === 1 && req.method === 'auth') {
        ws.onmessage({ data: JSON.stringify({ type: 2, id: req.id, payload: { userId: 'bot@x', connectionId: 'c-1' } }) });
      }
    }
  }
  await connected;
  const ws = MemorySocket.last;
  ws.sent.length = 0;
  const t = feed(ws, frames);
  check('chatwire', frames, ws.sent, messages);
  client.free();
  return t;
}

// --- the run -------------------------------------------------------------------------------

function feed(ws, frames) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < frames.length; i++) ws.onmessage({ data: frames[i] });
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
}

function check(name, frames, sent, messages) {
  const acks = sent.filter((s) => JSON.parse(s).type === 2).length;
  if (acks !== frames.length || messages !== frames.length) {
    console.error(`bench-node: ${name} sent ${acks} acks and delivered ${messages} messages for ${frames.length} frames`);
    process.exit(1);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const frames = Array.from({ length: N }, (_, i) => frame(10 + i));
const variants = { plain: plainRun, chatwire: (f) => chatwireRun(f) };
if (AgainstClient) variants.against = (f) => chatwireRun(f, AgainstClient);
const names = Object.keys(variants);
const times = Object.fromEntries(names.map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  // Rotated: each variant goes first in turn (a variant measured right after another drifts).
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const name of order) {
    globalThis.gc?.();
    times[name].push(await variants[name](frames));
  }
  console.error(`bench-node: round ${r + 1}/${ROUNDS}: ` +
    Object.keys(times).map((k) => `${k} ${Math.round(N / times[k].at(-1)).toLocaleString('en')} fps`).join(', '));
}
const ratios = times.plain.map((p, i) => p / times.chatwire[i]); // chatwire's fps over plain's
const inverse = ratios.map((x) => 1 / x);
const size = Buffer.byteLength(frames[N >> 1]);
const spread = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f) => s[Math.min(s.length - 1, Math.round(f * (s.length - 1)))];
  return ((q(0.75) - q(0.25)) / 2 / median(xs)) * 100;
};
const fps = (t) => Math.round(N / median(t)).toLocaleString('en');
const us = (t) => `${((median(t) / N) * 1e6).toFixed(2)} µs ±${spread(t).toFixed(0)} %`;
if (opt.rows) {
  console.log(`| Node: TrueConf incoming, wasm client | plain JS handler | ${us(times.plain)} | \`TrueConfClient\` (in-memory socket) | ` +
    `${us(times.chatwire)} | **${median(inverse).toFixed(2)}×** ±${spread(inverse).toFixed(0)} % ` +
    `(${median(ratios).toFixed(2)}× its fps) | ≤ 1.25× (≥ 0.8× its fps) | — | — |`);
} else {
  console.log(`Node host (${process.version}): TrueConf incoming sendMessage (${size} B), ${N.toLocaleString('en')} frames, ` +
    `${ROUNDS} rounds rotated, process CPU time, medians (± half the interquartile range)\n`);
  console.log('| variant | frames per CPU-second | time per frame | fps ratio to plain | target |');
  console.log('|---|---|---|---|---|');
  console.log(`| plain JS handler (\`JSON.parse\`, \`Map\`, ack string, message object) | ${fps(times.plain)} | ${us(times.plain)} | 1 | |`);
  console.log(`| chatwire wasm \`TrueConfClient\` (in-memory socket) | ${fps(times.chatwire)} | ${us(times.chatwire)} | ` +
    `**${median(ratios).toFixed(2)}×** ±${spread(ratios).toFixed(0)} % | ≥ 0.8× |`);
  if (AgainstClient) {
    const r2 = times.plain.map((p, i) => p / times.against[i]);
    const gain = times.against.map((a, i) => a / times.chatwire[i]);
    console.log(`| against: \`TrueConfClient\` of ${opt.against} | ${fps(times.against)} | ${us(times.against)} | ` +
      `**${median(r2).toFixed(2)}×** ±${spread(r2).toFixed(0)} % | |`);
    console.log(`\n--package over --against, same rounds: ${median(gain).toFixed(2)}× the fps ±${spread(gain).toFixed(0)} %`);
  }
}
