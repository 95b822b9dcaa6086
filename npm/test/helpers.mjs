// Shared by the node:test suites and the browser test: the simulator as a child process and
// an event recorder with waits. The simulator binary is $CHATWIRE_BIN (scripts/test-npm.sh
// builds it and sets it).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');

/** The `ws` package from tools/node_modules (scripts/setup-node-tools.sh installs it). */
export const WebSocket = createRequire(path.join(repo, 'tools/package.json'))('ws');

/** Starts `chatwire sim` with `args`; resolves with its base URL, `inject()` and `stop()`. */
export async function startSim(args = []) {
  const bin = process.env.CHATWIRE_BIN;
  if (!bin) throw new Error('CHATWIRE_BIN is not set (scripts/test-npm.sh sets it)');
  const child = spawn(bin, ['sim', '--protocol', 'all', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const first = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}): ${stderr}`)));
  });
  const url = JSON.parse(first).listening;
  return {
    url,
    /** POST /admin/inject: faults (`{ disconnect_all: true }`, `{ http_503_burst: 2 }`). */
    async inject(body) {
      const r = await fetch(`${url}/admin/inject`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`inject answered ${r.status}: ${await r.text()}`);
      return r.json();
    },
    /** GET /admin/users: the seeded accounts. */
    async users() {
      return (await fetch(`${url}/admin/users`)).json();
    },
    stop() {
      child.kill();
    },
  };
}

/** Records a client's events; `waitFor(pred)` resolves with the first match from `since`. */
export function record(client) {
  const events = [];
  const waiters = [];
  client.on((event) => {
    events.push(event);
    for (const w of [...waiters]) {
      if (w.from <= events.length - 1 && w.pred(event)) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(event);
      }
    }
  });
  return {
    events,
    /** Index to pass as `since`: only events after now count. */
    mark: () => events.length,
    waitFor(pred, { since = 0, timeout = 10_000, what = 'event' } = {}) {
      const found = events.slice(since).find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve, from: since };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          const seen = events.slice(since).map((e) => e.type).join(', ');
          reject(new Error(`timed out waiting for ${what}; saw: ${seen}`));
        }, timeout);
        waiters.push(w);
      });
    },
    /** Texts of `message_received` events from others in chat `chatId`. */
    texts(chatId) {
      return events
        .filter((e) => e.type === 'message_received' && !e.message.own)
        .filter((e) => chatId == null || e.message.chat_id === chatId)
        .filter((e) => e.message.content.type === 'text')
        .map((e) => e.message.content.text);
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A message event whose text is `text`. */
export const textIs = (text) => (e) =>
  e.type === 'message_received' && e.message.content.type === 'text' && e.message.content.text === text;
