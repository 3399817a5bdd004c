import { test, suite } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatTime, invalidTimeMessage, mirror, parseTime, solve } from '../../src/example/mirror.ts';
import { WORKED_EXAMPLES } from '../../src/example/worked-examples.ts';

suite('solve', () => {
  for (const [seen, actual] of WORKED_EXAMPLES) {
    test(`the mirror shows ${seen}: the real time is ${actual}`, () => {
      assert.deepEqual(solve(seen), { mirror_time: seen, actual_time: actual });
    });
  }

  test('a one-digit hour is normalised to two digits', () => {
    assert.deepEqual(solve('2:11'), { mirror_time: '02:11', actual_time: '09:49' });
  });

  test('seconds are answered in the same form', () => {
    assert.deepEqual(solve('12:22:30'), { mirror_time: '12:22:30', actual_time: '11:37:30' });
    assert.deepEqual(solve('12:00:00'), { mirror_time: '12:00:00', actual_time: '12:00:00' });
    assert.deepEqual(solve('11:59:59'), { mirror_time: '11:59:59', actual_time: '12:00:01' });
  });

  test('the boundaries of the dial', () => {
    assert.deepEqual(solve('1:00'), { mirror_time: '01:00', actual_time: '11:00' });
    assert.deepEqual(solve('12:59'), { mirror_time: '12:59', actual_time: '11:01' });
    assert.deepEqual(solve('11:59'), { mirror_time: '11:59', actual_time: '12:01' });
    assert.deepEqual(solve('06:30'), { mirror_time: '06:30', actual_time: '05:30' });
  });

  for (const bad of [
    '00:20',
    '13:20',
    '12:60',
    '1:5',
    '0:00',
    '24:00',
    '12:5',
    '012:22',
    '12:22:60',
    '12:22:5',
    '12-22',
    ' 12:22',
    '12:22 ',
    '12:22\n',
    '',
    ':',
    '１２:２２',
    '١٢:٢٢',
    '12:22:30:00',
  ]) {
    test(`${JSON.stringify(bad)} is not a valid time`, () => {
      assert.equal(solve(bad), undefined);
      assert.equal(parseTime(bad), undefined);
    });
  }
});

suite('properties', () => {
  const validTime = fc.record(
    {
      hours: fc.integer({ min: 1, max: 12 }),
      minutes: fc.integer({ min: 0, max: 59 }),
      seconds: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
    },
    { requiredKeys: ['hours', 'minutes'] },
  );
  const withoutUndefined = ({
    hours,
    minutes,
    seconds,
  }: {
    hours: number;
    minutes: number;
    seconds?: number | undefined;
  }) => (seconds === undefined ? { hours, minutes } : { hours, minutes, seconds });

  test('mirroring twice gives the time back', () => {
    fc.assert(
      fc.property(validTime, (raw) => {
        const time = withoutUndefined(raw);
        assert.deepEqual(mirror(mirror(time)), time);
      }),
    );
  });

  test('every valid time maps to a valid time, in the same form', () => {
    fc.assert(
      fc.property(validTime, (raw) => {
        const text = formatTime(withoutUndefined(raw));
        const answer = solve(text);
        assert.ok(answer !== undefined);
        assert.equal(answer.mirror_time, text);
        assert.match(
          answer.actual_time,
          raw.seconds === undefined ? /^(0[1-9]|1[0-2]):[0-5]\d$/ : /^(0[1-9]|1[0-2]):[0-5]\d:[0-5]\d$/,
        );
        assert.deepEqual(solve(answer.actual_time)?.actual_time, text);
      }),
    );
  });

  test('a time and its mirror add up to 12:00 on the dial', () => {
    fc.assert(
      fc.property(validTime, (raw) => {
        const time = withoutUndefined(raw);
        const seconds = (t: typeof time) => ((t.hours % 12) * 60 + t.minutes) * 60 + (t.seconds ?? 0);
        assert.equal((seconds(time) + seconds(mirror(time))) % (12 * 3600), 0);
      }),
    );
  });

  test('strings outside the format are rejected', () => {
    const format = /^(0?[1-9]|1[0-2]):[0-5][0-9](:[0-5][0-9])?$/;
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^\d{1,3}:\d{1,3}(:\d{1,3})?$/), fc.string({ unit: 'binary' })),
        (text) => {
          fc.pre(!format.test(text));
          assert.equal(solve(text), undefined);
        },
      ),
    );
  });
});

suite('messages', () => {
  test('name the parameter, the value and the expected format', () => {
    assert.equal(
      invalidTimeMessage('mirror_time', '13:20'),
      'mirror_time "13:20" is not valid: expected HH:MM or HH:MM:SS (hours 1-12, minutes and seconds 00-59)',
    );
  });
});
