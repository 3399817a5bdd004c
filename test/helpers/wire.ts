import { once } from 'node:events';
import { connect } from 'node:net';

/**
 * One GET over a fresh keep-alive socket, as a client that reuses its connection sends it: the bytes exactly as the
 * server wrote them, up to the end of the body.
 */
export async function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n${lines.join('')}\r\n`);
  let received = Buffer.alloc(0);
  for await (const chunk of socket) {
    received = Buffer.concat([received, chunk as Buffer]);
    const end = received.indexOf('\r\n\r\n');
    const length = /\r\ncontent-length: (\d+)\r\n/i.exec(received.toString('latin1'));
    if (end !== -1 && length !== null && received.length >= end + 4 + Number(length[1])) break;
  }
  socket.destroy();
  return received;
}

export function parse(raw: Buffer) {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { statusLine, headers, body: text.slice(end + 4) };
}

// Node's own framing: Date, and Connection and Keep-Alive on a connection that stays open.
export const NODE_FRAMING = ['date', 'connection', 'keep-alive'];
