// TrueConf over real sockets against `chatwire sim`: two bots, messages both ways, unread
// counts, a reconnect after an injected drop with nothing lost or doubled, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TrueConfClient, ChatwireError } from '../../node.mjs';
import { startSim, record, WebSocket, textIs, sleep } from '../helpers.mjs';

let sim, alice, bob, a, b, chat;

before(async () => {
  sim = await startSim();
  alice = new TrueConfClient({ server: sim.url, user: 'alice', password: 'alice-pass', webSocket: WebSocket });
  bob = new TrueConfClient({ server: sim.url, user: 'bob', password: 'bob-pass', webSocket: WebSocket });
  a = record(alice);
  b = record(bob);
  await Promise.all([alice.connect(), bob.connect()]);
});

after(() => {
  alice?.free();
  bob?.free();
  sim?.stop();
});

test('both connect and know who they are', () => {
  assert.equal(alice.userId, 'alice@sim.local');
  assert.equal(bob.userId, 'bob@sim.local');
  assert.equal(a.events.filter((e) => e.type === 'connected').length, 1);
});

test('messages go both ways, once each', async () => {
  chat = await alice.createP2PChat('bob@sim.local');
  assert.equal(typeof chat, 'string');
  const id = await alice.sendMessage(chat, 'hello bob');
  assert.equal(typeof id, 'string');
  const got = await b.waitFor(textIs('hello bob'), { what: 'hello bob at bob' });
  assert.equal(got.message.chat_id, chat);
  assert.equal(got.message.author.id, 'alice@sim.local');
  assert.equal(got.message.own, false);
  assert.equal(typeof got.message.raw, 'string', 'RawJson reaches JS as JSON text');
  assert.equal(JSON.parse(got.message.raw).chatId, chat);
  await bob.sendMessage(chat, 'hello alice');
  await a.waitFor(textIs('hello alice'), { what: 'hello alice at alice' });
  assert.deepEqual(b.texts(chat), ['hello bob']);
  assert.deepEqual(a.texts(chat).filter((t) => t === 'hello alice'), ['hello alice']);
});

test('unread counts come with the chat list', async () => {
  const chats = await bob.getChats(50, 1);
  const mine = chats.find((c) => c.id === chat);
  assert.ok(mine, 'bob lists the p2p chat');
  assert.equal(typeof mine.unread, 'number');
  assert.equal(mine.kind, 'direct');
  const state = bob.readState(chat);
  assert.ok(state, 'bob has a read state for the chat');
  assert.equal(typeof state.unread, 'number');
});

test('a reconnect after an injected drop loses nothing and doubles nothing', async () => {
  const sinceA = a.mark();
  const sinceB = b.mark();
  await sim.inject({ disconnect_all: true });
  await a.waitFor((e) => e.type === 'disconnected', { since: sinceA, what: 'alice disconnected' });
  // Sent while the socket is down: it waits for the reconnect and goes out once.
  const during = alice.sendMessage(chat, 'sent during the drop');
  await a.waitFor((e) => e.type === 'connected', { since: sinceA, what: 'alice reconnected' });
  await b.waitFor((e) => e.type === 'connected', { since: sinceB, what: 'bob reconnected' });
  assert.equal(typeof (await during), 'string');
  await bob.sendMessage(chat, 'after the drop');
  await b.waitFor(textIs('sent during the drop'), { what: 'the message sent during the drop' });
  await a.waitFor(textIs('after the drop'), { what: 'bob reply after the drop' });
  await sleep(300); // a redelivery would arrive right behind
  assert.deepEqual(b.texts(chat), ['hello bob', 'sent during the drop']);
  assert.equal(a.texts(chat).filter((t) => t === 'after the drop').length, 1);
});

