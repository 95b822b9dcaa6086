// Kill-and-restore through the npm package: bob's client is freed mid-conversation and a new
// one resumes from its `snapshot()`. What arrived before is not delivered again; what alice
// sent while bob was away arrives once, in order. A snapshot that does not parse is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TadaClient, TalkClient, ChatwireError } from '../../node.mjs';
import { startSim, record, WebSocket, textIs, sleep } from '../helpers.mjs';

const TEAM = 'team-sim';
const ROOM = 'room-ab';
let sim;

before(async () => {
  sim = await startSim();
});

after(() => sim?.stop());

/** Bob's texts from `chat` once `last` arrived, and a moment more for any late copy. */
async function textsUntil(rec, chat, last, what) {
  await rec.waitFor(textIs(last), { what });
  await sleep(300);
  return rec.texts(chat);
}

test('tada: a client restored from its snapshot gets what it missed, once', async () => {
  const { users } = await sim.users();
  const aliceJid = users.find((u) => u.name === 'alice').tada_jid;
  const bobJid = users.find((u) => u.name === 'bob').tada_jid;
  const tada = (token, snapshot) =>
    new TadaClient({ server: sim.url, team: TEAM, token, webSocket: WebSocket, snapshot });
  const alice = tada('alice-token');
  let bob = tada('bob-token');
  try {
    let b = record(bob);
    await Promise.all([alice.connect(), bob.connect()]);
    await alice.sendMessage(bobJid, 'before the restart');
    assert.deepEqual(await textsUntil(b, aliceJid, 'before the restart', 'the first text'), ['before the restart']);
    const snapshot = bob.snapshot();
    assert.equal(typeof snapshot, 'string');
    assert.ok(!snapshot.includes('bob-token'), 'a snapshot holds no credential');
    bob.free();

    for (const n of [1, 2, 3]) await alice.sendMessage(bobJid, `while away ${n}`);
    bob = tada('bob-token', snapshot);
    b = record(bob);
    await bob.connect();
    assert.deepEqual(await textsUntil(b, aliceJid, 'while away 3', 'the missed texts'), [
      'while away 1',
      'while away 2',
      'while away 3',
    ]);
  } finally {
    alice.free();
    bob.free();
  }
});

test('Talk: a client restored from its snapshot resumes its rooms where it stopped', async () => {
  const talk = (user, snapshot) =>
    new TalkClient({ server: sim.url, user, appPassword: `${user}-app-pass`, snapshot });
  const alice = talk('alice');
  let bob = talk('bob');
  try {
    let b = record(bob);
    await Promise.all([alice.connect(), bob.connect()]);
    bob.joinRoom(ROOM);
    await alice.sendMessage(ROOM, 'talk before');
    await b.waitFor(textIs('talk before'), { what: 'talk before' });
    const earlier = b.texts(ROOM);
    const snapshot = bob.snapshot();
    assert.ok(!snapshot.includes('bob-app-pass'), 'a snapshot holds no credential');
    bob.free();

    await alice.sendMessage(ROOM, 'talk away 1');
    await alice.sendMessage(ROOM, 'talk away 2');
    bob = talk('bob', snapshot);
    b = record(bob);
    await bob.connect();
    // No joinRoom: the snapshot carries the room and its cursor.
    const got = await textsUntil(b, ROOM, 'talk away 2', 'the missed Talk texts');
    assert.deepEqual(got, ['talk away 1', 'talk away 2'], `delivered before the restart: ${earlier.join(' | ')}`);
  } finally {
    alice.free();
    bob.free();
  }
});

test('a snapshot that does not parse is refused with a ChatwireError', () => {
  assert.throws(
    () => new TadaClient({ server: sim.url, team: TEAM, token: 't', webSocket: WebSocket, snapshot: '{not json' }),
    (e) => e instanceof ChatwireError && e.kind === 'invalid_argument' && /snapshot/.test(e.message),
  );
  assert.throws(
    () => new TalkClient({ server: sim.url, user: 'bob', appPassword: 'p', snapshot: 42 }),
    (e) => e instanceof ChatwireError && e.kind === 'invalid_argument',
  );
});
