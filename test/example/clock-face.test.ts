import { readFileSync } from 'node:fs';
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CLOCK_VIEWS, clockFace } from '../../src/example/clock-face.ts';
import { formatTime, mirror, parseTime, type ClockTime } from '../../src/example/mirror.ts';
import {
  angleBetween,
  apply,
  determinant,
  drawnElements,
  drawnHands,
  type DrawnHands,
  isWellFormedXml,
} from './clock-geometry.ts';
import { README_CLOCK_PATH, renderReadmeClock } from '../../src/example/render-readme-clock.ts';

/** Coordinates are written to hundredths of a unit; on a 46-unit hand that is under 0.03 degrees. */
const TOLERANCE_DEGREES = 0.05;

function at(text: string): ClockTime {
  const time = parseTime(text);
  assert.ok(time, `${text} is a time`);
  return time;
}

function assertHands(actual: DrawnHands, expected: DrawnHands, label: string): void {
  for (const hand of ['hour', 'minute', 'second'] as const) {
    const a = actual[hand];
    const e = expected[hand];
    if (e === undefined || a === undefined) {
      assert.equal(a, e, `${label}: ${hand} hand`);
      continue;
    }
    assert.ok(angleBetween(a, e) < TOLERANCE_DEGREES, `${label}: ${hand} hand at ${a}°, expected ${e}°`);
  }
}

const validTime = fc
  .record({
    hours: fc.integer({ min: 1, max: 12 }),
    minutes: fc.integer({ min: 0, max: 59 }),
    seconds: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
  })
  .map(({ seconds, ...hm }): ClockTime => (seconds === undefined ? hm : { ...hm, seconds }));

suite('clockFace: the hands, measured from the coordinates as drawn', () => {
  // Degrees clockwise from 12, worked out by hand: the hour hand moves 30° an hour and 0.5° a minute.
  const cases: ReadonlyArray<[string, DrawnHands]> = [
    ['12:22', { hour: 11, minute: 132 }],
    ['03:00', { hour: 90, minute: 0 }],
    ['06:30', { hour: 195, minute: 180 }],
    ['11:38', { hour: 349, minute: 228 }],
    ['12:22:30', { hour: 11.25, minute: 135, second: 180 }],
    ['09:45:15', { hour: 292.625, minute: 271.5, second: 90 }],
  ];
  for (const [time, expected] of cases) {
    test(`${time}, seen straight on`, () => {
      assertHands(drawnHands(clockFace(at(time), 'actual')), expected, time);
    });
  }

  test('12:22 in the mirror: both hands swing to the other side of 12', () => {
    // Flipping left to right turns an angle θ into 360° - θ.
    assertHands(drawnHands(clockFace(at('12:22'), 'mirror')), { hour: 349, minute: 228 }, 'mirror 12:22');
    assertHands(drawnHands(clockFace(at('03:00'), 'mirror')), { hour: 270, minute: 0 }, 'mirror 03:00');
    assertHands(drawnHands(clockFace(at('06:30'), 'mirror')), { hour: 165, minute: 180 }, 'mirror 06:30');
  });

  test('the mirror view of t draws the same hands as the actual view of mirror(t)', () => {
    fc.assert(
      fc.property(validTime, (time) => {
        assertHands(
          drawnHands(clockFace(time, 'mirror')),
          drawnHands(clockFace(mirror(time), 'actual')),
          formatTime(time),
        );
      }),
    );
  });

  test('the hour hand creeps on with the minutes: half a degree a minute', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 58 }), (hours, minutes) => {
        const before = drawnHands(clockFace({ hours, minutes }, 'actual')).hour;
        const after = drawnHands(clockFace({ hours, minutes: minutes + 1 }, 'actual')).hour;
        assert.ok(Math.abs(angleBetween(before, after) - 0.5) < TOLERANCE_DEGREES);
      }),
    );
  });

  test('a second hand appears only when the time has seconds', () => {
    assert.equal(drawnHands(clockFace(at('12:22'), 'actual')).second, undefined);
    assert.notEqual(drawnHands(clockFace(at('12:22:00'), 'actual')).second, undefined);
  });

  test('the hands get longer from hour to minute to second', () => {
    const length = (svg: string, name: string) => {
      const line = drawnElements(svg).find((e) => e.attributes.class === `${name}-hand`);
      assert.ok(line);
      return Math.hypot(Number(line.attributes.x2), Number(line.attributes.y2));
    };
    const svg = clockFace(at('04:10:40'), 'actual');
    assert.ok(length(svg, 'hour') < length(svg, 'minute'));
    assert.ok(length(svg, 'minute') < length(svg, 'second'));
  });
});

