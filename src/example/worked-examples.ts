/**
 * The puzzle's worked examples, the one place they are written: what the mirror shows, and the real time. The API's
 * documented examples, the unit tests, the smoke test and the compile-cache warm-up use them.
 */
export const WORKED_EXAMPLES = [
  ['12:22', '11:38'],
  ['05:25', '06:35'],
  ['01:50', '10:10'],
  ['11:58', '12:02'],
  ['12:01', '11:59'],
  ['04:25', '07:35'],
  ['10:00', '02:00'],
  ['11:00', '01:00'],
  ['12:00', '12:00'],
  ['06:00', '06:00'],
] as const satisfies ReadonlyArray<readonly [mirrorTime: string, actualTime: string]>;
