import { test, suite } from 'node:test';
import assert from 'node:assert/strict';
import { quote } from '../src/quote.ts';

suite("quote, for echoes of the caller's input", () => {
  test('escape the value as JSON, and markup and non-ASCII too', () => {
    assert.equal(quote('a"b\\c\n'), '"a\\"b\\\\c\\n"');
    assert.equal(quote('<b>&'), '"\\u003cb\\u003e\\u0026"');
    assert.equal(quote('١'), '"\\u0661"');
  });

  test('cut a long value short', () => {
    assert.equal(quote('x'.repeat(41)), `"${'x'.repeat(40)}…"`);
    assert.equal(quote('x'.repeat(40)), `"${'x'.repeat(40)}"`);
  });
});