suite('clockFace: the face', () => {
  test('is well-formed XML in both views, with and without seconds', () => {
    fc.assert(
      fc.property(validTime, fc.constantFrom(...CLOCK_VIEWS), (time, view) => {
        assert.ok(isWellFormedXml(clockFace(time, view)));
      }),
    );
    // The check itself can fail.
    assert.equal(isWellFormedXml('<svg><g></svg>'), false);
  });

  for (const view of CLOCK_VIEWS) {
    test(`${view} view: twelve hour marks, the numerals 1 to 12, a title and a description`, () => {
      const elements = drawnElements(clockFace(at('12:22'), view));
      const numerals = elements.filter((e) => e.tag === 'text').map((e) => e.text);
      assert.deepEqual(
        numerals,
        Array.from({ length: 12 }, (_, i) => String(i + 1)),
      );
      const hourMarks = elements.find((e) => e.tag === 'path' && e.attributes['stroke-width'] === '3.5');
      assert.equal(hourMarks?.attributes.d?.match(/M/g)?.length, 12);
      const root = elements[0];
      assert.equal(root?.tag, 'svg');
      const title = elements.find((e) => e.tag === 'title');
      const desc = elements.find((e) => e.tag === 'desc');
      assert.equal(root.attributes['aria-labelledby'], title?.attributes.id);
      assert.equal(root.attributes['aria-describedby'], desc?.attributes.id);
      assert.equal(root.attributes.role, 'img');
    });
  }

  test('the mirror flips the numerals too: 3 is drawn on the left, reversed', () => {
    const three = (view: (typeof CLOCK_VIEWS)[number]) => {
      const element = drawnElements(clockFace(at('12:22'), view)).find((e) => e.tag === 'text' && e.text === '3');
      assert.ok(element);
      return {
        x: apply(element.toScreen, Number(element.attributes.x), Number(element.attributes.y)).x,
        reversed: determinant(element.toScreen) < 0,
      };
    };
    assert.deepEqual(three('actual'), { x: 67, reversed: false });
    assert.deepEqual(three('mirror'), { x: -67, reversed: true });
  });

  test('titles and descriptions say what is drawn', () => {
    const text = (svg: string, tag: string) => drawnElements(svg).find((e) => e.tag === tag)?.text;
    const actual = clockFace(at('11:38'), 'actual');
    const mirrored = clockFace(at('11:38'), 'mirror');
    assert.equal(text(actual, 'title'), 'A clock showing 11:38');
    assert.equal(text(mirrored, 'title'), 'A clock showing 11:38, seen in a mirror');
    assert.match(text(mirrored, 'desc') ?? '', /flipped left to right.*ordinary clock's would at 12:22\./);
  });

  test('the two views use different ids, so one page can hold both', () => {
    const ids = (svg: string) =>
      drawnElements(svg).flatMap((e) => (e.attributes.id === undefined ? [] : [e.attributes.id]));
    const all = [...ids(clockFace(at('12:22'), 'actual')), ...ids(clockFace(at('12:22'), 'mirror'))];
    assert.equal(new Set(all).size, all.length);
    assert.equal(all.length, 4);
  });

  test('is small and self-contained: no embedded font, image or script', () => {
    const svg = clockFace(at('12:22:30'), 'mirror');
    assert.ok(Buffer.byteLength(svg) < 4096, `${Buffer.byteLength(svg)} bytes`);
    assert.doesNotMatch(svg, /<image|<script|<style|@font-face|data:|href=/);
    assert.deepEqual([...new Set(drawnElements(svg).map((e) => e.tag))].sort(), [
      'circle',
      'desc',
      'g',
      'line',
      'path',
      'svg',
      'text',
      'title',
    ]);
  });
});

suite('the README picture', () => {
  test('docs/mirror-12-22.svg is what the code draws now (npm run render:readme-clock)', () => {
    const rendered = renderReadmeClock();
    assert.equal(readFileSync(README_CLOCK_PATH, 'utf8'), rendered);
    assert.ok(isWellFormedXml(rendered));
  });

  test('it shows 12:22 in the mirror beside the real 11:38', () => {
    const faces = renderReadmeClock().match(
      /<svg[^>]*role="img" aria-labelledby="(mirror|actual)-clock-title"[\s\S]*?<\/svg>/g,
    );
    assert.equal(faces?.length, 2);
    const [seen, real] = faces.map((face) => drawnHands(face));
    assertHands(seen!, { hour: 11, minute: 132 }, 'seen in the mirror');
    assertHands(real!, { hour: 349, minute: 228 }, 'the real clock');
  });
});
