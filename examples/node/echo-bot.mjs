#!/usr/bin/env node
// Echo bot on the npm package: answers every text message from someone else with
// `echo: <text>`, in the same chat, once, and logs what it does.
//
//   node examples/node/echo-bot.mjs --protocol trueconf --server http://127.0.0.1:PORT --user alice --password alice-pass
//   node examples/node/echo-bot.mjs --protocol tada --server URL --team team-sim --token alice-token
//   node examples/node/echo-bot.mjs --protocol talk --server URL --user alice --password alice-app-pass --room room-ab
//
// Runs on Node 20 right after ./scripts/build-npm.sh. Node 20 has no global WebSocket: the
// `ws` package is taken from wherever it resolves (an app's node_modules, else this repo's
// tools/node_modules, which the build installs).
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { TrueConfClient, TadaClient, TalkClient } from '../../npm/node.mjs';

const { values: opt } = parseArgs({
  options: {
    protocol: { type: 'string' },
    server: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    token: { type: 'string' },
    team: { type: 'string' },
    room: { type: 'string', multiple: true },
  },
});

const log = (...args) => console.log(new Date().toISOString(), ...args);
const fail = (message) => {
  console.error(`echo-bot: ${message}`);
  process.exit(2);
};

function webSocket() {
  if (globalThis.WebSocket) return globalThis.WebSocket;
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const base of [process.cwd() + '/', path.join(here, '../../tools/package.json')]) {
    try {
      return createRequire(base)('ws');
    } catch {
      // try the next place
    }
  }
  return undefined; // the client then fails with a clear permanent error
}

if (!opt.server) fail('--server URL is required');
let client;
switch (opt.protocol) {
  case 'trueconf':
    client = new TrueConfClient({
      server: opt.server,
      ...(opt.token ? { token: opt.token } : { user: opt.user, password: opt.password }),
      webSocket: webSocket(),
    });
    break;
  case 'tada':
    if (!opt.team || !opt.token) fail('tada needs --team and --token');
    client = new TadaClient({ server: opt.server, team: opt.team, token: opt.token, webSocket: webSocket() });
    break;
  case 'talk':
    if (!opt.user || !opt.password) fail('talk needs --user and --password (an app password)');
    client = new TalkClient({ server: opt.server, user: opt.user, appPassword: opt.password });
    break;
  default:
    fail('--protocol must be trueconf, tada or talk');
}

// A redelivered message must not be answered twice (the core already filters redeliveries;
// this guards the bot's own promise too).
const answered = new Set();

// Talk delivers a room's recent history when it is joined: that is not something to answer.
// The history arrives in one response, whose read state comes with it; everything delivered
// in that same turn of the event loop is history, what comes later is new.
const inHistory = new Set();
const skipped = new Map();

client.on((event) => {
  switch (event.type) {
    case 'connected':
      log('connected', event.user_id ?? '');
      break;
    case 'disconnected':
      log('disconnected:', event.reason);
      break;
    case 'connect_failed':
      log(`connect failed (attempt ${event.attempt}):`, event.reason, event.permanent ? '(permanent)' : `retry in ${event.retry_in_ms} ms`);
      break;
    case 'read_state_changed':
      if (inHistory.has(event.chat_id)) {
        setTimeout(() => {
          inHistory.delete(event.chat_id);
          log(`room ${event.chat_id}: skipped ${skipped.get(event.chat_id) ?? 0} history messages`);
        }, 0);
      }
      break;
    case 'message_received': {
      const { message } = event;
      if (inHistory.has(message.chat_id)) {
        skipped.set(message.chat_id, (skipped.get(message.chat_id) ?? 0) + 1);
        return;
      }
      if (message.own || message.content.type !== 'text' || !message.chat_id) return;
      const key = `${message.chat_id}/${message.id}`;
      if (answered.has(key)) return;
      answered.add(key);
      const text = message.content.text;
      log(`message ${message.id} from ${message.author.id} in ${message.chat_id}: ${JSON.stringify(text)}`);
      // Calling back into the client from inside its event is fine.
      client.sendText(message.chat_id, `echo: ${text}`).then(
        (reply) => log(`answered ${message.id}`, reply.type === 'message_sent' ? `as ${reply.message_id}` : ''),
        (error) => log(`could not answer ${message.id}: ${error.message}`),
      );
      break;
    }
    default:
      break;
  }
});

try {
  await client.connect();
} catch (error) {
  fail(`cannot connect: ${error.message}`);
}
if (client instanceof TalkClient) {
  const rooms = opt.room ?? [];
  if (rooms.length === 0) fail('talk needs --room TOKEN (repeatable)');
  for (const room of rooms) {
    inHistory.add(room);
    client.joinRoom(room);
    log('joined room', room);
  }
}
log('echo bot running; Ctrl-C stops it');
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log('stopping');
    client.free();
    process.exit(0);
  });
}
