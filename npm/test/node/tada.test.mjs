// tada.team over real sockets against `chatwire sim`: two users, messages both ways, unread
// counts and read markers, a reconnect after an injected drop with nothing lost or doubled,
// the browser's header limitation as a permanent error, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TadaClient } from '../../node.mjs';
import { startSim, record, WebSocket, textIs, sleep } from '../helpers.mjs';

const TEAM = 'team-sim';
let sim, alice, bob, a, b, aliceJid, bobJid;

before(async () => {
  sim = await startSim();
  const { users } = await sim.users();
  aliceJid = users.find((u) => u.name === 'alice').tada_jid;
  bobJid = users.find((u) => u.name === 'bob').tada_jid;
  alice = new TadaClient({ server: sim.url, team: TEAM, token: 'alice-token', webSocket: WebSocket });
  bob = new TadaClient({ server: sim.url, team: TEAM, token: 'bob-token', webSocket: WebSocket });
  a = record(alice);
  b = record(bob);
  await Promise.all([alice.connect(), bob.connect()]);
});

after(() => {
  alice?.free();
  bob?.free();
  sim?.stop();
});

const unreadIn = (jid, n) => (e) => e.type === 'read_state_changed' && e.chat_id === jid && e.state.unread === n;

test('both connect and see their chats', async () => {
  await a.waitFor((e) => e.type === 'chat_created' && e.chat.id === bobJid, { what: 'the direct chat with bob' });
  await b.waitFor((e) => e.type === 'counters', { what: 'counters' });
  assert.equal(typeof bob.badge, 'number');
});

test('messages go both ways, once each, and unread counts follow', async () => {
  const since = b.mark();
  const id = await alice.sendMessage(bobJid, 'hi bob');
  assert.equal(typeof id, 'string');
  const got = await b.waitFor(textIs('hi bob'), { since, what: 'hi bob at bob' });
  assert.equal(got.message.chat_id, aliceJid);
  assert.equal(got.message.id, id);
  assert.equal(got.message.own, false);
  await b.waitFor(unreadIn(aliceJid, 1), { since, what: 'bob: one unread from alice' });
  assert.equal(bob.readState(aliceJid).unread, 1);

  await bob.markRead(aliceJid, id);
  await b.waitFor(unreadIn(aliceJid, 0), { since, what: 'bob: read' });
  assert.equal(bob.readState(aliceJid).unread, 0);

  await bob.sendMessage(aliceJid, 'hi alice');
  await a.waitFor(textIs('hi alice'), { what: 'hi alice at alice' });
  assert.deepEqual(b.texts(aliceJid), ['hi bob']);
  assert.deepEqual(a.texts(bobJid), ['hi alice']);
});

test('a reconnect after an injected drop loses nothing and doubles nothing', async () => {
  const sinceA = a.mark();
  const sinceB = b.mark();
  await sim.inject({ disconnect_all: true });
  await a.waitFor((e) => e.type === 'disconnected', { since: sinceA, what: 'alice disconnected' });
  // Sent while the socket is down: it goes out after the reconnect, under its own message_id.
  const during = alice.sendMessage(bobJid, 'during the drop');
  await a.waitFor((e) => e.type === 'connected', { since: sinceA, what: 'alice reconnected' });
  await b.waitFor((e) => e.type === 'connected', { since: sinceB, what: 'bob reconnected' });
  const id = await during;
  assert.equal(typeof id, 'string');
  // The server's history holds it exactly once (bob, offline too, may get it live or by the
  // session's catch-up after the reconnect, never twice: checked below).
  const history = await fetch(`${sim.url}/api/v4/teams/${TEAM}/messages/${aliceJid}`, {
    headers: { token: 'bob-token' },
  }).then((r) => r.json());
  const copies = history.result.messages.filter((m) => m.message_id === id);
  assert.equal(copies.length, 1, JSON.stringify(history.result.messages.map((m) => m.message_id)));
  // Live traffic flows both ways again, once each.
  await bob.sendMessage(aliceJid, 'after the drop');
  await a.waitFor(textIs('after the drop'), { what: 'after the drop at alice' });
  await alice.sendMessage(bobJid, 'back again');
  await b.waitFor(textIs('back again'), { what: 'back again at bob' });
  await sleep(300);
  // Bob sees it live only when he was back before it went out; never twice.
  const bobs = b.texts(aliceJid);
  assert.ok(bobs.filter((t) => t === 'during the drop').length <= 1, bobs.join(' | '));
  assert.deepEqual(bobs.filter((t) => t !== 'during the drop'), ['hi bob', 'back again']);
  assert.deepEqual(a.texts(bobJid), ['hi alice', 'after the drop']);
});

test('bad input is rejected with a ChatwireError', async () => {
  await assert.rejects(alice.sendMessage(null, 'x'), { name: 'ChatwireError', kind: 'invalid_argument' });
  await assert.rejects(alice.deleteMessage({}), { kind: 'invalid_argument' });
  assert.throws(() => alice.readState(5), { kind: 'invalid_argument' });
  assert.throws(() => new TadaClient({ server: sim.url }), /options.team is required/);
  assert.throws(() => new TadaClient({ server: sim.url, team: TEAM, webSocket: 'ws' }), { kind: 'invalid_argument' });
});

test('a token header on a WebSocket that cannot send headers is a permanent error', async () => {
  const browserLike = new TadaClient({
    server: sim.url,
    team: TEAM,
    token: 'carol-token',
    webSocket: WebSocket,
    webSocketHeaders: false,
  });
  const r = record(browserLike);
  await assert.rejects(browserLike.connect(), (e) => {
    assert.equal(e.kind, 'connect_failed');
    assert.match(e.message, /cannot send headers/);
    return true;
  });
  await sleep(800);
  assert.equal(r.events.filter((e) => e.type === 'connect_failed').length, 1);
  browserLike.free();
});
