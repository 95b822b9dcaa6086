// The chatwire web demo: a chat page on the npm package for all three protocols, served from
// the servers' own origin (`./scripts/demo.sh --web`, the simulator): chat list with unread
// badges, messages, a send box, and read markers that move as the other side reads.
//
// How each protocol logs in from a page:
// - Talk: the login form posts to `/login` (as Nextcloud's does); its session cookie then
//   authenticates every request of the client (no app password, same-origin only).
// - tada: its WebSocket is authenticated by the origin's session cookie `token`, which the
//   tada web app's own login sets; the simulator has no login page, so this page sets the
//   cookie from the form (the simulator seeds `<user>-token`).
// - TrueConf: user and password get a JWT from the server's token endpoint (same origin).
import { TalkClient, TadaClient, TrueConfClient } from './chatwire/browser.mjs';

const $ = (id) => document.getElementById(id);
const OCS = { 'OCS-APIRequest': 'true', Accept: 'application/json' };
const TADA_TEAM = 'team-sim';

/** Per chat: its name, messages in order, read state, and why receiving stopped (if it did). */
const chats = new Map();
let client = null;
let protocol = null;
let me = null;
let current = null;

function status(text) {
  $('status').textContent = text;
}

function addChat(id, name) {
  if (!chats.has(id)) chats.set(id, { name: name || id, messages: [], state: null, stopped: null });
  return chats.get(id);
}

// ---- per protocol: log in, connect, list chats -------------------------------------------

async function talkLogin(user, password) {
  // The sim (like Nextcloud) answers 303 to `redirect_url`: back to this page.
  const body = new URLSearchParams({ user, password, redirect_url: location.pathname });
  const r = await fetch('/login', { method: 'POST', body });
  if (!r.ok) throw new Error(r.status === 401 ? 'wrong user or password' : `login answered ${r.status}`);
}

async function talkRooms() {
  const r = await fetch('/ocs/v2.php/apps/spreed/api/v4/room', { headers: OCS });
  if (r.status === 401) return null; // not logged in
  if (!r.ok) throw new Error(`room list answered ${r.status}`);
  return (await r.json()).ocs.data;
}

const PROTOCOLS = {
  talk: {
    async login({ user, password }) {
      await talkLogin(user, password);
      sessionStorage.setItem('chatwire-talk-user', user);
      return talkRooms();
    },
    async start(user, rooms) {
      client = new TalkClient({ user });
      client.on(onEvent);
      await client.connect();
      for (const r of rooms) {
        addChat(r.token, r.displayName);
        // From the room's read marker on, every message counts as unread.
        client.joinRoom(r.token, r.lastReadMessage > 0 ? r.lastReadMessage : null);
      }
    },
    // Talk ids are integers in order: a marker covers every message up to it.
    readUpTo: (room, m, common) => Number(m.id) <= Number(common),
  },
  tada: {
    async login({ token }) {
      if (!token) throw new Error('a session token is needed');
      document.cookie = `token=${encodeURIComponent(token)}; path=/; SameSite=Strict`;
    },
    async start() {
      // No `token` option: a page cannot send it as a header; the cookie above goes instead.
      client = new TadaClient({ team: TADA_TEAM });
      client.on(onEvent);
      await client.connect(); // the chat list arrives as `chat_created` events
      me = client.me ?? me;
    },
    readUpTo: byPosition,
  },
  trueconf: {
    async login() {},
    async start(user, _list, { password }) {
      client = new TrueConfClient({ user, password });
      client.on(onEvent);
      await client.connect();
      me = client.userId ?? me;
      for (const chat of await client.getChats(100, 1)) {
        const room = addChat(chat.id, chat.title);
        if (chat.unread != null) room.state = { ...(room.state ?? {}), unread: chat.unread };
      }
      $('new-chat').hidden = false;
    },
    readUpTo: byPosition,
  },
};

/** A marker covers the messages listed up to the one it names. */
function byPosition(room, m, common) {
  const at = room.messages.findIndex((x) => x.id === common);
  return at >= 0 && room.messages.indexOf(m) <= at;
}

