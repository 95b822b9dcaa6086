// The chatwire web demo: a Nextcloud Talk chat page on the npm package, served from the
// Talk server's own origin (`./scripts/demo.sh --web`). Chat list with unread badges,
// messages, a send box, and read markers that move as the other side reads.
import { TalkClient } from './chatwire/browser.mjs';

const $ = (id) => document.getElementById(id);
const OCS = { 'OCS-APIRequest': 'true', Accept: 'application/json' };

/** Per room: its name, messages in order, read state, and whether receiving stopped. */
const rooms = new Map();
let client = null;
let me = null;
let current = null;

function status(text) {
  $('status').textContent = text;
}

async function login(user, password) {
  // The sim (like Nextcloud) answers 303 to `redirect_url`: back to this page.
  const body = new URLSearchParams({ user, password, redirect_url: location.pathname });
  const r = await fetch('/login', { method: 'POST', body });
  if (!r.ok) throw new Error(r.status === 401 ? 'wrong user or password' : `login answered ${r.status}`);
}

async function roomList() {
  const r = await fetch('/ocs/v2.php/apps/spreed/api/v4/room', { headers: OCS });
  if (r.status === 401) return null; // not logged in
  if (!r.ok) throw new Error(`room list answered ${r.status}`);
  return (await r.json()).ocs.data;
}

function renderChats() {
  const list = $('chats');
  list.replaceChildren(
    ...[...rooms.entries()].map(([token, room]) => {
      const li = document.createElement('li');
      li.dataset.token = token;
      li.className = [token === current ? 'active' : '', room.stopped ? 'stopped' : ''].join(' ');
      const name = document.createElement('span');
      name.textContent = room.name;
      const badge = document.createElement('span');
      badge.className = 'badge';
      const unread = room.state?.unread ?? 0;
      badge.textContent = unread > 0 ? String(unread) : '';
      li.append(name, badge);
      li.onclick = () => open(token);
      return li;
    }),
  );
}

function renderMessages() {
  const room = rooms.get(current);
  const list = $('messages');
  if (!room) return list.replaceChildren();
  const common = Number(room.state?.last_common_read_id ?? 0);
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
      who.textContent = m.author.display_name ?? m.author.id;
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = m.content.type === 'text' ? m.content.text : `[${m.content.type}]`;
      li.append(who, text);
      if (m.own && Number(m.id) <= common) {
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

/** Marks the open room read up to its newest message, so its badge clears and our marker moves. */
function readCurrent() {
  const room = rooms.get(current);
  const newest = room?.messages.at(-1);
  if (!newest || document.hidden) return;
  if (room.state?.last_read_message_id === newest.id && !room.state?.unread) return;
  client.markRead(current, newest.id).catch((e) => status(`mark read failed: ${e.message}`));
}

function open(token) {
  current = token;
  const room = rooms.get(token);
  $('title').textContent = room.name;
  for (const el of $('send').elements) el.disabled = room.stopped;
  renderChats();
  renderMessages();
  readCurrent();
}

/** Every event, newest last, for a look from the devtools console (or a test). */
const seen = [];
window.chatwireEvents = seen;

function onEvent(event) {
  seen.push(event);
  if (seen.length > 500) seen.shift();
  switch (event.type) {
    case 'message_received': {
      const room = rooms.get(event.message.chat_id);
      if (!room || room.messages.some((m) => m.id === event.message.id)) return;
      room.messages.push(event.message);
      if (event.message.chat_id === current) {
        renderMessages();
        readCurrent();
      }
      break;
    }
    case 'read_state_changed': {
      const room = rooms.get(event.chat_id);
      if (!room) return;
      room.state = event.state;
      renderChats();
      if (event.chat_id === current) renderMessages();
      break;
    }
    case 'room_stopped': {
      const room = rooms.get(event.chat_id);
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

async function start(user, list) {
  me = user;
  $('login').hidden = true;
  $('app').hidden = false;
  $('me').textContent = user;
  // No app password: the session cookie of this origin authenticates (same-origin only).
  client = new TalkClient({ user });
  client.on(onEvent);
  await client.connect();
  for (const r of list) {
    rooms.set(r.token, { name: r.displayName, messages: [], state: null, stopped: null });
    // From the room's read marker on, every message counts as unread.
    client.joinRoom(r.token, r.lastReadMessage > 0 ? r.lastReadMessage : null);
  }
  renderChats();
  status(`connected as ${user}`);
  document.body.dataset.ready = 'true';
}

$('send').onsubmit = async (e) => {
  e.preventDefault();
  const input = e.target.elements.text;
  const text = input.value.trim();
  if (!text || !current) return;
  input.value = '';
  const room = current;
  try {
    const id = await client.sendMessage(room, text);
    // The core reports our own sends as `delivered`, not as received messages: show it here.
    const entry = rooms.get(room);
    if (entry && !entry.messages.some((m) => m.id === id)) {
      entry.messages.push({
        id,
        chat_id: room,
        author: { id: me, kind: 'users', display_name: null },
        timestamp_ms: Date.now(),
        content: { type: 'text', text, format: null },
        edited: false,
        reply_to: null,
        version: null,
        own: true,
        raw: 'null',
      });
      entry.messages.sort((a, b) => Number(a.id) - Number(b.id));
      if (room === current) renderMessages();
    }
    status(`sent #${id}`);
  } catch (error) {
    status(`not sent (${error.kind}): ${error.message}`);
    input.value = text;
  }
};

$('login').onsubmit = async (e) => {
  e.preventDefault();
  const { user, password } = Object.fromEntries(new FormData(e.target));
  try {
    await login(user, password);
    sessionStorage.setItem('chatwire-user', user);
    await start(user, await roomList());
  } catch (error) {
    $('login-error').textContent = error.message;
  }
};

$('logout').onclick = async (e) => {
  e.preventDefault();
  client?.free();
  sessionStorage.removeItem('chatwire-user');
  await fetch('/logout');
  location.reload();
};

document.addEventListener('visibilitychange', readCurrent);

const saved = sessionStorage.getItem('chatwire-user');
const list = saved ? await roomList().catch(() => null) : null;
if (saved && list) {
  await start(saved, list);
} else {
  $('login').hidden = false;
}
