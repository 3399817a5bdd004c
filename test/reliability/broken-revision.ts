/**
 * A revision that never turns healthy: it listens, as a task whose process started, and answers 503 to everything,
 * its health check included. Any request that reached it would show up as a 503 in the drill's books.
 */
import { createServer } from 'node:http';

const server = createServer((_, res) => {
  res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready');
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  // The line tools/server-process.ts waits for.
  process.stdout.write(`Server listening at http://127.0.0.1:${port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
