/**
 * Swagger UI as a visitor sees it: the service's page, not the framework's, reading the one document at
 * /openapi.json, with "Try it out" working under the CSP. It uses the platform's own route, the health check.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { IDENTITY } from '../../src/identity.ts';
import { needsBrowser, useBrowserAndServer } from '../helpers/browser.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

suite('Swagger UI in a browser', needsBrowser, () => {
  const running = useBrowserAndServer();

  test('GIVEN Swagger UI at / WHEN it loads THEN it shows the service by name, reads /openapi.json alone, shows no framework logo, and "Try it out" on the health check shows the answer', async (t) => {
    const { info } = (await (await fetch(`${running.server.url}/openapi.json`)).json()) as { info: { title: string } };
    const page = await running.browser.newPage();
    t.after(() => page.close());
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
    page.on('request', (request) => requests.push(`${request.resourceType()} ${request.url()}`));
    // Init scripts run outside the page's CSP, so this listener hears of every violation, logged or not.
    await page.exposeFunction('reportViolation', (text: string) => problems.push(`CSP: ${text}`));
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' blocked ' + e.blockedURI));",
    });

    await page.goto(`${running.server.url}/`);
    const operation = page.locator('#operations-operations-getHealth');
    await operation.waitFor();

    assert.equal(await page.title(), info.title);
    // The heading, which goes on with the version.
    assert.match(await page.getByRole('heading', { level: 1 }).innerText(), new RegExp(`^${info.title}\\b`));
    // Neither Fastify's logo nor Swagger's: the top bar that holds them is not shown, and no image is.
    assert.equal(await page.locator('.topbar').isVisible(), false);
    assert.equal(
      await page
        .locator('img:visible, svg:visible')
        .filter({ hasText: /fastify|swagger/i })
        .count(),
      0,
    );
    assert.equal(await page.locator('img:visible').count(), 0);
    const documents = requests.filter((request) => /^(fetch|xhr) /.test(request));
    assert.deepEqual(documents, [`fetch ${running.server.url}/openapi.json`]);
    assert.deepEqual(
      requests.filter((request) => /\/(json|yaml)$|logo/.test(request)),
      [],
    );

    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();
    const body = operation.locator('.responses-wrapper .live-responses-table .response-col_description pre').first();
    await body.waitFor();
    assert.deepEqual(JSON.parse(await body.innerText()), { status: 'ok' });
    assert.ok(requests.includes(`fetch ${running.server.url}${IDENTITY.healthPath}`), requests.join('\n'));

    const screenshot = join(temporaryFolder('swagger-ui', t), 'swagger-ui.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(statSync(screenshot).size > 0);
    // The CSP must let Swagger UI run: a violation would show up here.
    assert.deepEqual(problems, []);
  });
});
