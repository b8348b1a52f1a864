// A TLS client that writes HTTP/1.1 by hand, for tests that must control exactly which bytes go
// out and when: pipelined requests, part of a request, a connection that stays open and silent.
import { once } from 'node:events';
import { connect, type TLSSocket } from 'node:tls';
import { SERVICE_HOST } from './certs.js';

export interface RawConnection {
  socket: TLSSocket;
  /** Everything received so far, as text. */
  received(): string;
  /** Resolves once the received text holds `text`; rejects if the connection closes first. */
  until(text: string): Promise<void>;
  /** Resolves with the complete responses received, once there are `count` of them or the connection has closed. */
  responses(count: number): Promise<RawResponse[]>;
  closed: Promise<void>;
}

export interface RawResponse {
  status: number;
  /** The head's lines after the status line, lower-cased. */
  headers: string;
  body: string;
}

/** A POST of `body` as application/json, ready to write. */
export function rawPost(path: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nhost: ${SERVICE_HOST}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The complete responses at the start of `data`; each must carry a content-length, as ours do. */
export function completeResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = data;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) return responses;
    const head = rest.subarray(0, headEnd).toString();
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
    if (Number.isNaN(length)) throw new Error(`a response without content-length: ${head.split('\r\n', 1)[0]}`);
    if (rest.length < headEnd + 4 + length) return responses;
    const [statusLine, ...headerLines] = head.split('\r\n');
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers: headerLines.join('\n').toLowerCase(), body: rest.subarray(headEnd + 4, headEnd + 4 + length).toString() });
    rest = rest.subarray(headEnd + 4 + length);
  }
}

/** Connects and completes the handshake; rejects with the connection's error (ECONNREFUSED after a shutdown). */
export async function connectRaw(port: number, ca: Buffer): Promise<RawConnection> {
  const socket = connect({ host: '127.0.0.1', port, ca, servername: SERVICE_HOST });
  await once(socket, 'secureConnect');
  let received = Buffer.alloc(0);
  let ended = false;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((resolve) => resolve());
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake();
  });
  socket.on('error', () => undefined); // a reset shows as the close below
  // Not events.once: it would reject on the error that precedes the close of a reset connection.
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      ended = true;
      wake();
      resolve();
    }),
  );
  const changed = () => new Promise<void>((resolve) => waiters.push(resolve));
  return {
    socket,
    closed,
    received: () => received.toString(),
    async until(text) {
      while (!received.includes(text)) {
        if (ended) throw new Error(`the connection closed before "${text}" arrived`);
        await changed();
      }
    },
    async responses(count) {
      while (completeResponses(received).length < count && !ended) await changed();
      return completeResponses(received);
    },
  };
}
