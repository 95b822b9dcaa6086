// The web demo (examples/web/) in headless Chromium, served same-origin by
// `chatwire sim --static` with strict CORS (as Nextcloud), once per protocol: alice and bob,
// each in a browser context of their own (own cookies), log in through the page's form, see
// their chat list, exchange messages both ways; bob's unread badge appears and clears when he
// opens the chat, and (Talk, the one with read receipts) alice's message gets its read marker.
// Screenshots of both pages per protocol are kept in ART_DIR.
//
// Usage: node npm/test/browser/web-demo.mjs ART_DIR     (CHATWIRE_BIN: the chatwire binary)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startSim, repo } from '../helpers.mjs';
import { launchChromium } from './chromium.mjs';

const art = path.resolve(process.argv[2] ?? path.join(repo, 'target/npm-test'));
const site = path.join(art, 'web-site');
execFileSync('bash', [path.join(repo, 'scripts/lib/stage-web.sh'), site], { stdio: 'inherit' });

const sim = await startSim(['--cors', 'strict', '--static', site]);
const browser = await launchChromium();
const problems = [];

async function user(name, protocol) {
  const context = await browser.newContext({ viewport: { width: 900, height: 560 } });
  const page = await context.newPage();
  const who = `${name}/${protocol}`;
  page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on('console', (m) => {
    // The lobby room answers 412 by design (the page shows it stopped); anything else counts.
    if (m.type() === 'error' && !/status of 412/.test(m.text())) problems.push(`${who}: console: ${m.text()}`);
  });
  await page.goto(`${sim.url}/index.html`);
  await page.selectOption('#login select[name=protocol]', protocol);
  await page.fill('#login input[name=user]', name);
  if (protocol === 'tada') await page.fill('#login input[name=token]', `${name}-token`);
  else await page.fill('#login input[name=password]', `${name}-pass`);
  await page.click('#login button');
  await page.waitForSelector(`body[data-ready=true][data-protocol=${protocol}]`, { timeout: 15_000 });
  return { page, context };
}

const step = (what) => console.log(`web-demo: ${what}`);

/** The chat ids alice and bob know their common chat by (TrueConf: made by alice's page). */
const CHATS = {
  talk: { alice: 'room-ab', bob: 'room-ab' },
  // A tada direct chat is named by the other side's contact jid.
  tada: { alice: 'd-b0b00000-0000-4000-8000-000000000002', bob: 'd-a11ce000-0000-4000-8000-000000000001' },
  trueconf: null,
};

