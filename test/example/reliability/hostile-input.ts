/**
 * The generator behind hostile-input.test.ts: seeded, so that a failure names a seed and an index to replay.
 * Each case is the raw bytes of one request and what the contract says about its answer.
 */
import { random } from '../../reliability/settings.ts';

export interface ClockAnswer {
  readonly mirror_time: string;
  readonly actual_time: string;
}

export type Expectation =
  /** GET /clock with a query the oracle can judge: exactly this answer, or a 400 (or 406 for the Accept). */
  | { readonly kind: 'clock'; readonly answer: ClockAnswer | undefined; readonly accept: AcceptChoice }
  /** A well-formed request whose answer must be a 4xx (e.g. a path that names nothing). */
  | { readonly kind: 'client-error' }
  /** A well-formed request to another route: a 200 or a 4xx, never anything else. */
  | { readonly kind: 'page' }
  /** A header section over Node's 16 KB limit: 431, and the connection closed. */
  | { readonly kind: 'too-large' }
  /** Bytes that are not valid HTTP/1.1: a 4xx, or the connection closed without an answer. */
  | { readonly kind: 'malformed' };

export interface Case {
  readonly label: string;
  readonly request: Buffer;
  readonly expect: Expectation;
  /** A well-formed request is answered by the service itself, with its security headers and a request id. */
  readonly wellFormed: boolean;
  /** The request id sent, when one was. */
  readonly requestId?: string;
  /** What the caller typed, decoded: it must never come back raw in an HTML page. */
  readonly typed?: string;
}

export const ACCEPTS = [undefined, '*/*', 'application/json', 'text/plain', 'text/html'] as const;
export type AcceptChoice = (typeof ACCEPTS)[number];

/**
 * The puzzle, derived again here rather than imported, so that the service is checked against an independent
 * reading of the contract: hours 1-12 (one or two ASCII digits), minutes and optional seconds 00-59; the real
 * time is 12:00 minus the mirror time on a 12-hour dial.
 */
export function oracle(text: string): ClockAnswer | undefined {
  const match = /^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$/.exec(text);
  if (match === null) return undefined;
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), match[3] === undefined ? 0 : Number(match[3])];
  if (hours < 1 || hours > 12 || minutes > 59 || seconds > 59) return undefined;
  const day = 12 * 3600;
  const mirrored = (day - (((hours % 12) * 60 + minutes) * 60 + seconds)) % day;
  const two = (n: number) => String(n).padStart(2, '0');
  const format = (h: number, m: number, s: number) =>
    `${two(h === 0 ? 12 : h)}:${two(m)}${match[3] === undefined ? '' : `:${two(s)}`}`;
  return {
    mirror_time: format(hours, minutes, seconds),
    actual_time: format(Math.floor(mirrored / 3600), Math.floor(mirrored / 60) % 60, mirrored % 60),
  };
}

/** The answer a query string asks for: exactly one mirror_time parameter holding a valid time, or nothing. */
export function expectedAnswer(query: string): ClockAnswer | undefined {
  const params = new URLSearchParams(query);
  const keys = [...params.keys()];
  if (keys.length !== 1 || keys[0] !== 'mirror_time') return undefined;
  return oracle(params.get('mirror_time')!);
}

const UNICODE = [
  'é',
  '١٢:٢٢',
  '１２：２２',
  '12∶22',
  '😀',
  '\u202e',
  '\ufeff',
  'İ',
  'a\u0301',
  '\u2028',
  '中文',
  '\u0000',
];
const NASTY = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'",
  '"',
  '\\',
  '${7*7}',
  '{{7*7}}',
  '../../etc/passwd',
  '\r\nSet-Cookie: a=b',
  '%00',
  '%u0041',
  '&amp;',
  'constructor',
  '__proto__',
  'toString',
];
const NEAR_MISSES = [
  '13:00',
  '0:00',
  '00:30',
  '12:60',
  '1:5',
  '12:22:60',
  '12:22 ',
  ' 12:22',
  '12-22',
  '1222',
  '12:22:',
  ':22',
  '12:2a',
  '012:22',
  '12:222',
  '12:22:5',
  '+12:22',
  '12 :22',
  '-1:00',
  '1e1:00',
  '0x1:00',
  '12:22:00:00',
  '',
];

