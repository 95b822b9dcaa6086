// Debian's Chromium driven by playwright-core (resolved from tools/package.json, where
// scripts/setup-node-tools.sh installs it; no browser download works here), launched alike by
// the browser tests and by the smoke check of scripts/setup-chromium.sh --check
// (tools/smoke/chromium.mjs), which shows this launch works on the machine.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const tools = fileURLToPath(new URL('../../../tools/package.json', import.meta.url));
const { chromium } = createRequire(tools)('playwright-core');

/** Root (no sandbox), no GPU, and no background traffic: the closed network refuses it, and
 * Chromium's retries slow everything. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless /usr/bin/chromium (scripts/setup-chromium.sh), in a fresh user-data-dir of its own. */
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}