/** alice and bob talk through the page in `protocol`; both pages are screenshotted. */
async function converse(protocol) {
  const a = await user('alice', protocol);
  const b = await user('bob', protocol);
  const [alice, bob] = [a.page, b.page];
  step(`${protocol}: both logged in through the form`);
  let ids = CHATS[protocol];
  if (ids) {
    await alice.waitForSelector(`#chats li[data-chat="${ids.alice}"]`);
    await bob.waitForSelector(`#chats li[data-chat="${ids.bob}"]`);
    await alice.click(`#chats li[data-chat="${ids.alice}"]`);
  } else {
    // TrueConf starts with no chats: alice's page opens a direct chat with bob.
    await alice.fill('#new-chat input', 'bob@sim.local');
    await alice.click('#new-chat button');
    await alice.waitForSelector('#chats li.active');
    const chat = await alice.getAttribute('#chats li.active', 'data-chat');
    ids = { alice: chat, bob: chat };
  }
  const hello = `hello from alice over ${protocol}`;
  await alice.fill('#send input', hello);
  await alice.press('#send input', 'Enter');
  await alice.waitForSelector(`#messages li.own >> text=${hello}`);
  step(`${protocol}: alice sent`);

  const badge = bob.locator(`#chats li[data-chat="${ids.bob}"] .badge`);
  await badge.filter({ hasText: '1' }).waitFor({ timeout: 15_000 });
  step(`${protocol}: bob sees an unread badge of 1`);
  await bob.screenshot({ path: path.join(art, `web-demo-${protocol}-bob-unread.png`) });

  await bob.click(`#chats li[data-chat="${ids.bob}"]`);
  await bob.waitForSelector(`#messages li:not(.own) >> text=${hello}`);
  await badge.filter({ hasText: /^$/ }).waitFor({ timeout: 15_000, state: 'attached' });
  step(`${protocol}: bob opened the chat: the message is there and the badge cleared`);

  if (protocol === 'talk') {
    await alice.locator('#messages li.own', { hasText: hello }).locator('.read').waitFor({ timeout: 15_000 });
    step(`${protocol}: alice's message shows bob read it`);
  }

  const answer = `hi alice, from bob over ${protocol}`;
  await bob.fill('#send input', answer);
  await bob.press('#send input', 'Enter');
  await alice.waitForSelector(`#messages li:not(.own) >> text=${answer}`, { timeout: 15_000 });
  // Bob's page shows his own message once the server has it (tada: its echo), which may come
  // after alice already got it.
  await bob.waitForSelector(`#messages li.own >> text=${answer}`, { timeout: 15_000 });
  step(`${protocol}: bob answered and alice got it`);

  for (const [page, text] of [[alice, hello], [bob, answer], [alice, answer], [bob, hello]]) {
    const count = await page.locator('#messages li', { hasText: text }).count();
    if (count !== 1) throw new Error(`${protocol}: "${text}" shown ${count} times`);
  }
  await alice.screenshot({ path: path.join(art, `web-demo-${protocol}-alice.png`) });
  await bob.screenshot({ path: path.join(art, `web-demo-${protocol}-bob.png`) });
  await a.context.close();
  await b.context.close();
}

let code = 0;
try {
  for (const protocol of ['talk', 'tada', 'trueconf']) await converse(protocol);

  // The clients straight from a page, without the demo: tada by its origin's session cookie
  // (a browser cannot send the `token` header: that is a permanent, typed error), TrueConf by
  // its first-frame auth with a JWT fetched same-origin.
  const context = await browser.newContext();
  await context.addCookies([{ name: 'token', value: 'carol-token', url: sim.url }]);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`carol: page error: ${e.message}`));
  await page.goto(`${sim.url}/index.html`);
  const result = await page.evaluate(async () => {
    const { TadaClient, TrueConfClient } = await import('/chatwire/browser.mjs');
    const out = {};
    const byCookie = new TadaClient({ team: 'team-sim' });
    await byCookie.connect();
    out.cookie = 'connected';
    byCookie.free();
    const byHeader = new TadaClient({ team: 'team-sim', token: 'carol-token' });
    const events = [];
    byHeader.on((e) => events.push(e));
    try {
      await byHeader.connect();
      out.header = 'connected (wrong)';
    } catch (e) {
      out.header = `${e.name}/${e.kind}/${e.fault}`;
    }
    await new Promise((r) => setTimeout(r, 800));
    out.headerAttempts = events.filter((e) => e.type === 'connect_failed' && e.permanent).length;
    byHeader.free();
    const bot = new TrueConfClient({ user: 'carol', password: 'carol-pass' });
    await bot.connect();
    out.trueconf = bot.userId;
    out.chat = typeof (await bot.createGroupChat('from a browser'));
    bot.free();
    return out;
  });
  const want = {
    cookie: 'connected',
    header: 'ChatwireError/connect_failed/failed',
    headerAttempts: 1,
    trueconf: 'carol@sim.local',
    chat: 'string',
  };
  if (JSON.stringify(result) !== JSON.stringify(want)) {
    throw new Error(`tada/TrueConf in the browser: ${JSON.stringify(result)}, wanted ${JSON.stringify(want)}`);
  }
  step('tada by session cookie, tada token header refused once (permanent), TrueConf in a page');
  await context.close();

  if (problems.length) throw new Error(problems.join('\n'));
  step(`passed; screenshots in ${art}`);
} catch (error) {
  console.error(`web-demo: FAILED: ${error.message}`);
  if (problems.length) console.error(problems.join('\n'));
  code = 1;
} finally {
  await browser.close();
  sim.stop();
}
process.exit(code);
