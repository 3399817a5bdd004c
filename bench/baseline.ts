/**
 * The practical limit: a bare node:http server that answers GET /clock?mirror_time=12:22, with no framework, no
 * validation library and no logger. It does the work a hand-written server must do: split the URL, read the one
 * parameter, solve. Two variants, chosen by BASELINE_BYTES:
 *
 * - `seed` (the default): what the original API sent, the JSON body with its content type and length. The bench's
 *   targets are ratios against this one.
 * - `service`: the service's bytes, the same headers (API_HEADERS, a fresh request id, the ETag, Cache-Control and
 *   Vary), with the answer serialised once as the service does: what the headers alone cost, with no framework.
 *
 * Run it with `node bench/baseline.ts` (PORT, HOST as for the service); it prints the same "Server listening at" line
 * so the bench can start it like the service.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { API_HEADERS, requestId } from '../src/headers.ts';
import { represent, type Representation } from '../src/example/representation.ts';
import { solve } from '../src/example/mirror.ts';

const SERVICE_BYTES = process.env.BASELINE_BYTES === 'service';
const JSON_TYPE = 'application/json';

function mirrorTimeOf(req: IncomingMessage): string | null {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (req.method !== 'GET' || path !== '/clock') return null;
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1)).get('mirror_time');
}

const answers = new Map<string, Representation>();

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const mirrorTime = mirrorTimeOf(req);
  const answer = mirrorTime === null ? undefined : solve(mirrorTime);
  if (answer === undefined) {
    res.writeHead(400, { 'content-type': JSON_TYPE, 'content-length': 18 }).end('{"statusCode":400}');
  } else if (SERVICE_BYTES) {
    let sent = answers.get(mirrorTime!);
    if (sent === undefined) answers.set(mirrorTime!, (sent = represent(JSON_TYPE, JSON.stringify(answer))));
    res.writeHead(200, {
      ...API_HEADERS,
      ...sent.headers,
      'x-request-id': requestId(req),
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(sent.body),
    });
    res.end(sent.body);
  } else {
    const body = JSON.stringify(answer);
    res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) }).end(body);
  }
});

server.listen(Number(process.env.PORT ?? 8081), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  process.stdout.write(`Server listening at http://${address.address}:${address.port}\n`);
});

process.once('SIGTERM', () => server.close(() => process.exit(0)));