// ---- rendering -------------------------------------------------------------------------

function renderChats() {
  const list = $('chats');
  list.replaceChildren(
    ...[...chats.entries()].map(([id, room]) => {
      const li = document.createElement('li');
      li.dataset.chat = id;
      li.className = [id === current ? 'active' : '', room.stopped ? 'stopped' : ''].join(' ');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = room.name;
      const badge = document.createElement('span');
      badge.className = 'badge';
      const unread = room.state?.unread ?? 0;
      badge.textContent = unread > 0 ? String(unread) : '';
      li.append(name, badge);
      li.onclick = () => open(id);
      return li;
    }),
  );
}

function renderMessages() {
  const room = chats.get(current);
  const list = $('messages');
  if (!room) return list.replaceChildren();
  const common = room.state?.last_common_read_id ?? null;
  list.replaceChildren(
    ...room.messages.map((m) => {
      const li = document.createElement('li');
      li.dataset.id = m.id;
      if (m.content.type === 'system') {
        li.className = 'system';
        li.textContent = m.content.text;
        return li;
      }
      li.className = m.own ? 'own' : '';
      const who = document.createElement('span');
      who.className = 'who';
      // A tada direct chat is named by the contact's jid: its name stands for the author too.
      who.textContent = m.author.display_name ?? chats.get(m.author.id)?.name ?? m.author.id;
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = m.content.type === 'text' ? m.content.text : `[${m.content.type}]`;
      li.append(who, text);
      if (m.own && common != null && PROTOCOLS[protocol].readUpTo(room, m, common)) {
        const read = document.createElement('span');
        read.className = 'read';
        read.textContent = '✓✓ read';
        li.append(read);
      }
      return li;
    }),
  );
  list.scrollTop = list.scrollHeight;
}

/** Marks the open chat read up to its newest message, so its badge clears and our marker moves. */
function readCurrent() {
  const room = chats.get(current);
  const newest = room?.messages.filter((m) => !m.own).at(-1) ?? room?.messages.at(-1);
  if (!newest || document.hidden) return;
  if (room.state?.last_read_message_id === newest.id && !room.state?.unread) return;
  if (protocol !== 'talk' && room.state?.unread === 0 && room.readSent === newest.id) return;
  room.readSent = newest.id;
  client.markRead(current, newest.id).catch((e) => status(`mark read failed: ${e.message}`));
  // Servers that do not echo our own read (TrueConf) still clear the badge here.
  if (protocol === 'trueconf' && room.state) {
    room.state = { ...room.state, unread: 0 };
    renderChats();
  }
}

function open(id) {
  current = id;
  const room = chats.get(id);
  $('title').textContent = room.name;
  for (const el of $('send').elements) el.disabled = Boolean(room.stopped);
  renderChats();
  renderMessages();
  readCurrent();
}

// ---- events ----------------------------------------------------------------------------

/** Every event, newest last, for a look from the devtools console (or a test). */
const seen = [];
window.chatwireEvents = seen;

function onEvent(event) {
  seen.push(event);
  if (seen.length > 500) seen.shift();
  switch (event.type) {
    case 'chat_created':
    case 'chat_updated': {
      const room = addChat(event.chat.id, event.chat.title);
      if (event.chat.title) room.name = event.chat.title;
      if (event.chat.unread != null && !room.state) room.state = { unread: event.chat.unread };
      renderChats();
      break;
    }
    case 'message_received': {
      const m = event.message;
      if (!m.chat_id) return;
      const known = chats.has(m.chat_id);
      const room = addChat(m.chat_id, m.author.display_name ?? m.author.id);
      if (room.messages.some((x) => x.id === m.id)) return;
      room.messages.push(m);
      // TrueConf reports no unread count of its own while connected: count here.
      if (protocol === 'trueconf' && !m.own && m.chat_id !== current) {
        room.state = { ...(room.state ?? {}), unread: (room.state?.unread ?? 0) + 1 };
      }
      if (!known || protocol === 'trueconf') renderChats();
      if (m.chat_id === current) {
        renderMessages();
        readCurrent();
      }
      break;
    }
    case 'read_state_changed': {
      const room = addChat(event.chat_id);
      // TrueConf marks a message read by acknowledging it on arrival (unread stays 0 in the
      // core): this page counts what was not yet shown instead.
      const local = protocol === 'trueconf' ? (room.state?.unread ?? 0) : event.state.unread;
      room.state = { ...event.state, unread: local };
      renderChats();
      if (event.chat_id === current) renderMessages();
      break;
    }
    case 'room_stopped': {
      const room = chats.get(event.chat_id);
      if (room) room.stopped = event.error.kind === 'talk' ? event.error.code : event.error.kind;
      renderChats();
      break;
    }
    case 'connect_failed':
    case 'request_failed':
      status(`${event.type}: ${event.reason ?? event.error?.kind}`);
      break;
    default:
      break;
  }
}

