import { connect } from 'node:net';
import { once } from 'node:events';

export interface SlowClient {
  readonly kind: 'silent' | 'trickle';
  /** Resolves when the server has closed the socket: what it sent, and after how long. */
  readonly cut: Promise<{ ms: number; received: string }>;
  stop(): void;
}

/**
 * A client that holds a connection open without finishing a request: `silent` sends nothing, `trickle` sends a
 * request's headers one byte every `intervalMs` and never ends them. The server's headers and request timeouts
 * must cut both off.
 */
export async function slowClient(port: number, kind: SlowClient['kind'], intervalMs = 100): Promise<SlowClient> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const opened = performance.now();
  let received = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const request = `GET /clock?mirror_time=12:22 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'p'.repeat(300)}\r\n\r\n`;
  let sent = 0;
  const timer =
    kind === 'trickle'
      ? setInterval(() => socket.writable && socket.write(request[sent++ % request.length]!), intervalMs)
      : undefined;
  // Not once(socket, 'close'): that rejects on the reset a cut-off trickler may get, which is a close like any other.
  const closed = new Promise((resolve) => socket.once('close', resolve));
  const cut = closed.then(() => {
    clearInterval(timer);
    return { ms: performance.now() - opened, received };
  });
  return { kind, cut, stop: () => socket.destroy() };
}
