import { createServer, request as forward, type Server } from 'node:http';

/**
 * A stand-in for the CDN in front of a deployed service: it keeps every 200 answer under the key the distribution's
 * cache policy uses (the path with its query, and the values of `keyHeaders`), and answers a repeated key from
 * there without asking the origin (`origin()` gives its URL, once it listens). It records, per request, whether it
 * was a hit.
 */
export function cachingEdge(origin: () => string, keyHeaders: readonly string[]) {
  const cache = new Map<string, { status: number; contentType: string; body: Buffer }>();
  const hits: boolean[] = [];
  const server: Server = createServer((request, response) => {
    const key = [request.url, ...keyHeaders.map((name) => String(request.headers[name] ?? ''))].join('\n');
    const cached = cache.get(key);
    hits.push(cached !== undefined);
    if (cached !== undefined) {
      response.writeHead(cached.status, { 'content-type': cached.contentType }).end(cached.body);
      return;
    }
    const upstream = forward(new URL(request.url ?? '/', origin()), { headers: request.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const entry = {
          status: answer.statusCode ?? 502,
          contentType: answer.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        };
        if (entry.status === 200) cache.set(key, entry);
        response.writeHead(entry.status, { 'content-type': entry.contentType }).end(entry.body);
      });
    });
    upstream.on('error', () => response.writeHead(502).end());
    upstream.end();
  });
  return { server, hits };
}
