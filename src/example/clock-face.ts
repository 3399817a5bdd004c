/**
 * The clock drawn, with no I/O: a time in, an SVG document out. The face is
 * 200 units wide, centred on the origin, so a point at angle θ (clockwise from
 * 12 o'clock, in degrees) and radius r sits at (r sin θ, -r cos θ).
 */
import { formatTime, mirror, type ClockTime } from './mirror.ts';

/** How the clock is looked at: straight on, or in a mirror (flipped left to right). */
export const CLOCK_VIEWS = ['actual', 'mirror'] as const;
export type ClockView = (typeof CLOCK_VIEWS)[number];

const FACE_RADIUS = 95;
const HAND = {
  hour: { length: 46, width: 6 },
  minute: { length: 72, width: 4 },
  second: { length: 80, width: 1.5 },
} as const;

/** Hundredths of a unit are finer than any screen shows and keep the document small. */
function round(n: number): number {
  const rounded = Math.round(n * 100) / 100;
  return rounded === 0 ? 0 : rounded; // no "-0" in the output
}

function point(degrees: number, radius: number): { x: number; y: number } {
  const radians = (degrees * Math.PI) / 180;
  return { x: round(radius * Math.sin(radians)), y: round(-radius * Math.cos(radians)) };
}

/**
 * The angles an ordinary clock's hands make at this time, in degrees
 * clockwise from 12. The hour hand creeps on with the minutes and seconds,
 * the minute hand with the seconds.
 */
function handAngles(time: ClockTime): { hour: number; minute: number; second?: number } {
  const seconds = time.seconds ?? 0;
  return {
    hour: ((time.hours % 12) + time.minutes / 60 + seconds / 3600) * 30,
    minute: (time.minutes + seconds / 60) * 6,
    ...(time.seconds === undefined ? {} : { second: time.seconds * 6 }),
  };
}

function hand(name: keyof typeof HAND, degrees: number, colour: string): string {
  const { length, width } = HAND[name];
  const tip = point(degrees, length);
  return `<line class="${name}-hand" x1="0" y1="0" x2="${tip.x}" y2="${tip.y}" stroke="${colour}" stroke-width="${width}"/>`;
}

/** One path for the 48 minute marks, one for the 12 heavier hour marks. */
function marks(): string {
  let minutes = '';
  let hours = '';
  for (let i = 0; i < 60; i += 1) {
    const isHour = i % 5 === 0;
    const outer = point(i * 6, 90);
    const inner = point(i * 6, isHour ? 80 : 86);
    const segment = `M${outer.x} ${outer.y}L${inner.x} ${inner.y}`;
    if (isHour) hours += segment;
    else minutes += segment;
  }
  return `<path d="${minutes}" stroke-width="1.5"/><path d="${hours}" stroke-width="3.5"/>`;
}

function numerals(): string {
  let text = '';
  for (let hour = 1; hour <= 12; hour += 1) {
    const { x, y } = point(hour * 30, 67);
    text += `<text x="${x}" y="${y}">${hour}</text>`;
  }
  // A generic family: the face embeds no font, and every viewer has a sans-serif.
  return `<g font-family="sans-serif" font-size="16" text-anchor="middle" dominant-baseline="central" fill="#1f2933" stroke="none">${text}</g>`;
}

/** The accessible name and description, for a screen reader and for anyone reading the SVG's source. */
function caption(time: ClockTime, view: ClockView): { title: string; desc: string } {
  const shown = formatTime(time);
  if (view === 'actual') {
    return {
      title: `A clock showing ${shown}`,
      desc: `An analog clock face, seen straight on: its hands show ${shown}.`,
    };
  }
  return {
    title: `A clock showing ${shown}, seen in a mirror`,
    desc:
      `The face of a clock that shows ${shown}, flipped left to right as a mirror shows it, numerals reversed. ` +
      `Its hands stand where an ordinary clock's would at ${formatTime(mirror(time))}.`,
  };
}

/**
 * An analog clock showing `time`, as an SVG document. In the `mirror` view
 * the whole face, numerals included, is flipped left to right, so its hands
 * point where an ordinary clock's would at `mirror(time)`. The ids of the
 * title and description are prefixed with the view, so that one page can
 * hold one clock of each view.
 */
export function clockFace(time: ClockTime, view: ClockView): string {
  const angles = handAngles(time);
  const { title, desc } = caption(time, view);
  const id = `${view}-clock`;
  const flip = view === 'mirror' ? ' transform="scale(-1 1)"' : '';
  // The mirror's face is tinted like glass, so the two views tell apart at a glance.
  const faceFill = view === 'mirror' ? '#e8f0f5' : '#ffffff';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-100 -100 200 200" width="240" height="240" ` +
    `role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc">` +
    `<title id="${id}-title">${title}</title><desc id="${id}-desc">${desc}</desc>` +
    `<g class="face"${flip} stroke="#1f2933" stroke-linecap="round">` +
    `<circle r="${FACE_RADIUS}" fill="${faceFill}" stroke-width="4"/>` +
    marks() +
    numerals() +
    hand('hour', angles.hour, '#1f2933') +
    hand('minute', angles.minute, '#1f2933') +
    (angles.second === undefined ? '' : hand('second', angles.second, '#c62828')) +
    `<circle r="4.5" fill="#1f2933" stroke="none"/>` +
    `</g></svg>`
  );
}
