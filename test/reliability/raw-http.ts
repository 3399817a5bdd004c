import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** What one raw exchange ended with: a response, or the server closing the connection without one. */
export type Outcome = { readonly response: RawResponse } | { readonly closedWithoutResponse: true };

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * An HTTP/1.1 client over one raw TCP socket, for bytes that node:http refuses to send (control characters in
 * the path, oversized or malformed headers, broken request lines). It sends a request, reads exactly one
 * response (Content-Length, chunked, or up to close), and reconnects when the server closed the connection.
 */
export class RawConnection {
  readonly #port: number;
  #socket: Socket | undefined;
  #buffer = Buffer.alloc(0);
  #closed = true;
  #wake: (() => void) | undefined;

  constructor(port: number) {
    this.#port = port;
  }

  async #open(): Promise<Socket> {
    if (this.#socket !== undefined && !this.#closed) return this.#socket;
    const socket = connect(this.#port, '127.0.0.1');
    await once(socket, 'connect');
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    this.#closed = false;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    // A reset after the server answered and closed is the end of the connection like any other.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    return socket;
  }

  /** Resolves when more bytes arrived or the socket closed. */
  #more(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  #take(length: number): Buffer {
    const taken = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return taken;
  }

  /**
   * Sends `request` as is and reads one response; rejects if none has come within `timeoutMs`. With `last`,
   * the client then ends its side, so that an incomplete request is judged now rather than at the timeout.
   */
  async exchange(request: Buffer | string, { last = false, timeoutMs = 5_000 } = {}): Promise<Outcome> {
    const socket = await this.#open();
    if (last) socket.end(request);
    else socket.write(request);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no response within ${timeoutMs} ms to ${JSON.stringify(String(request).slice(0, 120))}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.#read(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(): Promise<Outcome> {
    let end: number;
    while ((end = this.#buffer.indexOf(HEADER_END)) === -1) {
      if (this.#closed) return { closedWithoutResponse: true };
      await this.#more();
    }
    const [statusLine = '', ...lines] = this.#take(end + HEADER_END.length)
      .toString('latin1')
      .split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = await this.#readBody(headers);
    if (headers.connection?.toLowerCase() === 'close') this.close();
    return { response: { status, headers, body } };
  }

  async #readBody(headers: Record<string, string>): Promise<Buffer> {
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      while (this.#buffer.length < length && !this.#closed) await this.#more();
      return this.#take(length);
    }
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const chunks: Buffer[] = [];
      for (;;) {
        let lineEnd: number;
        while ((lineEnd = this.#buffer.indexOf('\r\n')) === -1 && !this.#closed) await this.#more();
        const size = parseInt(this.#take(lineEnd + 2).toString('latin1'), 16);
        while (this.#buffer.length < size + 2 && !this.#closed) await this.#more();
        chunks.push(this.#take(size));
        this.#take(2);
        if (size === 0 || Number.isNaN(size)) return Buffer.concat(chunks);
      }
    }
    while (!this.#closed) await this.#more();
    return this.#take(this.#buffer.length);
  }

  close(): void {
    this.#socket?.destroy();
    this.#closed = true;
  }
}
