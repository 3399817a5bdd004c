import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Script } from 'node:vm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleTarget } from '../app.ts';
import { PAGE_HEADERS } from '../../../src/headers.ts';
import { ROOT } from '../../../tools/root.ts';
import { angleBetween, drawnHands, type DrawnHands, isWellFormedXml } from '../clock-geometry.ts';
import { IDENTITY } from '../../../src/identity.ts';

const { get } = await exampleTarget();

const svgs = (html: string) => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

/** Text content as a browser would read it: tags dropped, the five entities the page writes decoded. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(
      /&(lt|gt|quot|#39|amp);/g,
      (_, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[name] ?? '',
    );

function element(html: string, pattern: RegExp): string {
  const match = pattern.exec(html);
  assert.ok(match, `${String(pattern)} in the page`);
  return match[0];
}

function assertHands(svg: string, expected: DrawnHands) {
  const hands = drawnHands(svg);
  assert.ok(angleBetween(hands.hour, expected.hour) < 0.05, `hour hand at ${hands.hour}°`);
  assert.ok(angleBetween(hands.minute, expected.minute) < 0.05, `minute hand at ${hands.minute}°`);
}

suite('GET /mirror without JavaScript', () => {
  test('?time=12:22 renders the answer and both clocks on the server', async () => {
    const response = await get('/mirror?time=12:22');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    const answer = element(response.body, /<div id="answer"[\s\S]*?<\/div>\n/);
    assert.match(
      textOf(answer),
      /In the mirror the clock reads 12:22, so the real time is 11:38\.[\s\S]*Seen in the mirror: 12:22[\s\S]*The real clock: 11:38/,
    );
    assert.match(response.body, new RegExp(String.raw`<title>${IDENTITY.name}: 12:22 in the mirror is 11:38<\/title>`));

    const [seen, real, ...more] = svgs(response.body);
    assert.ok(seen !== undefined && real !== undefined);
    assert.deepEqual(more, []);
    for (const svg of [seen, real]) assert.ok(isWellFormedXml(svg));
    // The mirrored face of the 11:38 clock has its hands where 12:22's would be; the real one reads 11:38.
    assertHands(seen, { hour: 11, minute: 132 });
    assertHands(real, { hour: 349, minute: 228 });
    assert.match(seen, /<title id="mirror-clock-title">A clock showing 11:38, seen in a mirror<\/title>/);
    assert.match(real, /<title id="actual-clock-title">A clock showing 11:38<\/title>/);
  });

  test('seconds and a one-digit hour are answered in the same form as /clock', async () => {
    const response = await get('/mirror?time=2:11:30');
    assert.equal(response.statusCode, 200);
    assert.match(textOf(response.body), /reads 02:11:30, so the real time is 09:48:30\./);
    assert.match(response.body, /value="2:11:30"/);
    assert.equal(svgs(response.body).length, 2);
  });

  test('without a time: the form, and no clock yet', async () => {
    const response = await get('/mirror');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(svgs(response.body), []);
    assert.match(response.body, /<div id="answer" aria-live="polite"><\/div>/);
  });

  test('the form is a plain GET of /mirror with a labelled input named time', async () => {
    const { body } = await get('/mirror');
    const form = element(body, /<form[\s\S]*?<\/form>/);
    assert.match(form, /<form id="mirror-form" action="\/mirror" method="get">/);
    assert.match(form, /<label for="time">Time seen in the mirror<\/label>/);
    const input = element(form, /<input [^>]*>/);
    assert.match(input, / id="time" name="time" /);
    assert.match(input, / aria-describedby="time-hint"/);
    assert.match(form, /<p class="hint" id="time-hint">HH:MM or HH:MM:SS/);
    assert.match(form, /<button type="submit">/);
    // The input comes first, so one Tab from the top of the page reaches it.
    assert.ok(body.indexOf('<input') < body.indexOf('<a '));
  });

  test('no inline script, which the CSP would block: one script, from /mirror.js', async () => {
    const response = await get('/mirror?time=12:22');
    assert.deepEqual(response.body.match(/<script[^>]*>/g), ['<script src="/mirror.js" defer>']);
    assert.doesNotMatch(response.body, /<script[^>]*>[^<]/);
    assert.doesNotMatch(response.body, /\son[a-z]+=/i);
    for (const [name, value] of Object.entries(PAGE_HEADERS)) assert.equal(response.headers[name], value, name);
  });
});

suite('GET /mirror with a bad time', () => {
  for (const value of ['13:20', '12:5', '', '١٢:٢٢']) {
    test(`time=${JSON.stringify(value)}: 400, and the message /clock gives, in the page`, async () => {
      const query = encodeURIComponent(value);
      const page = await get(`/mirror?time=${query}`);
      const { message } = (await get(`/clock?mirror_time=${query}`)).json<{ message: string }>();
      assert.equal(page.statusCode, 400);
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
      const error = element(page.body, /<p class="error" id="time-error">[\s\S]*?<\/p>/);
      assert.equal(textOf(error), message.replace(/^mirror_time /, 'time '));
      // The input names the error, so a screen reader reads it with the input.
      assert.match(page.body, / aria-describedby="time-hint time-error" aria-invalid="true">/);
      assert.deepEqual(svgs(page.body), []);
    });
  }

  test('the value is shown again, escaped, so it can be corrected', async () => {
    const page = await get(`/mirror?time=${encodeURIComponent('"><script>alert(1)</script>')}`);
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.doesNotMatch(page.body, /<script>alert/);
  });

  test('an unknown parameter and a repeated time get the shared messages too', async () => {
    const unknown = await get('/mirror?mirror_time=12:22');
    assert.equal(unknown.statusCode, 400);
    assert.equal(
      textOf(element(unknown.body, /<p class="error"[\s\S]*?<\/p>/)),
      'unknown query parameter "mirror_time": expected only time',
    );
    const twice = await get('/mirror?time=1:00&time=2:00');
    assert.equal(twice.statusCode, 400);
    assert.equal(
      textOf(element(twice.body, /<p class="error"[\s\S]*?<\/p>/)),
      'time was given 2 times: expected it once',
    );
    // A repeated value is not one string, so the input starts empty.
    assert.match(twice.body, / name="time" value="" /);
  });

  test('a valid time leaves the input described by the hint alone, and valid', async () => {
    assert.match((await get('/mirror?time=12:22')).body, / aria-describedby="time-hint" aria-invalid="false">/);
  });
});

suite('GET /mirror.js', () => {
  test('is JavaScript that parses, and fetches the page it enhances', async () => {
    const response = await get('/mirror.js');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.doesNotThrow(() => new Script(response.body, { filename: 'mirror.js' }));
    assert.match(response.body, /\bfetch\(/);
    // The ids it looks up are the page's own, and the script served is the one bundled from that source.
    const { body: page } = await get('/mirror');
    const source = readFileSync(join(ROOT, 'src/example/mirror-page/browser/mirror.ts'), 'utf8');
    const ids = [...source.matchAll(/element\(\w+, '([^']+)'/g)].map(([, id]) => id!);
    assert.deepEqual([...new Set(ids)].sort(), ['answer', 'mirror-form', 'time']);
    for (const id of ids) {
      assert.match(page, new RegExp(`id="${id}"`), `#${id}`);
      assert.ok(response.body.includes(`"${id}"`), `the script looks up #${id}`);
    }
  });
});

suite('links to the page', () => {
  test("the example's tag description in Swagger UI links to /mirror, and /mirror answers", async () => {
    const document = (await get('/openapi.json')).json<{
      tags: { name: string; description: string }[];
      paths: object;
    }>();
    const clock = document.tags.find((tag) => tag.name === 'clock')!;
    const links = [...clock.description.matchAll(/\]\((\/[^)]*)\)/g)].map(([, href]) => href);
    assert.deepEqual(links, ['/mirror']);
    assert.equal((await get('/mirror')).statusCode, 200);
    // The page is for people, not part of the API.
    assert.equal(Object.keys(document.paths).includes('/mirror'), false);
  });
});
