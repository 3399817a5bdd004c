import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from '../../tools/root.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { ACCEPTANCE_BASE_URL } from './target.ts';

/** Where Chromium and Chrome install themselves on Linux (Debian, Ubuntu, snap, Google's packages) and macOS. */
export const BROWSER_LOCATIONS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  join(homedir(), 'Applications/Google Chrome.app/Contents/MacOS/Google Chrome'),
  join(homedir(), 'Applications/Chromium.app/Contents/MacOS/Chromium'),
];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** CHROME_PATH if set, else the first of the usual locations that holds a program. A browser is never downloaded. */
export function findBrowser(
  env: NodeJS.ProcessEnv = process.env,
  executable: (path: string) => boolean = isExecutable,
): string | undefined {
  const candidates = env.CHROME_PATH ? [env.CHROME_PATH] : BROWSER_LOCATIONS;
  return candidates.find(executable);
}

const BROWSER_PATH = findBrowser();

export const MISSING_BROWSER = process.env.CHROME_PATH
  ? `CHROME_PATH=${process.env.CHROME_PATH} is not an executable: point it at Chrome or Chromium`
  : 'no Chrome or Chromium found: install one (apt-get install chromium, brew install --cask chromium) or set CHROME_PATH';

/**
 * Options for a suite that drives the browser: with none found it is skipped, saying how to fix that, unless
 * REQUIRE_BROWSER=1 (as .ci/run sets it), which makes it fail instead.
 */
export const needsBrowser = {
  skip: BROWSER_PATH === undefined && process.env.REQUIRE_BROWSER !== '1' ? MISSING_BROWSER : false,
};

/** Screenshots land here; the folder is git-ignored. */
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (BROWSER_PATH === undefined) throw new Error(`${MISSING_BROWSER} (REQUIRE_BROWSER=1 is set)`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: BROWSER_PATH,
    // Without the background-networking flags Chromium tries to reach Google's hosts, which this network refuses.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/**
 * For a browser suite: starts a browser and the built service before its tests and stops both after them; with
 * ACCEPTANCE_BASE_URL set (npm run acceptance), the service is the one there, and only the browser starts. The
 * fields are set once the suite's `before` has run.
 */
export function useBrowserAndServer(): { readonly browser: Browser; readonly server: { readonly url: string } } {
  const started: { browser?: Browser; server?: ServerProcess } = {};
  before(async () => {
    started.browser = await launchBrowser();
    if (ACCEPTANCE_BASE_URL === undefined) started.server = await startServerProcess();
  });
  after(async () => {
    started.server?.kill();
    await started.browser?.close();
  });
  return {
    get browser() {
      return started.browser!;
    },
    get server() {
      return { url: ACCEPTANCE_BASE_URL ?? started.server!.url };
    },
  };
}
