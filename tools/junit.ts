/** A JUnit report of one suite, for the pipeline's report groups: CodeBuild reads the JUnit XML that node:test writes. */
export interface JUnitCase {
  readonly name: string;
  readonly seconds: number;
  /** Why it failed; undefined when it passed. */
  readonly failure?: string;
}

const escape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** `seconds`: the suite's, when its cases ran at once. @default the sum of the cases' */
export function junitXml(suite: string, cases: readonly JUnitCase[], seconds?: number): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const total = seconds ?? cases.reduce((sum, c) => sum + c.seconds, 0);
  const lines = cases.map((c) =>
    c.failure === undefined
      ? `    <testcase name="${escape(c.name)}" classname="${escape(suite)}" time="${c.seconds.toFixed(3)}"/>`
      : `    <testcase name="${escape(c.name)}" classname="${escape(suite)}" time="${c.seconds.toFixed(3)}">\n` +
        `      <failure message="${escape(c.failure)}"/>\n    </testcase>`,
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<testsuites>',
    `  <testsuite name="${escape(suite)}" tests="${cases.length}" failures="${failures}" time="${total.toFixed(3)}">`,
    ...lines,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
