/**
 * The puzzle, with no I/O: a clock read in a mirror shows 12:00 minus the real
 * time on a 12-hour dial, and the same subtraction turns it back.
 */
import { quote } from '../quote.ts';

/** A time on a 12-hour dial. `seconds` is present only when the clock has a second hand. */
export interface ClockTime {
  readonly hours: number;
  readonly minutes: number;
  readonly seconds?: number;
}

/**
 * Hours 1-12 (one or two digits), minutes 00-59, optional seconds 00-59.
 * `[0-9]`, not `\d`: the schema validator runs this pattern with the `u` flag,
 * where `\d` is still ASCII-only, but spelling it out leaves no doubt.
 */
export const TIME_PATTERN = '^(0?[1-9]|1[0-2]):([0-5][0-9])(?::([0-5][0-9]))?$';

/** Longer than any valid time, so a validator can reject a huge value before matching it. */
export const TIME_MAX_LENGTH = 8;

/** What a time looks like, in words: the end of every message about a value that is not one. */
export const EXPECTED_TIME = 'HH:MM or HH:MM:SS (hours 1-12, minutes and seconds 00-59)';

const timeRegExp = new RegExp(TIME_PATTERN);
const SECONDS_ON_DIAL = 12 * 60 * 60;

/** Parses `H:MM`, `HH:MM` or `HH:MM:SS`; returns undefined for anything else. */
export function parseTime(text: string): ClockTime | undefined {
  const match = timeRegExp.exec(text);
  if (match === null) return undefined;
  const [, hours, minutes, seconds] = match;
  return {
    hours: Number(hours),
    minutes: Number(minutes),
    ...(seconds === undefined ? {} : { seconds: Number(seconds) }),
  };
}

/** 12:00 minus the time, on a 12-hour dial. Applying it twice gives the time back. */
export function mirror(time: ClockTime): ClockTime {
  const elapsed = ((time.hours % 12) * 60 + time.minutes) * 60 + (time.seconds ?? 0);
  const mirrored = (SECONDS_ON_DIAL - elapsed) % SECONDS_ON_DIAL;
  const hours = Math.floor(mirrored / 3600);
  return {
    // The dial has no 0: the hour before 1 is 12.
    hours: hours === 0 ? 12 : hours,
    minutes: Math.floor(mirrored / 60) % 60,
    ...(time.seconds === undefined ? {} : { seconds: mirrored % 60 }),
  };
}

const twoDigits = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** Always two digits a field: `02:05`, `11:37:30`. */
export function formatTime(time: ClockTime): string {
  const hhmm = `${twoDigits(time.hours)}:${twoDigits(time.minutes)}`;
  return time.seconds === undefined ? hhmm : `${hhmm}:${twoDigits(time.seconds)}`;
}

export interface MirrorAnswer {
  mirror_time: string;
  actual_time: string;
}

/** The API's answer for a valid time, or undefined when the text is not a valid time. */
export function solve(mirrorTime: string): MirrorAnswer | undefined {
  const time = parseTime(mirrorTime);
  if (time === undefined) return undefined;
  return { mirror_time: formatTime(time), actual_time: formatTime(mirror(time)) };
}

/** The command line's message for a value that is not a time, in the API's words (src/errors.ts). */
export function invalidTimeMessage(parameter: string, value: string): string {
  return `${parameter} ${quote(value)} is not valid: expected ${EXPECTED_TIME}`;
}
