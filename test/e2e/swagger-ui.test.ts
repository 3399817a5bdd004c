import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { IDENTITY } from '../../src/identity.ts';
import { needsBrowser, SCREENSHOT_DIR, useBrowserAndServer } from '../helpers/browser.ts';

suite('Swagger UI in a browser', needsBrowser, () => {
  const running = useBrowserAndServer();

  test('Swagger UI at / shows the service by name, and "Try it out" on the health check answers ok', async () => {
    const page = await running.browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${running.server.url}/`);
    await page.locator('.info .title').waitFor();
    assert.match(await page.locator('.info .title').innerText(), new RegExp(`^${IDENTITY.name}`));
    // Swagger UI's id for an operation: operations-<tag>-<method>_<path, with / as _>.
    const operation = page.locator(`#operations-operations-get${IDENTITY.healthPath.replaceAll('/', '_')}`);
    // Operations are expanded on load (docExpansion: full).
    await operation.locator('.opblock-body').waitFor();

    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();
    const body = operation.locator('.responses-wrapper .live-responses-table .response-col_description pre').first();
    await body.waitFor();
    assert.deepEqual(JSON.parse(await body.innerText()), { status: 'ok' });

    await page.screenshot({ path: join(SCREENSHOT_DIR, 'swagger-ui.png'), fullPage: true });
    // The CSP must let Swagger UI run: a violation would show up as a console error.
    assert.deepEqual(problems, []);
    await page.close();
  });
});
