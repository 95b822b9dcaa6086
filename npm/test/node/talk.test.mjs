// Nextcloud Talk over real HTTP against `chatwire sim`: two users in a one-to-one room,
// messages both ways, read markers, HTTP failures injected (503 bursts) with nothing lost
// or doubled, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TalkClient } from '../../node.mjs';
import { startSim, record, textIs, sleep } from '../helpers.mjs';

const ROOM = 'room-ab';
let sim, alice, bob, a, b;

before(async () => {
  sim = await startSim();
  alice = new TalkClient({ server: sim.url, user: 'alice', appPassword: 'alice-app-pass' });
  bob = new TalkClient({ server: sim.url, user: 'bob', appPassword: 'bob-app-pass' });
  a = record(alice);
  b = record(bob);
  await Promise.all([alice.connect(), bob.connect()]);
  alice.joinRoom(ROOM);
  bob.joinRoom(ROOM);
});

after(() => {
  alice?.free();
  bob?.free();
  sim?.stop();
});

test('joining a room delivers its history and read state', async () => {
  await b.waitFor((e) => e.type === 'read_state_changed' && e.chat_id === ROOM, { what: 'bob read state' });
  assert.deepEqual(alice.joinedRooms(), [ROOM]);
  assert.ok(bob.readState(ROOM), 'bob has a read state');
});

test('messages go both ways, once each, and read markers move', async () => {
  const id = await alice.sendMessage(ROOM, 'hi bob');
  assert.match(id, /^\d+$/);
  const got = await b.waitFor(textIs('hi bob'), { what: 'hi bob at bob' });
  assert.equal(got.message.id, id);
  assert.equal(got.message.author.id, 'alice');
  await b.waitFor((e) => e.type === 'read_state_changed' && e.state.unread === 1, { what: 'bob: one unread' });
  assert.equal(bob.readState(ROOM).unread, 1);
  const since = b.mark();
  await bob.markRead(ROOM, id);
  await b.waitFor(
    (e) => e.type === 'read_state_changed' && e.state.last_read_message_id === id,
    { since, what: "bob's read marker at alice's message" },
  );
  assert.equal(bob.readState(ROOM).unread, 0);
  assert.equal(bob.readState(ROOM).last_read_message_id, id);
  const reply = await bob.sendMessage(ROOM, 'hi alice', Number(id));
  const back = await a.waitFor(textIs('hi alice'), { what: 'hi alice at alice' });
  assert.equal(back.message.id, reply);
  assert.equal(back.message.reply_to, id);
  await sleep(300);
  assert.deepEqual(b.texts(ROOM).filter((t) => t.startsWith('hi')), ['hi bob']);
  assert.deepEqual(a.texts(ROOM).filter((t) => t.startsWith('hi')), ['hi alice']);
});

test('HTTP failures are retried with nothing lost or doubled', async () => {
  await sim.inject({ http_503_burst: 2 });
  const during = alice.sendMessage(ROOM, 'through the 503s');
  const id = await during;
  await b.waitFor(textIs('through the 503s'), { what: 'the message sent through the failures' });
  await bob.sendMessage(ROOM, 'and back');
  await a.waitFor(textIs('and back'), { what: 'the answer' });
  await sleep(300);
  assert.equal(b.texts(ROOM).filter((t) => t === 'through the 503s').length, 1);
  assert.equal(a.texts(ROOM).filter((t) => t === 'and back').length, 1);
  const older = await bob.loadOlder(ROOM, 200);
  assert.ok(Array.isArray(older));
  assert.ok(!older.some((m) => m.id === id && m.content.text !== 'through the 503s'));
});

test('mentions are typed', async () => {
  const found = await alice.mentions(ROOM, 'bo', 5);
  assert.ok(found.some((m) => m.id === 'bob'), JSON.stringify(found));
});

test('bad input is rejected with a ChatwireError', async () => {
  await assert.rejects(alice.sendMessage(ROOM, 'x', 'not a number'), { name: 'ChatwireError', kind: 'invalid_argument' });
  await assert.rejects(alice.sendMessage(ROOM, 'x', 1.5), { kind: 'invalid_argument' });
  await assert.rejects(alice.sendMessage(ROOM, 'x', null, 'yes'), { kind: 'invalid_argument' });
  await assert.rejects(alice.sendMessage(ROOM, 'x'.repeat(33_000)), { kind: 'message_too_long' });
  await assert.rejects(alice.mentions(ROOM, 'b', 2 ** 40), { kind: 'invalid_argument' });
  assert.throws(() => alice.joinRoom(7), { kind: 'invalid_argument' });
  assert.throws(() => new TalkClient({ server: sim.url }), /options.user is required/);
  assert.throws(() => new TalkClient({ user: 'alice' }), /options.server is required outside a web page/);
});

test('a room the user may not read stops with a typed error', async () => {
  const since = a.mark();
  alice.joinRoom('room-lobby');
  const stopped = await a.waitFor((e) => e.type === 'room_stopped' && e.chat_id === 'room-lobby', {
    since,
    what: 'room_stopped for the lobby',
  });
  assert.deepEqual(stopped.error, { kind: 'talk', code: 'lobby' });
});

test('close() aborts the long-polls and settles calls', async () => {
  const carol = new TalkClient({ server: sim.url, user: 'carol', appPassword: 'carol-app-pass' });
  carol.joinRoom('room-all');
  await sleep(200);
  carol.close();
  await assert.rejects(carol.sendMessage('room-all', 'x'), { kind: 'closed' });
  carol.free();
});
