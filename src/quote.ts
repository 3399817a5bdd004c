/** Echoes of the caller's input in messages: the API's error answers and the example's command line. */

const QUOTED_MAX = 40;

/**
 * The value as a JSON string, cut short when long. Non-ASCII and `<>&` are escaped as well, so that an error message
 * never carries the caller's input raw: `"١٢:٢٢"` shows as `"\u0661\u0662:\u0662\u0662"`.
 */
export function quote(value: string): string {
  const escaped = JSON.stringify(value.slice(0, QUOTED_MAX)).replace(
    /[<>&\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return value.length > QUOTED_MAX ? `${escaped.slice(0, -1)}…"` : escaped;
}
