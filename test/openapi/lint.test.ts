/**
 * The document the running app serves, as a standard linter reads it: Redocly CLI's recommended rules
 * (redocly.yaml), with no error and no warning: the platform's routes and the service's own (src/service.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCUMENT_PATH } from '../../src/routes/docs.ts';
import { SERVICE_ROUTES } from '../../src/service.ts';
import { lintDocument, listeningApp } from '../helpers/openapi.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

test('the served OpenAPI document passes the recommended rules of Redocly CLI with no error and no warning', async (t) => {
  const { url } = await listeningApp({ routes: SERVICE_ROUTES });
  const response = await fetch(`${url}${DOCUMENT_PATH}`);
  assert.equal(response.status, 200);
  const file = join(temporaryFolder('openapi-lint', t), 'openapi.json');
  writeFileSync(file, await response.text());

  const report = await lintDocument(file);
  // The findings themselves, so that a failure says what to fix.
  assert.deepEqual(report.findings, []);
  assert.deepEqual({ errors: report.errors, warnings: report.warnings }, { errors: 0, warnings: 0 });
});
