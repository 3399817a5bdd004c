import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needsBrowser, SCREENSHOT_DIR, useBrowserAndServer } from '../../helpers/browser.ts';

suite('Swagger UI in a browser, with the clock', needsBrowser, () => {
  const running = useBrowserAndServer();

  test('Swagger UI at / lists GET /clock, and "Try it out" with 12:22 shows 11:38', async () => {
    const page = await running.browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${running.server.url}/`);
    const operation = page.locator('#operations-clock-getClock');
    await operation.waitFor();
    assert.match(await operation.locator('.opblock-summary').innerText(), /GET\s*\/clock/);
    // Operations are expanded on load (docExpansion: full).
    await operation.locator('.opblock-body').waitFor();

    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.locator('input[placeholder="mirror_time"]').fill('12:22');
    await operation.getByRole('button', { name: 'Execute' }).click();

    const body = operation.locator('.responses-wrapper .live-responses-table .response-col_description pre').first();
    await body.waitFor();
    assert.deepEqual(JSON.parse(await body.innerText()), { mirror_time: '12:22', actual_time: '11:38' });

    await page.screenshot({ path: join(SCREENSHOT_DIR, 'swagger-ui.png'), fullPage: true });
    // The CSP must let Swagger UI run: a violation would show up as a console error.
    assert.deepEqual(problems, []);
    await page.close();
  });
});
