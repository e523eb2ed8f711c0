import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (CI installs it); never a browser downloaded by a test tool. */
const CHROMIUM = '/usr/bin/chromium';
/** As root, and with no network beyond loopback: no sandbox, and nothing that calls home. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
