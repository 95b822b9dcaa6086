// Run inside a fresh folder where `npm install chatwire-<version>.tgz` put the package:
// it must load by name (ESM and CommonJS) and talk to the simulator.
// Usage: node smoke.mjs SIM_URL WS_MODULE_PATH
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { TalkClient, TrueConfClient, ChatwireError } from 'chatwire';

const [server, wsPath] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const cjs = require('chatwire');
assert.equal(cjs.ChatwireError, ChatwireError, 'ESM and CommonJS share one instance');

const WebSocket = require(wsPath);
const bot = new TrueConfClient({ server, user: 'alice', password: 'alice-pass', webSocket: WebSocket });
await bot.connect();
const chat = await bot.createGroupChat('from the packed package');
assert.equal(typeof (await bot.sendMessage(chat, 'hello from npm pack')), 'string');
bot.free();

const talk = new TalkClient({ server, user: 'bob', appPassword: 'bob-app-pass' });
talk.joinRoom('room-ab');
assert.match(await talk.sendMessage('room-ab', 'hello from npm pack'), /^\d+$/);
talk.free();
const other = new cjs.TalkClient({ server, user: 'x' });
await assert.rejects(other.sendMessage(1, 2), cjs.ChatwireError);
other.free();
console.log('pack smoke: ok');
