import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { needsBrowser, SCREENSHOT_DIR, useBrowserAndServer } from '../../helpers/browser.ts';
import { IDENTITY } from '../../../src/identity.ts';

suite('the mirror page in a browser', needsBrowser, () => {
  const running = useBrowserAndServer();

  interface WatchedPage {
    readonly page: Page;
    /** Console errors, uncaught exceptions and CSP violations. */
    readonly problems: string[];
    /** Every document the tab loaded: a second one means the form was sent the plain way. */
    readonly documents: string[];
    /** Every fetch() the page's script made. */
    readonly fetches: string[];
  }

  async function openPage(context: BrowserContext): Promise<WatchedPage> {
    const page = await context.newPage();
    const problems: string[] = [];
    const documents: string[] = [];
    const fetches: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
    page.on('request', (request) => {
      if (request.resourceType() === 'document') documents.push(request.url());
      if (request.resourceType() === 'fetch') fetches.push(request.url());
    });
    // Init scripts run outside the page's CSP, so this listener hears of every violation, logged or not.
    await page.exposeFunction('reportViolation', (text: string) => problems.push(`CSP: ${text}`));
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' blocked ' + e.blockedURI));",
    });
    return { page, problems, documents, fetches };
  }

  /** Reaches the input as a keyboard user would, with one Tab from the top of the page, and sends the time with Enter. */
  async function typeTime(page: Page, time: string): Promise<void> {
    await page.keyboard.press('Tab');
    assert.equal(await page.locator('#time:focus').count(), 1, 'the first Tab reaches the input');
    await page.keyboard.type(time);
    await page.keyboard.press('Enter');
  }

  async function centre(locator: Locator): Promise<{ x: number; y: number }> {
    const box = await locator.boundingBox();
    assert.ok(box);
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  /**
   * What the answer shows a person: the sentence and captions, and for each
   * clock its accessible name, its drawn width, and where each hand points as
   * the browser drew it (which side of the centre the hand lies on).
   */
  async function readAnswer(page: Page) {
    const answer = page.locator('#answer');
    const clocks = [];
    for (const clock of await answer.locator('svg').all()) {
      const middle = await centre(clock);
      const hands = [];
      for (const line of await clock.locator('line').all()) {
        const halfway = await centre(line);
        hands.push({
          hand: await line.getAttribute('class'),
          points: `${halfway.y < middle.y ? 'up' : 'down'}-${halfway.x < middle.x ? 'left' : 'right'}`,
        });
      }
      const titleId = await clock.getAttribute('aria-labelledby');
      clocks.push({
        name: await page.locator(`#${String(titleId)}`).textContent(),
        width: Math.round((await clock.boundingBox())?.width ?? 0),
        hands,
      });
    }
    // The numerals on the faces are text too; a person reads the sentence and the captions.
    return { text: await answer.locator('p, figcaption').allInnerTexts(), clocks };
  }

  const ANSWER_12_22 = {
    text: [
      'In the mirror the clock reads 12:22, so the real time is 11:38.',
      'Seen in the mirror: 12:22',
      'The real clock: 11:38',
    ],
    clocks: [
      {
        name: 'A clock showing 11:38, seen in a mirror',
        width: 240,
        // Flipped: the hour hand just right of 12, the minute hand down to the right, as 12:22 would be.
        hands: [
          { hand: 'hour-hand', points: 'up-right' },
          { hand: 'minute-hand', points: 'down-right' },
        ],
      },
      {
        name: 'A clock showing 11:38',
        width: 240,
        hands: [
          { hand: 'hour-hand', points: 'up-left' },
          { hand: 'minute-hand', points: 'down-left' },
        ],
      },
    ],
  };

  test('a visitor types 12:22 with the keyboard and sees 11:38 and both clocks, drawn in place', async () => {
    const context = await running.browser.newContext({ viewport: { width: 900, height: 720 } });
    const { page, problems, documents, fetches } = await openPage(context);
    await page.goto(`${running.server.url}/mirror`);
    assert.deepEqual(await readAnswer(page), { text: [], clocks: [] });

    await typeTime(page, '12:22');
    await page.locator('#answer svg').nth(1).waitFor();
    await page.waitForURL(`${running.server.url}/mirror?time=12%3A22`);

    assert.deepEqual(await readAnswer(page), ANSWER_12_22);
    assert.equal(await page.title(), `${IDENTITY.name}: 12:22 in the mirror is 11:38`);
    // The script answered in place, once, when the input first held a whole time; Enter asked for nothing more.
    assert.deepEqual(documents, [`${running.server.url}/mirror`]);
    assert.deepEqual(fetches, [`${running.server.url}/mirror?time=12%3A22`]);
    assert.equal(await page.locator('#time:focus').count(), 1);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'mirror-12-22.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('without JavaScript the form still answers, through a plain GET', async () => {
    const context = await running.browser.newContext({ javaScriptEnabled: false });
    const { page, problems, documents } = await openPage(context);
    await page.goto(`${running.server.url}/mirror`);
    await typeTime(page, '12:22');
    await page.waitForURL(`${running.server.url}/mirror?time=12%3A22`);
    assert.deepEqual(await readAnswer(page), ANSWER_12_22);
    assert.deepEqual(documents, [`${running.server.url}/mirror`, `${running.server.url}/mirror?time=12%3A22`]);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'mirror-12-22-no-js.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a bad time shows the API message under the input, which is marked invalid', async () => {
    const context = await running.browser.newContext();
    const { page, problems, fetches } = await openPage(context);
    await page.goto(`${running.server.url}/mirror`);
    await typeTime(page, '13:20');
    const error = page.locator('#time-error');
    await error.waitFor();
    assert.equal(
      await error.innerText(),
      'time "13:20" is not valid: expected HH:MM or HH:MM:SS (hours 1-12, minutes and seconds 00-59)',
    );
    const input = page.locator('#time');
    assert.deepEqual(
      [await input.getAttribute('aria-invalid'), await input.getAttribute('aria-describedby')],
      ['true', 'time-hint time-error'],
    );
    assert.equal(await page.locator('#answer svg').count(), 0);

    // Correcting it clears the error: the answer follows the input as soon as it holds a whole time, no Enter needed.
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1:50');
    await page.locator('#answer svg').nth(1).waitFor();
    assert.equal(
      await page.locator('#answer p').innerText(),
      'In the mirror the clock reads 01:50, so the real time is 10:10.',
    );
    assert.deepEqual(
      [await input.getAttribute('aria-invalid'), await input.getAttribute('aria-describedby')],
      ['false', 'time-hint'],
    );
    assert.deepEqual(fetches, [
      `${running.server.url}/mirror?time=13%3A20`,
      `${running.server.url}/mirror?time=1%3A50`,
    ]);
    // Chromium logs the 400 answer to the script's fetch as a failed resource; nothing else may appear.
    assert.deepEqual(
      problems.filter((problem) => !problem.includes('status of 400')),
      [],
    );
    await context.close();
  });

  test("the link in the example's tag description in Swagger UI leads to the page", async () => {
    const context = await running.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${running.server.url}/`);
    // Swagger UI opens the description's links in a new tab.
    const [opened] = await Promise.all([
      context.waitForEvent('page'),
      page.locator('.opblock-tag a[href="/mirror"]').click(),
    ]);
    await opened.waitForLoadState();
    assert.equal(opened.url(), `${running.server.url}/mirror`);
    assert.equal(await opened.locator('h1').innerText(), 'The clock in the mirror');
    await context.close();
  });
});
