import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROWSER_LOCATIONS, findBrowser } from './browser.ts';

const installed =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

test('CHROME_PATH comes first, even when a usual location also holds a browser', () => {
  const env = { CHROME_PATH: '/opt/chrome/chrome' };
  assert.equal(findBrowser(env, installed('/opt/chrome/chrome', '/usr/bin/chromium')), '/opt/chrome/chrome');
});

test('a CHROME_PATH that holds no program finds nothing, rather than another browser', () => {
  assert.equal(findBrowser({ CHROME_PATH: '/nowhere/chrome' }, installed('/usr/bin/chromium')), undefined);
});

test("without CHROME_PATH, Linux's Chromium is preferred, then Chrome, then macOS's", () => {
  assert.equal(findBrowser({}, installed('/usr/bin/google-chrome', '/usr/bin/chromium')), '/usr/bin/chromium');
  assert.equal(findBrowser({}, installed('/usr/bin/google-chrome')), '/usr/bin/google-chrome');
  const mac = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
  assert.equal(findBrowser({}, installed(mac)), mac);
  assert.ok(BROWSER_LOCATIONS.indexOf('/usr/bin/chromium') < BROWSER_LOCATIONS.indexOf(mac));
});

test('with no browser anywhere, nothing is found', () => {
  assert.equal(findBrowser({}, installed()), undefined);
});