test('bad input from JS is rejected with a ChatwireError, not a panic', async () => {
  await assert.rejects(alice.sendMessage(chat, 42), (e) => {
    assert.ok(e instanceof ChatwireError);
    assert.ok(e instanceof Error);
    assert.equal(e.kind, 'invalid_argument');
    assert.match(e.message, /text must be a string/);
    return true;
  });
  await assert.rejects(alice.createGroupChat(undefined), { name: 'ChatwireError', kind: 'invalid_argument' });
  await assert.rejects(alice.getChats(-1), { kind: 'invalid_argument' });
  await assert.rejects(alice.sendMessage(chat, 'x'.repeat(40_000)), { kind: 'message_too_long' });
  assert.throws(() => new TrueConfClient({ server: 'ftp://x', token: 't' }), { kind: 'invalid_argument' });
  assert.throws(() => new TrueConfClient({ server: sim.url }), /options.token/);
  assert.throws(() => new TrueConfClient('nope'), ChatwireError);
  // The client still works afterwards.
  assert.equal(typeof (await alice.sendMessage(chat, 'still fine')), 'string');
});

test('a handler may call back into the client from inside an event', async () => {
  const echoed = new Promise((resolve) => {
    const listener = (e) => {
      if (textIs('echo me')(e)) {
        bob.off(listener);
        // Re-entrant: a command issued while the client is delivering this very event.
        resolve(bob.sendMessage(e.message.chat_id, `echo: ${e.message.content.text}`));
      }
    };
    bob.on(listener);
  });
  await alice.sendMessage(chat, 'echo me');
  assert.equal(typeof (await echoed), 'string');
  await a.waitFor(textIs('echo: echo me'), { what: 'the echo' });
});

test('events also arrive through an async iterator', async () => {
  const stream = alice.events();
  await bob.sendMessage(chat, 'iterate me');
  for await (const e of stream) {
    if (textIs('iterate me')(e)) break;
  }
  assert.equal((await stream.next()).done, true, 'break ended the iterator');
});

test('free() settles every pending call with closed and ends iterators', async () => {
  const carol = new TrueConfClient({ server: sim.url, user: 'carol', password: 'carol-pass', webSocket: WebSocket });
  await carol.connect();
  const stream = carol.events();
  const pending = carol.createGroupChat('never answered');
  carol.free();
  // Settled at once by the core's shutdown, not left hanging.
  await assert.rejects(pending, { name: 'ChatwireError', kind: 'closed', fault: 'refused' });
  assert.throws(() => carol.sendMessage('c', 'after free'));
  // What happened before the end is still handed out, then the iterator is done.
  const rest = [];
  for await (const e of stream) rest.push(e.type);
  assert.deepEqual(rest, ['disconnected']);
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
});

test('close() rejects later calls until connect()', async () => {
  const carol = new TrueConfClient({ server: sim.url, user: 'carol', password: 'carol-pass', webSocket: WebSocket });
  const c = record(carol);
  await carol.connect();
  carol.close();
  await assert.rejects(carol.sendMessage(chat, 'x'), { kind: 'closed' });
  await carol.connect();
  assert.equal(c.events.filter((e) => e.type === 'connected').length, 2);
  carol[Symbol.dispose]();
});

test('no WebSocket in this runtime is a permanent error, not a retry loop', async () => {
  assert.equal(globalThis.WebSocket, undefined, 'Node 20 without --experimental-websocket');
  const lonely = new TrueConfClient({ server: sim.url, token: 'whatever' });
  const l = record(lonely);
  await assert.rejects(lonely.connect(), (e) => {
    assert.equal(e.kind, 'connect_failed');
    assert.match(e.message, /no WebSocket in this runtime/);
    return true;
  });
  await sleep(1500); // the first retry would come after ~0.5 s
  const failures = l.events.filter((e) => e.type === 'connect_failed');
  assert.equal(failures.length, 1);
  assert.equal(failures[0].permanent, true);
  assert.equal(failures[0].retry_in_ms, null);
  await assert.rejects(lonely.sendMessage('c', 'x'), { kind: 'closed' });
  lonely.free();
});