// ---- the forms -------------------------------------------------------------------------

async function start(chosen, user, list, fields = {}) {
  protocol = chosen;
  me = user;
  $('login').hidden = true;
  $('app').hidden = false;
  await PROTOCOLS[protocol].start(user, list, fields);
  $('me').textContent = `${me} (${protocol})`;
  renderChats();
  status(`connected as ${me}`);
  document.body.dataset.ready = 'true';
  document.body.dataset.protocol = protocol;
}

$('send').onsubmit = async (e) => {
  e.preventDefault();
  const input = e.target.elements.text;
  const text = input.value.trim();
  if (!text || !current) return;
  input.value = '';
  const chat = current;
  try {
    const id = await client.sendMessage(chat, text);
    // The core reports our own sends as `delivered`, not as received messages: show it here.
    const room = chats.get(chat);
    if (room && !room.messages.some((m) => m.id === id)) {
      room.messages.push({
        id,
        chat_id: chat,
        author: { id: me, kind: null, display_name: null },
        timestamp_ms: Date.now(),
        content: { type: 'text', text, format: null },
        edited: false,
        reply_to: null,
        version: null,
        own: true,
        raw: 'null',
      });
      if (protocol === 'talk') room.messages.sort((a, b) => Number(a.id) - Number(b.id));
      if (chat === current) renderMessages();
    }
    status(`sent ${id}`);
  } catch (error) {
    status(`not sent (${error.kind}): ${error.message}`);
    input.value = text;
  }
};

$('new-chat').onsubmit = async (e) => {
  e.preventDefault();
  const peer = e.target.elements.peer.value.trim();
  if (!peer) return;
  try {
    const id = await client.createP2PChat(peer);
    addChat(id, peer);
    e.target.elements.peer.value = '';
    open(id);
  } catch (error) {
    status(`no chat with ${peer} (${error.kind}): ${error.message}`);
  }
};

function showFields() {
  const chosen = $('login').elements.protocol.value;
  for (const label of $('login').querySelectorAll('label[data-for]')) {
    label.hidden = !label.dataset.for.split(' ').includes(chosen);
  }
}
$('login').elements.protocol.onchange = showFields;
showFields();

$('login').onsubmit = async (e) => {
  e.preventDefault();
  const fields = Object.fromEntries(new FormData(e.target));
  try {
    const list = await PROTOCOLS[fields.protocol].login(fields);
    await start(fields.protocol, fields.user, list, fields);
  } catch (error) {
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = error.message;
  }
};

$('logout').onclick = async (e) => {
  e.preventDefault();
  client?.free();
  if (protocol === 'talk') {
    sessionStorage.removeItem('chatwire-talk-user');
    await fetch('/logout');
  }
  if (protocol === 'tada') document.cookie = 'token=; path=/; max-age=0';
  location.reload();
};

document.addEventListener('visibilitychange', readCurrent);

// A Talk session survives a reload (its cookie does); the others log in again.
const saved = sessionStorage.getItem('chatwire-talk-user');
const rooms = saved ? await talkRooms().catch(() => null) : null;
if (saved && rooms) {
  await start('talk', saved, rooms);
} else {
  $('login').hidden = false;
}
