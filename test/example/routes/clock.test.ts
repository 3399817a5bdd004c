import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertHeaderSet, type HeaderSet } from '../../helpers/header-sets.ts';
import { inProcessOnly } from '../../helpers/target.ts';
import { exampleTarget } from '../app.ts';

const EXPECTED = 'expected HH:MM or HH:MM:SS (hours 1-12, minutes and seconds 00-59)';
const badRequest = (message: string) => ({ statusCode: 400, error: 'Bad Request', message });

const { get, request } = await exampleTarget();

suite('GET /clock', () => {
  test('answers the mirror time and the real time as JSON', async () => {
    const response = await get('/clock?mirror_time=12:22');
    assert.equal(response.statusCode, 200);
    // RFC 8259 defines no charset parameter for JSON: it is UTF-8.
    assert.equal(response.headers['content-type'], 'application/json');
    assert.deepEqual(response.json(), { mirror_time: '12:22', actual_time: '11:38' });
  });

  for (const [seen, actual] of [
    ['05:25', '06:35'],
    ['01:50', '10:10'],
    ['11:58', '12:02'],
    ['12:01', '11:59'],
    ['12:00', '12:00'],
  ]) {
    test(`${seen} → ${actual}`, async () => {
      assert.deepEqual((await get(`/clock?mirror_time=${seen}`)).json(), { mirror_time: seen, actual_time: actual });
    });
  }

  test('normalises a one-digit hour', async () => {
    assert.deepEqual((await get('/clock?mirror_time=2:11')).json(), { mirror_time: '02:11', actual_time: '09:49' });
  });

  test('answers seconds in the same form', async () => {
    assert.deepEqual((await get('/clock?mirror_time=12:22:30')).json(), {
      mirror_time: '12:22:30',
      actual_time: '11:37:30',
    });
  });

  test('accepts percent-encoded colons', async () => {
    assert.deepEqual((await get('/clock?mirror_time=12%3A22')).json(), { mirror_time: '12:22', actual_time: '11:38' });
  });

  test('with Accept: text/plain, answers the real time as a string', async () => {
    const response = await get('/clock?mirror_time=12:22', { accept: 'text/plain' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(response.body, '11:38');
  });

  test('JSON stays the default when the client accepts both', async () => {
    for (const accept of ['*/*', 'application/json', 'text/plain;q=0.5, application/json', 'text/*;q=0.1, */*']) {
      const response = await get('/clock?mirror_time=12:22', { accept });
      assert.deepEqual(response.json(), { mirror_time: '12:22', actual_time: '11:38' }, accept);
    }
  });

  test('prefers plain text when the client ranks it higher, or names it first at the same q-value', async () => {
    for (const accept of ['application/json;q=0.2, text/plain', 'text/plain, application/json', 'text/*, */*;q=0.9']) {
      const response = await get('/clock?mirror_time=12:22', { accept });
      assert.equal(response.body, '11:38', accept);
    }
  });

  test('an Accept header that allows neither gets a 406 that says what is offered', async () => {
    const response = await get('/clock?mirror_time=12:22', { accept: 'image/png' });
    assert.equal(response.statusCode, 406);
    assert.deepEqual(response.json(), {
      statusCode: 406,
      error: 'Not Acceptable',
      message: 'Accept "image/png" allows neither application/json nor text/plain',
    });
  });
});

suite('GET /clock: caching', () => {
  test('carries an ETag, a week of Cache-Control, and Vary: accept', async () => {
    const response = await get('/clock?mirror_time=12:22');
    assert.match(String(response.headers.etag), /^"[A-Za-z0-9_-]{6}"$/);
    assert.equal(response.headers['cache-control'], 'max-age=604800');
    assert.equal(response.headers.vary, 'accept');
  });

  test('the same answer has the same ETag, however the time was spelt', async () => {
    const a = await get('/clock?mirror_time=2:11');
    const b = await get('/clock?mirror_time=02:11');
    assert.equal(a.body, b.body);
    assert.equal(a.headers.etag, b.headers.etag);
    assert.notEqual(a.headers.etag, (await get('/clock?mirror_time=2:12')).headers.etag);
  });

  test('JSON and plain text, two representations, have different ETags', async () => {
    const json = await get('/clock?mirror_time=12:22');
    const text = await get('/clock?mirror_time=12:22', { accept: 'text/plain' });
    assert.notEqual(json.headers.etag, text.headers.etag);
  });

  test('a matching If-None-Match gets 304 with no body, and the same validators', async () => {
    for (const accept of ['application/json', 'text/plain']) {
      const first = await get('/clock?mirror_time=12:22', { accept });
      const etag = String(first.headers.etag);
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const again = await get('/clock?mirror_time=12:22', { accept, 'if-none-match': ifNoneMatch });
        assert.equal(again.statusCode, 304, ifNoneMatch);
        assert.equal(again.body, '');
        assert.equal(again.headers.etag, etag);
        assert.equal(again.headers['cache-control'], 'max-age=604800');
        assert.equal(again.headers.vary, 'accept');
      }
    }
  });

  test('an If-None-Match naming another ETag gets the whole answer', async () => {
    const response = await get('/clock?mirror_time=12:22', { 'if-none-match': '"stale1"' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { mirror_time: '12:22', actual_time: '11:38' });
  });

  test(
    'answers stay right past the memo of serialised answers (1,024 entries)',
    inProcessOnly("1,100 requests, for the memo of one process, would count against the WAF's per-IP rate"),
    async () => {
      // 1,100 distinct times fill the memo and make it start again; every answer must still be right.
      for (let minute = 0; minute < 1100; minute++) {
        const h = Math.floor(minute / 60) % 12 || 12;
        const m = minute % 60;
        const seen = `${h}:${String(m).padStart(2, '0')}:${String(Math.floor(minute / 720) * 7).padStart(2, '0')}`;
        const response = await get(`/clock?mirror_time=${seen}`);
        assert.equal(response.statusCode, 200, seen);
        const { mirror_time, actual_time } = response.json<{ mirror_time: string; actual_time: string }>();
        const [hh, mm, ss] = mirror_time.split(':').map(Number) as [number, number, number];
        const [ah, am, as] = actual_time.split(':').map(Number) as [number, number, number];
        const total = (hh % 12) * 3600 + mm * 60 + ss + (ah % 12) * 3600 + am * 60 + as;
        assert.equal(total % 43_200, 0, `${seen} -> ${actual_time}`);
      }
    },
  );

  test('errors are not cached', async () => {
    for (const [url, accept] of [
      ['/clock?mirror_time=13:20', '*/*'],
      ['/clock?mirror_time=12:22', 'image/png'],
    ] as const) {
      const response = await get(url, { accept });
      assert.equal(response.headers['cache-control'], 'no-store', url);
      assert.equal(response.headers.etag, undefined, url);
    }
  });
});

suite('GET /clock with bad input', () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    ['an hour of 13', '/clock?mirror_time=13:20', `mirror_time "13:20" is not valid: ${EXPECTED}`],
    ['an hour of 00', '/clock?mirror_time=00:20', `mirror_time "00:20" is not valid: ${EXPECTED}`],
    ['60 minutes', '/clock?mirror_time=12:60', `mirror_time "12:60" is not valid: ${EXPECTED}`],
    ['one-digit minutes', '/clock?mirror_time=1:5', `mirror_time "1:5" is not valid: ${EXPECTED}`],
    ['60 seconds', '/clock?mirror_time=12:22:60', `mirror_time "12:22:60" is not valid: ${EXPECTED}`],
    ['no parameter', '/clock', `mirror_time is required: ${EXPECTED}`],
    ['no parameter, but a question mark', '/clock?', `mirror_time is required: ${EXPECTED}`],
    ['an empty value', '/clock?mirror_time=', `mirror_time "" is not valid: ${EXPECTED}`],
    ['a name without a value', '/clock?mirror_time', `mirror_time "" is not valid: ${EXPECTED}`],
    [
      'a repeated parameter',
      '/clock?mirror_time=12:22&mirror_time=1:00',
      'mirror_time was given 2 times: expected it once',
    ],
    [
      'Arabic-Indic digits',
      '/clock?mirror_time=%D9%A1%D9%A2:%D9%A2%D9%A2',
      `mirror_time "\\u0661\\u0662:\\u0662\\u0662" is not valid: ${EXPECTED}`,
    ],
    [
      'full-width digits',
      '/clock?mirror_time=%EF%BC%91%EF%BC%92:22',
      `mirror_time "\\uff11\\uff12:22" is not valid: ${EXPECTED}`,
    ],
    ['malformed percent-encoding', '/clock?mirror_time=%E0%A4%A', `mirror_time "%E0%A4%A" is not valid: ${EXPECTED}`],
    ['a lone percent sign', '/clock?mirror_time=12%:22', `mirror_time "12%:22" is not valid: ${EXPECTED}`],
    [
      'an unknown parameter',
      '/clock?mirror_time=12:22&verbose=1',
      'unknown query parameter "verbose": expected only mirror_time',
    ],
    ['a misspelt parameter', '/clock?mirror-time=12:22', `mirror_time is required: ${EXPECTED}`],
    ['markup', '/clock?mirror_time=%3Cscript%3E', `mirror_time "\\u003cscript\\u003e" is not valid: ${EXPECTED}`],
    ['quotes and backslashes', '/clock?mirror_time=%22%5C', `mirror_time "\\"\\\\" is not valid: ${EXPECTED}`],
  ];
  for (const [name, url, message] of cases) {
    test(`${name} gets a 400 that says what is wrong`, async () => {
      const response = await get(url);
      assert.equal(response.statusCode, 400);
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(response.json(), badRequest(message));
    });
  }

  test('a long value is cut short in the message', async () => {
    const response = await get(`/clock?mirror_time=${'9'.repeat(5000)}`);
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), badRequest(`mirror_time "${'9'.repeat(40)}…" is not valid: ${EXPECTED}`));
  });

  test(
    'an over-long query string with many parameters gets a 400, not a 5xx',
    inProcessOnly('a CDN or load balancer answers a 20 kB URL itself'),
    async () => {
      const query = Array.from({ length: 2000 }, (_, i) => `p${i}=${i}`).join('&');
      const response = await get(`/clock?mirror_time=12:22&${query}`);
      assert.equal(response.statusCode, 400);
      assert.deepEqual(response.json(), badRequest('unknown query parameter "p0": expected only mirror_time'));
    },
  );

  test('bracketed array and object syntax are not special: they are unknown parameters', async () => {
    const response = await get('/clock?mirror_time=12:22&mirror_time[]=1:00');
    assert.deepEqual(response.json(), badRequest('unknown query parameter "mirror_time[]": expected only mirror_time'));
  });
});

