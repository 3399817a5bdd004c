import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config.ts';

suite('loadConfig', () => {
  test('defaults suit a container behind an ALB', () => {
    assert.deepEqual(loadConfig({}), {
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'info',
      logRequests: false,
      keepAliveTimeoutMs: 65_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      shutdownTimeoutMs: 10_000,
    });
  });

  test('the keep-alive timeout outlasts the ALB idle timeout of 60 s by default', () => {
    assert.ok(loadConfig({}).keepAliveTimeoutMs > 60_000);
  });

  test('reads every variable', () => {
    assert.deepEqual(
      loadConfig({
        PORT: '3000',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'debug',
        LOG_REQUESTS: 'true',
        KEEP_ALIVE_TIMEOUT_MS: '70000',
        HEADERS_TIMEOUT_MS: '5000',
        REQUEST_TIMEOUT_MS: '6000',
        SHUTDOWN_TIMEOUT_MS: '0',
      }),
      {
        port: 3000,
        host: '127.0.0.1',
        logLevel: 'debug',
        logRequests: true,
        keepAliveTimeoutMs: 70_000,
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 6_000,
        shutdownTimeoutMs: 0,
      },
    );
  });

  test('an empty variable means the default', () => {
    assert.equal(loadConfig({ PORT: '', LOG_LEVEL: '' }).port, 8080);
  });

  const invalid: ReadonlyArray<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT="abc" is invalid: expected a whole number from 0 to 65535'],
    [{ PORT: '70000' }, 'PORT="70000" is invalid: expected a whole number from 0 to 65535'],
    [{ PORT: '-1' }, 'PORT="-1" is invalid: expected a whole number from 0 to 65535'],
    [{ PORT: '80.5' }, 'PORT="80.5" is invalid: expected a whole number from 0 to 65535'],
    [{ PORT: '0x50' }, 'PORT="0x50" is invalid: expected a whole number from 0 to 65535'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL="loud" is invalid: expected one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ LOG_REQUESTS: 'yes' }, 'LOG_REQUESTS="yes" is invalid: expected one of true, false'],
    [
      { KEEP_ALIVE_TIMEOUT_MS: '10' },
      'KEEP_ALIVE_TIMEOUT_MS="10" is invalid: expected a whole number from 1000 to 3600000',
    ],
    [
      { HEADERS_TIMEOUT_MS: '40000', REQUEST_TIMEOUT_MS: '30000' },
      'HEADERS_TIMEOUT_MS=40000 is invalid: expected at most REQUEST_TIMEOUT_MS (30000)',
    ],
  ];
  for (const [env, message] of invalid) {
    test(`${JSON.stringify(env)} is refused with a message naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }
});
