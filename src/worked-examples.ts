/** The puzzle's worked examples: what the mirror shows, and the real time. The unit tests and the smoke test share them. */
export const WORKED_EXAMPLES: ReadonlyArray<readonly [mirrorTime: string, actualTime: string]> = [
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
];
