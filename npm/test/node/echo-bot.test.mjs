// examples/node/echo-bot.mjs, run as a user would run it, for each protocol: another user
// writes to it and gets `echo: <text>` back, exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TrueConfClient, TadaClient, TalkClient } from '../../node.mjs';
import { startSim, record, WebSocket, textIs, sleep, repo } from '../helpers.mjs';

let sim;
const bots = [];

before(async () => {
  sim = await startSim();
});

after(() => {
  for (const bot of bots) bot.kill();
  sim?.stop();
});

/** Starts the bot and resolves once it says it runs (and, for Talk, skipped the history). */
function startBot(args, ready = /echo bot running/) {
  const bot = spawn(process.execPath, [path.join(repo, 'examples/node/echo-bot.mjs'), '--server', sim.url, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bots.push(bot);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bot did not start: ${out}`)), 10_000);
    const onData = (d) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ log: () => out });
      }
    };
    bot.stdout.on('data', onData);
    bot.stderr.on('data', onData);
    bot.once('exit', (code) => reject(new Error(`bot exited ${code}: ${out}`)));
  });
}

async function expectOneEcho(recorder, text) {
  await recorder.waitFor(textIs(`echo: ${text}`), { what: `echo: ${text}` });
  await sleep(400);
  assert.equal(recorder.texts().filter((t) => t === `echo: ${text}`).length, 1);
  assert.equal(recorder.texts().filter((t) => t.startsWith('echo: echo:')).length, 0, 'the bot never answers itself');
}

test('trueconf', async () => {
  const bot = await startBot(['--protocol', 'trueconf', '--user', 'alice', '--password', 'alice-pass']);
  const bob = new TrueConfClient({ server: sim.url, user: 'bob', password: 'bob-pass', webSocket: WebSocket });
  const b = record(bob);
  await bob.connect();
  const chat = await bob.createP2PChat('alice@sim.local');
  await bob.sendMessage(chat, 'ping trueconf');
  await expectOneEcho(b, 'ping trueconf');
  assert.match(bot.log(), /message .* from bob@sim.local/);
  bob.free();
});

test('tada', async () => {
  const { users } = await sim.users();
  const aliceJid = users.find((u) => u.name === 'alice').tada_jid;
  const bot = await startBot(['--protocol', 'tada', '--team', 'team-sim', '--token', 'alice-token']);
  const bob = new TadaClient({ server: sim.url, team: 'team-sim', token: 'bob-token', webSocket: WebSocket });
  const b = record(bob);
  await bob.connect();
  await bob.sendMessage(aliceJid, 'ping tada');
  await expectOneEcho(b, 'ping tada');
  assert.match(bot.log(), /answered/);
  bob.free();
});

test('talk', async () => {
  const bot = await startBot(
    ['--protocol', 'talk', '--user', 'alice', '--password', 'alice-app-pass', '--room', 'room-ab'],
    /skipped \d+ history messages/,
  );
  const bob = new TalkClient({ server: sim.url, user: 'bob', appPassword: 'bob-app-pass' });
  const b = record(bob);
  bob.joinRoom('room-ab');
  await bob.sendMessage('room-ab', 'ping talk');
  await expectOneEcho(b, 'ping talk');
  assert.doesNotMatch(bot.log(), /could not answer/);
  bob.free();
});
