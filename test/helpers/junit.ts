import { readFileSync } from 'node:fs';

export interface JUnitCase {
  readonly name: string;
  readonly outcome: 'passed' | 'failed' | 'skipped';
}

/** The test cases of a JUnit file as node:test's junit reporter writes it: one element a case, failure or skipped inside. */
export function readJUnit(path: string): JUnitCase[] {
  const xml = readFileSync(path, 'utf8');
  return [...xml.matchAll(/<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)].map(([, name, , inner]) => ({
    name: name!.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&gt;', '>').replaceAll('&lt;', '<'),
    outcome: inner?.includes('<failure') ? 'failed' : inner?.includes('<skipped') ? 'skipped' : 'passed',
  }));
}