suite("the example's routes, HEAD and headers", () => {
  for (const url of ['/clock?mirror_time=12:22', '/clock?mirror_time=13:20', '/clock.svg?time=12:22', '/mirror']) {
    test(`HEAD ${url} answers like GET, without a body`, async () => {
      const [head, getResponse] = await Promise.all([request({ method: 'HEAD', url }), get(url)]);
      assert.equal(head.statusCode, getResponse.statusCode);
      assert.equal(head.headers['content-type'], getResponse.headers['content-type']);
      assert.equal(head.body, '');
    });
  }

  const cases: ReadonlyArray<{ url: string; set: HeaderSet; cacheable?: string[]; accept?: string }> = [
    { url: '/clock?mirror_time=12:22', set: 'api', cacheable: ['etag', 'vary'] },
    { url: '/clock?mirror_time=12:22', set: 'api', cacheable: ['etag', 'vary'], accept: 'text/plain' },
    { url: '/clock?mirror_time=12:22', set: 'api', accept: 'image/png' },
    { url: '/clock?mirror_time=13:20', set: 'api' },
    { url: '/mirror', set: 'page' },
    { url: '/clock.svg?time=12:22', set: 'page', cacheable: ['etag'] },
  ];
  for (const { url, set, cacheable = [], accept } of cases) {
    test(
      `${url}${accept ? ` (Accept: ${accept})` : ''} carries exactly the ${set} set`,
      inProcessOnly('a load balancer or CDN adds headers of its own'),
      async () => {
        assertHeaderSet(await get(url, accept ? { accept } : {}), set, cacheable);
      },
    );
  }

  test('answers that may not be cached say no-store', async () => {
    for (const url of ['/clock?mirror_time=13:20', '/mirror']) {
      assert.equal((await get(url)).headers['cache-control'], 'no-store', url);
    }
  });

  test(
    'HSTS only when the load balancer received the request over HTTPS',
    inProcessOnly('the load balancer sets X-Forwarded-Proto itself'),
    async () => {
      for (const url of ['/clock?mirror_time=12:22', '/clock?mirror_time=12:22&x=1', '/mirror']) {
        const https = await get(url, { 'x-forwarded-proto': 'https' });
        assert.equal(https.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', url);
        const http = await get(url, { 'x-forwarded-proto': 'http' });
        assert.equal(http.headers['strict-transport-security'], undefined, url);
      }
    },
  );
});
