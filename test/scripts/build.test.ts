/**
 * The bundle (`npm run build`, scripts/build.ts): what it holds, what it loads, and that it answers as the source does
 * (test/helpers/bundle.ts). Every other test of the app runs src/ with schemas compiled at start-up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyServerOptions } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { IDENTITY } from '../../src/identity.ts';
import { SERVICE_ROUTES } from '../../src/service.ts';
import { ROOT } from '../../tools/root.ts';
import { sameAnswersAsTheSource } from '../helpers/bundle.ts';

/** Every schema the app compiles, named as scripts/build.ts keys the compiled functions it puts in the bundle. */
async function compiledSchemaKeys(): Promise<string[]> {
  const keys: string[] = [];
  const record =
    () => (route: { method?: string; url?: string; httpPart?: string; httpStatus?: string; contentType?: string }) => {
      keys.push(
        [route.method, route.url, route.httpPart ?? route.httpStatus, route.contentType].filter(Boolean).join(' '),
      );
      return () => true;
    };
  const schemaController = {
    compilersFactory: { buildValidator: record, buildSerializer: record },
  } as unknown as FastifyServerOptions['schemaController'];
  const app = await buildApp({ routes: SERVICE_ROUTES, schemaController });
  await app.ready();
  await app.close();
  return keys;
}

test('dist/server.js carries every route schema the service compiles, compiled at build time', async () => {
  const text = readFileSync(join(ROOT, 'dist/server.js'), 'utf8');
  const keys = await compiledSchemaKeys();
  assert.ok(keys.includes(`GET ${IDENTITY.healthPath} 200`), keys.join('\n'));
  assert.deepEqual(
    keys.filter((key) => !text.includes(JSON.stringify(key))),
    [],
  );
});

test('the started bundle has not loaded undici, which an ES import of node:http would (nodejs/node#59686)', () => {
  const script = [
    "const { main } = await import('./dist/server.js');",
    "const running = await main({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });",
    'await running.shutdown();',
    'console.log(JSON.stringify(process.moduleLoadList));',
  ].join('\n');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const loaded = JSON.parse(run.stdout) as string[];
  assert.ok(loaded.includes('NativeModule http'), 'the list names the built-ins loaded');
  assert.deepEqual(
    loaded.filter((module) => module.includes('undici')),
    [],
  );
});

// The platform's routes, a path with no route, and every check the deployed service must pass (src/identity.ts).
sameAnswersAsTheSource('the bundle, against the source', [
  { url: IDENTITY.healthPath },
  { method: 'HEAD', url: IDENTITY.healthPath },
  // The health check's 400, through the shared ErrorBody.
  { url: `${IDENTITY.healthPath}?verbose=1` },
  { url: '/openapi.json' },
  { url: '/nope' },
  ...IDENTITY.checks.flatMap(({ path }) => [{ url: path }, { method: 'HEAD' as const, url: path }]),
]);