/** Percent-encodes every byte of the UTF-8 text. */
const encodeAll = (text: string) =>
  [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

export function generate(seed: number, count: number): Case[] {
  const next = random(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const chance = (p: number) => next() < p;

  const validTime = () => {
    const hours = int(1, 12);
    const hh = hours < 10 && chance(0.3) ? String(hours) : String(hours).padStart(2, '0');
    const mm = String(int(0, 59)).padStart(2, '0');
    return chance(0.3) ? `${hh}:${mm}:${String(int(0, 59)).padStart(2, '0')}` : `${hh}:${mm}`;
  };
  const randomBytes = (length: number) => Buffer.from(Array.from({ length }, () => int(0, 255)));
  const printable = (length: number) => String.fromCharCode(...Array.from({ length }, () => int(0x21, 0x7e)));
  const hostileText = (): string => {
    switch (int(0, 5)) {
      case 0:
        return pick(UNICODE) + (chance(0.5) ? validTime() : '');
      case 1:
        return pick(NASTY);
      case 2:
        return printable(int(1, 30));
      case 3:
        return randomBytes(int(1, 24)).toString('latin1');
      case 4:
        return pick(NEAR_MISSES);
      default:
        return validTime() + pick(NASTY);
    }
  };
  /** A value for the query: encoded fully, minimally, or (only where it is legal on the wire) left raw. */
  const encodeValue = (text: string) => {
    const style = int(0, 2);
    if (style === 0) return encodeAll(text);
    return encodeURIComponent(text);
  };

  const requestId = () => {
    switch (int(0, 4)) {
      case 0:
        return `fuzz-${int(0, 1e9)}`;
      case 1:
        return 'a'.repeat(int(100, 300));
      case 2:
        return printable(int(1, 60)).replace(/[\s]/g, '');
      case 3:
        return `id;${pick(NASTY).replace(/[\r\n]/g, '')}`;
      default:
        return encodeAll(pick(UNICODE));
    }
  };

  const build = (target: string, headers: Readonly<Record<string, string>> = {}) =>
    Buffer.from(
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n`,
      'latin1',
    );

  const clockCase = (label: string, query: string, extra: Record<string, string> = {}, id?: string): Case => {
    const accept = pick(ACCEPTS);
    const headers = {
      ...extra,
      ...(accept === undefined ? {} : { Accept: accept }),
      ...(id ? { 'X-Request-Id': id } : {}),
    };
    return {
      label,
      request: build(`/clock?${query}`, headers),
      expect: { kind: 'clock', answer: expectedAnswer(query), accept },
      wellFormed: true,
      ...(id === undefined ? {} : { requestId: id }),
    };
  };

  const kinds: readonly (readonly [number, () => Case])[] = [
    [
      14,
      () => {
        const time = validTime();
        const encoded = pick([time, time.replace(/:/g, '%3A'), encodeAll(time), time.replace(/:/g, '%3a')]);
        return clockCase('valid time', `mirror_time=${encoded}`);
      },
    ],
    [12, () => clockCase('near miss', `mirror_time=${encodeValue(pick(NEAR_MISSES))}`)],
    [12, () => clockCase('hostile value', `mirror_time=${encodeValue(hostileText())}`)],
    [6, () => clockCase('random bytes', `mirror_time=${encodeAll(randomBytes(int(1, 40)).toString('latin1'))}`)],
    [5, () => clockCase('long value', `mirror_time=${encodeValue(printable(int(9, 4000)))}`)],
    [
      10,
      () => {
        const query = pick([
          () => `mirror_time=${validTime()}&mirror_time=${validTime()}`,
          () => `mirror_time[]=${validTime()}`,
          () => `mirror_time[0]=${validTime()}`,
          () => `mirror_time=${validTime()}&${encodeValue(hostileText())}=${encodeValue(hostileText())}`,
          () => `${encodeValue(hostileText())}=${validTime()}`,
          () => `=${validTime()}`,
          () => 'mirror_time',
          () => '',
          () => '&&&',
          () => `mirror_time=${validTime()}&`.repeat(int(2, 50)),
          () => `MIRROR_TIME=${validTime()}`,
          () => `mirror%5Ftime=${validTime()}`,
          () => `mirror_time=${validTime()}+`,
          () => `mirror_time=${validTime().replace(':', '%')}`,
          () => `mirror_time=%${printable(2)}`,
        ])();
        return clockCase('parameters', query.replace(/[^\x21-\x7e]/g, encodeURIComponent));
      },
    ],
    [6, () => clockCase('hostile request id', `mirror_time=${validTime()}`, {}, requestId())],
    [
      4,
      () => {
        const count = int(50, 250);
        const headers = Object.fromEntries(
          Array.from({ length: count }, (_, i) => [`X-Fuzz-${i}`, printable(int(1, 40))]),
        );
        return clockCase('many headers', `mirror_time=${validTime()}`, headers);
      },
    ],
    [
      5,
      () => {
        const accept = pick([
          () => printable(int(1, 80)).replace(/\s/g, ''),
          () => `${pick(['text/html', 'image/png', 'application/xml'])};q=${next().toFixed(3)}`,
          () => 'application/json;q=0',
          () => `${'text/plain;q=0.1,'.repeat(int(1, 200))}*/*;q=0`,
          () => 'text/*',
        ])();
        return {
          label: 'odd Accept',
          request: build(`/clock?mirror_time=${validTime()}`, { Accept: accept }),
          expect: { kind: 'page' },
          wellFormed: true,
        };
      },
    ],
    [
      8,
      () => {
        const typed = hostileText();
        const route = pick(['/clock.svg?time=', '/clock.svg?view=mirror&time=', '/mirror?time=', '/mirror?x=1&time=']);
        return {
          label: 'other routes',
          request: build(`${route}${encodeValue(typed)}`),
          expect: { kind: 'page' },
          wellFormed: true,
          typed,
        };
      },
    ],
    [
      8,
      () => {
        // Every path names a segment no real route or file has, so a 200 would mean one escaped its place.
        const segment = () =>
          pick([encodeValue(hostileText()), '..', '%2e%2e', '.', '', '%2F', encodeAll(pick(UNICODE))]);
        const path = Array.from({ length: int(0, 4) }, segment);
        path.splice(int(0, path.length), 0, `fz${printable(6).replace(/[^A-Za-z0-9]/g, 'q')}`);
        const prefix = pick(['', '/static', '/clock', '/mirror', '/openapi.json', '/health']);
        return {
          label: 'unknown path',
          request: build(`${prefix}/${path.join('/')}`),
          expect: { kind: 'client-error' },
          wellFormed: true,
        };
      },
    ],
    [
      3,
      () => ({
        label: 'bad percent-encoding in the path',
        // Raw < > " are legal on the wire, and the message about a bad path must not carry them back raw.
        request: build(
          `/${pick(['%', '%zz', '%E0%A4', '%C0%AF', '%ff'])}${pick([encodeValue(hostileText()), '<script>', '"><b>', printable(int(1, 300)).replace(/[?#%]/g, '')])}`,
        ),
        expect: { kind: 'client-error' },
        wellFormed: true,
      }),
    ],
    [
      3,
      () => ({
        label: 'huge header',
        request: build(`/clock?mirror_time=${validTime()}`, { 'X-Huge': 'h'.repeat(int(17_000, 40_000)) }),
        expect: { kind: 'too-large' },
        wellFormed: false,
      }),
    ],
    [
      4,
      () => ({
        label: 'raw bytes in the target',
        request: Buffer.concat([
          Buffer.from('GET /clock?mirror_time='),
          Buffer.from(pick([hostileText(), pick(NASTY), pick(UNICODE)]), 'utf8'),
          Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
        ]),
        expect: { kind: 'malformed' },
        wellFormed: false,
      }),
    ],
    [
      10,
      () => {
        const valid = `GET /clock?mirror_time=${validTime()} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
        const templates = [
          () => `get /clock?mirror_time=12:22 HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `GE T /clock HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `${printable(int(1, 30)).replace(/\s/g, '')} / HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `GET /clock?mirror_time=12:22\r\nHost: x\r\n\r\n`,
          () => `GET /clock?mirror_time=12:22 HTTP/1.2\r\nHost: x\r\n\r\n`,
          () => `GET /clock?mirror_time=12:22 HTTP/2.0\r\nHost: x\r\n\r\n`,
          () => `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
          () => `GET  /clock HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `GET\t/clock HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `GET /clock?mirror_time=12:22 HTTP/1.1\nHost: x\n\n`,
          () => `GET /clock?mirror_time=12:22 HTTP/1.1\rHost: x\r\r`,
          () => `GET http://127.0.0.1/clock?mirror_time=12:22 HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `GET * HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `${'G'.repeat(int(20, 20_000))} / HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `GET /${'a'.repeat(int(17_000, 30_000))} HTTP/1.1\r\nHost: x\r\n\r\n`,
          () => `GET / HTTP/1.1\r\nHost x\r\n\r\n`,
          () => `GET / HTTP/1.1\r\nHost : x\r\n\r\n`,
          () => `GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n`,
          () => `GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`,
          () => `GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
          () => `GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
          () => `GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
          () => `GET /clock?mirror_time=12:22 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`,
          () => `GET /clock?mirror_time=12:22 HTTP/1.1\r\n\r\n`,
          () => `\r\n\r\n\r\n`,
          () => randomBytes(int(1, 200)).toString('latin1'),
          () => valid.replace(/\r\n/, `\r\nX-${printable(5)}: ${randomBytes(int(1, 20)).toString('latin1')}\r\n`),
          () => {
            const at = int(0, valid.length - 1);
            return valid.slice(0, at) + String.fromCharCode(int(0, 255)) + valid.slice(at + int(0, 3));
          },
        ];
        return {
          label: 'malformed',
          request: Buffer.from(pick(templates)(), 'latin1'),
          expect: { kind: 'malformed' },
          wellFormed: false,
        };
      },
    ],
  ];

  const total = kinds.reduce((sum, [weight]) => sum + weight, 0);
  return Array.from({ length: count }, () => {
    let roll = next() * total;
    for (const [weight, make] of kinds) {
      roll -= weight;
      if (roll < 0) return make();
    }
    return kinds[0]![1]();
  });
}
