/**
 * Renders the README's picture, docs/mirror-12-22.svg, with the service's own
 * drawing code: `npm run render:readme-clock`. A test fails when the committed
 * file no longer matches what the code draws.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clockFace } from './clock-face.ts';
import { formatTime, mirror, type ClockTime } from './mirror.ts';

export const README_CLOCK_PATH = fileURLToPath(new URL('../../docs/mirror-12-22.svg', import.meta.url));

const SEEN: ClockTime = { hours: 12, minutes: 22 };

/** The mirror's view and the real clock side by side, captioned, on an opaque card so that it reads on a dark page too. */
export function renderReadmeClock(): string {
  const seen = SEEN;
  const actual = mirror(seen);
  const caption = (x: number, text: string) =>
    `<text x="${x}" y="282" text-anchor="middle" font-family="sans-serif" font-size="17" font-weight="bold" fill="#1f2933">${text}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 540 300" width="540" height="300" role="img" aria-labelledby="readme-title">` +
    `<title id="readme-title">A clock reading ${formatTime(seen)} in a mirror, beside the real clock showing ${formatTime(actual)}</title>` +
    `<rect width="540" height="300" rx="12" fill="#f7f9fb"/>` +
    `<g transform="translate(20 10)">${clockFace(actual, 'mirror')}</g>` +
    `<g transform="translate(280 10)">${clockFace(actual, 'actual')}</g>` +
    caption(140, `Seen in the mirror: ${formatTime(seen)}`) +
    caption(400, `The real clock: ${formatTime(actual)}`) +
    `</svg>\n`
  );
}

if (import.meta.main) {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a constant path in the repository, not input
  writeFileSync(README_CLOCK_PATH, renderReadmeClock());
  process.stdout.write(`wrote ${README_CLOCK_PATH}\n`);
}
