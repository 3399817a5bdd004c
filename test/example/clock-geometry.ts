import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * Reads a drawn clock back the way a viewer sees it: every element's
 * coordinates are carried through its ancestors' transforms, so a face
 * flipped with scale(-1 1) is measured as it appears, not as it is written.
 */

/**
 * True when the text is well-formed XML. fast-xml-parser marks its validator
 * deprecated in favour of a separate package; it still validates, and one
 * check is not worth a dependency more.
 */
export function isWellFormedXml(text: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return XMLValidator.validate(text) === true;
}

/** An affine map [a b c d e f]: (x, y) -> (a x + c y + e, b x + d y + f), as SVG's matrix(). */
type Matrix = readonly [number, number, number, number, number, number];

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

/** SVG's transform list; an unknown function fails the test rather than being misread. */
export function parseTransform(text: string): Matrix {
  let result = IDENTITY;
  for (const [, name, args] of text.matchAll(/(\w+)\s*\(([^)]*)\)/g)) {
    const n = (args ?? '')
      .trim()
      .split(/[\s,]+/)
      .map(Number);
    const [p = 0, q, r, s, t, u] = n;
    let m: Matrix;
    switch (name) {
      case 'matrix':
        m = [p, q ?? 0, r ?? 0, s ?? 0, t ?? 0, u ?? 0];
        break;
      case 'translate':
        m = [1, 0, 0, 1, p, q ?? 0];
        break;
      case 'scale':
        m = [p, 0, 0, q ?? p, 0, 0];
        break;
      case 'rotate': {
        const rad = (p * Math.PI) / 180;
        const rotation: Matrix = [Math.cos(rad), Math.sin(rad), -Math.sin(rad), Math.cos(rad), 0, 0];
        const cx = q ?? 0;
        const cy = r ?? 0;
        m = multiply(multiply([1, 0, 0, 1, cx, cy], rotation), [1, 0, 0, 1, -cx, -cy]);
        break;
      }
      default:
        throw new Error(`transform ${String(name)}() is not understood by this test`);
    }
    result = multiply(result, m);
  }
  return result;
}

export function apply(m: Matrix, x: number, y: number): { x: number; y: number } {
  return { x: m[0] * x + m[2] * y + m[4], y: m[1] * x + m[3] * y + m[5] };
}

/** Negative when the element is drawn mirror-reversed. */
export const determinant = (m: Matrix): number => m[0] * m[3] - m[1] * m[2];

export interface DrawnElement {
  readonly tag: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly text: string;
  /** From the element's own coordinates to the SVG's viewBox. */
  readonly toScreen: Matrix;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
});

/** Every element of the document, in order, with its accumulated transform. */
export function drawnElements(svg: string): DrawnElement[] {
  const found: DrawnElement[] = [];
  const walk = (nodes: OrderedNode[], parent: Matrix) => {
    for (const node of nodes) {
      const tag = Object.keys(node).find((key) => key !== ':@');
      if (tag === undefined || tag === '#text') continue;
      const attributes = node[':@'] ?? {};
      const toScreen = multiply(parent, parseTransform(attributes.transform ?? ''));
      const children = node[tag] as OrderedNode[];
      const text = children.map((child) => (typeof child['#text'] === 'string' ? child['#text'] : '')).join('');
      found.push({ tag, attributes, text, toScreen });
      walk(children, toScreen);
    }
  };
  walk(parser.parse(svg) as OrderedNode[], IDENTITY);
  return found;
}

/** Degrees clockwise from 12 o'clock, in [0, 360), of a line as drawn on screen (y grows downwards). */
export function drawnAngle(line: DrawnElement): number {
  const n = (name: string) => Number(line.attributes[name]);
  const from = apply(line.toScreen, n('x1'), n('y1'));
  const to = apply(line.toScreen, n('x2'), n('y2'));
  const degrees = (Math.atan2(to.x - from.x, -(to.y - from.y)) * 180) / Math.PI;
  return (degrees + 360) % 360;
}

export interface DrawnHands {
  readonly hour: number;
  readonly minute: number;
  readonly second?: number;
}

/** The angles of the hands, found by their class, as drawn. */
export function drawnHands(svg: string): DrawnHands {
  const elements = drawnElements(svg);
  const angle = (name: string) => {
    const lines = elements.filter((e) => e.tag === 'line' && e.attributes.class === `${name}-hand`);
    if (lines.length > 1) throw new Error(`${lines.length} ${name} hands`);
    const [line] = lines;
    return line === undefined ? undefined : drawnAngle(line);
  };
  const hour = angle('hour');
  const minute = angle('minute');
  const second = angle('second');
  if (hour === undefined || minute === undefined) throw new Error('the clock has no hour or minute hand');
  return second === undefined ? { hour, minute } : { hour, minute, second };
}

/** The smallest difference between two angles, in degrees. */
export function angleBetween(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}
