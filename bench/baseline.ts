/**
 * The practical limit: a bare node:http server that answers GET /clock?mirror_time=12:22 with the same
 * bytes as the service (status, the same header set, a fresh x-request-id, the same JSON body), and
 * does the same work a hand-written server must do: split the URL, read the one parameter, solve.
 * No framework, no validation library, no logger. Run it with `node bench/baseline.ts` (PORT, HOST as
 * for the service); it prints the same "Server listening at" line so the bench can start both alike.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { SECURITY_HEADERS } from '../src/headers.ts';
import { solve } from '../src/mirror.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const mirrorTime = params.get('mirror_time');
  const answer = req.method === 'GET' && path === '/clock' && mirrorTime !== null ? solve(mirrorTime) : undefined;
  const body = answer === undefined ? '{"statusCode":400}' : JSON.stringify(answer);
  res.writeHead(answer === undefined ? 400 : 200, {
    ...SECURITY_HEADERS,
    'x-request-id': randomUUID(),
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});

server.listen(Number(process.env.PORT ?? 8081), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  process.stdout.write(`Server listening at http://${address.address}:${address.port}\n`);
});

process.once('SIGTERM', () => server.close(() => process.exit(0)));
