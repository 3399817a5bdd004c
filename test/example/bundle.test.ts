/**
 * The example's routes from the bundle and from the source: one probe for every compiled validator and serialiser of
 * theirs (test/helpers/bundle.ts).
 */
import { sameAnswersAsTheSource, type Probe } from '../helpers/bundle.ts';

const PROBES: readonly Probe[] = [
  // /clock: the query validator, and the 200 (JSON and text), 400 and 406 serialisers, for GET and HEAD.
  { url: '/clock?mirror_time=12:22' },
  { url: '/clock?mirror_time=1:05:09' },
  { method: 'HEAD', url: '/clock?mirror_time=12:22' },
  { url: '/clock?mirror_time=12:22', headers: { accept: 'text/plain' } },
  { method: 'HEAD', url: '/clock?mirror_time=12:22', headers: { accept: 'text/plain' } },
  { url: '/clock?mirror_time=12:22', headers: { accept: 'image/png' } },
  { method: 'HEAD', url: '/clock?mirror_time=12:22', headers: { accept: 'image/png' } },
  { url: '/clock' },
  { url: '/clock?mirror_time=' },
  { url: '/clock?mirror_time=13:20' },
  { url: '/clock?mirror_time=00:20' },
  { url: '/clock?mirror_time=%E2%9C%93' },
  { url: `/clock?mirror_time=${'1'.repeat(200)}` },
  { url: '/clock?mirror_time=12:22&mirror_time=01:00' },
  { url: '/clock?mirror_time=12:22&tz=UTC' },
  { method: 'HEAD', url: '/clock?mirror_time=99:99' },
  // /clock.svg: its validator (time, view), 200, 304 and 400.
  { url: '/clock.svg?time=12:22' },
  { url: '/clock.svg?time=12:22&view=mirror' },
  { method: 'HEAD', url: '/clock.svg?time=03:00&view=actual' },
  { url: '/clock.svg?time=12:22&view=sideways' },
  { url: '/clock.svg?time=12:60' },
  { url: '/clock.svg' },
  { method: 'HEAD', url: '/clock.svg?view=mirror' },
  // /mirror: its validator, with and without a time.
  { url: '/mirror' },
  { url: '/mirror?time=12:22' },
  { url: '/mirror?time=nope' },
  { method: 'HEAD', url: '/mirror?time=12:22&x=1' },
];

sameAnswersAsTheSource("the example's routes, from the bundle and from the source", PROBES, [
  '/clock.svg?time=12:22',
  '/clock?mirror_time=12:22',
]);
