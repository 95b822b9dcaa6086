// Smoke check for the browser tool chain (run by `scripts/setup-chromium.sh --check`):
// playwright-core drives Debian's /usr/bin/chromium headless against a page that Node
// serves on 127.0.0.1, in two browser contexts (two users, separate cookies, as the
// web demo's test needs), checks that the page's script ran and reached the server,
// and saves a screenshot. Prints one line; exits non-zero with the reason on failure.
//
// The launch is the browser tests' own (npm/test/browser/chromium.mjs).
//
// Usage: node tools/smoke/chromium.mjs [SCREENSHOT.png]

import { createServer } from 'node:http';
import { launchChromium } from '../../npm/test/browser/chromium.mjs';

const screenshotPath = process.argv[2] ?? 'chromium-smoke.png';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>chatwire smoke</title></head>
<body style="font: 16px sans-serif">
<h1>chatwire browser smoke check</h1>
<p id="status">script not run</p>
<script type="module">
  const reply = await fetch('/whoami').then((r) => r.json());
  document.getElementById('status').textContent = 'user ' + reply.user + ' via ' + location.host;
</script>
</body></html>`;

let nextUser = 0;
const server = createServer((req, res) => {
  const cookie = /(?:^|;\s*)user=(\w+)/.exec(req.headers.cookie ?? '')?.[1];
  if (req.url === '/') {
    const headers = { 'content-type': 'text/html; charset=utf-8' };
    // Each context gets its own user on first load: shows the cookie jars are separate.
    if (!cookie) headers['set-cookie'] = `user=u${++nextUser}; Path=/; HttpOnly; SameSite=Strict`;
    res.writeHead(200, headers).end(PAGE);
  } else if (req.url === '/whoami') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: cookie ?? null }));
  } else {
    res.writeHead(404).end();
  }
});

// Bounded: whatever hangs, the check ends.
const watchdog = setTimeout(() => {
  console.error('chromium smoke: timed out after 60 s');
  process.exit(1);
}, 60_000);

let browser;
try {
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const started = performance.now();
  browser = await launchChromium();
  const launchedMs = performance.now() - started;

  const statuses = [];
  let page;
  for (let i = 0; i < 2; i++) {
    const context = await browser.newContext({ viewport: { width: 640, height: 240 } });
    page = await context.newPage();
    await page.goto(url);
    const status = page.locator('#status');
    await status.filter({ hasText: /^user u\d+ via / }).waitFor({ timeout: 10_000 });
    statuses.push(await status.textContent());
  }
  if (statuses[0] === statuses[1]) throw new Error(`both contexts saw the same cookie: ${statuses[0]}`);
  await page.screenshot({ path: screenshotPath });

  console.log(
    `chromium smoke: ok (Chromium ${browser.version()}, launch ${Math.round(launchedMs)} ms, ` +
      `pages: "${statuses.join('", "')}", screenshot ${screenshotPath})`,
  );
} catch (err) {
  console.error(`chromium smoke: FAILED: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  server.close();
  clearTimeout(watchdog);
}
