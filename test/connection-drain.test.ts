// Which connections a shutdown closes: idle keep-alive ones at once, and none that carries a
// request the server has accepted, read in part, or not yet finished reading; each of those closes
// when it comes to rest. And which answer says `connection: close`: only the last one read. On a
// real node:https server over TLS, driven by raw TLS clients, so the test controls exactly which
// bytes have arrived.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionDrain } from '../src/server/connection-drain.js';
import { certsFromCli, type CertFiles } from './helpers/certs.js';
import { connectRaw, rawPost } from './helpers/raw-https.js';

let certs: CertFiles;
let server: Server | undefined;

beforeAll(async () => {
  certs = await certsFromCli();
});

afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

/** A server whose requests, numbered from 1, go to `handler`; its connections in the order they came. */
async function serve(handler: Handler) {
  let index = 0;
  const started = createServer({ cert: readFileSync(certs.cert), key: readFileSync(certs.key) });
  server = started;
  const drain = new ConnectionDrain(started);
  started.on('request', (req: IncomingMessage, res: ServerResponse) => handler(req, res, ++index));
  const sockets: TLSSocket[] = [];
  started.on('secureConnection', (socket: TLSSocket) => sockets.push(socket));
  /** The server's side of the connection that came `index`th (from 0), once its handshake is done there. */
  const serverSide = async (index: number): Promise<TLSSocket> => {
    while (!sockets[index]) await nextTurn();
    return sockets[index];
  };
  started.listen(0, '127.0.0.1');
  await once(started, 'listening');
  return { server: started, drain, serverSide, port: (started.address() as AddressInfo).port };
}

/** Answers with the request's body once it has been read. */
const echo: Handler = (req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => res.end(`answer ${body}`));
};

/** Waits until the server side of a connection has read more than `before` bytes. */
async function readPast(socket: TLSSocket, before: number): Promise<void> {
  while (socket.bytesRead <= before) await nextTurn();
}

describe('connections at shutdown', () => {
  it('keeps a connection whose next request was read while the last answer was still being written (Node closes it)', async () => {
    const { server: started, drain } = await serve((req, res, index) => {
      req.resume();
      req.on('end', () => {
        if (index === 1) return res.end('answer one');
        // The first answer has been ended but its write has not called back: Node's own
        // closeIdleConnections() takes this connection for idle here and destroys it.
        drain.drain();
        started.close();
        setImmediate(() => res.end('answer two'));
      });
    });
    const pipelined = await connectRaw((started.address() as AddressInfo).port, certs.caPem);
    pipelined.socket.write(rawPost('/mutate', 'one') + rawPost('/mutate', 'two'));
    await pipelined.closed;
    expect(pipelined.received().match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(pipelined.received()).toMatch(/answer one[^]*answer two$/);
  });

  it('marks only the last of two pipelined requests read after keep-alive ended to close the connection, so both are answered', async () => {
    const { drain, port } = await serve((req, res, index) => {
      req.resume();
      req.on('end', () => setImmediate(() => res.end(`answer ${index}`)));
    });
    drain.endKeepAlive();
    const pipelined = await connectRaw(port, certs.caPem);
    pipelined.socket.write(rawPost('/mutate', 'one') + rawPost('/mutate', 'two'));
    await pipelined.closed;
    const [first, second] = pipelined.received().split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n(?![^]*connection: close)[^]*answer 1$/i);
    expect(second).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*connection: close\r\n[^]*answer 2$/i);
  });

  it('closes an idle keep-alive connection at once, and a busy one when its answer has been sent', async () => {
    const { drain, serverSide, port } = await serve(echo);
    const idle = await connectRaw(port, certs.caPem);
    idle.socket.write(rawPost('/mutate', 'idle'));
    await idle.until('answer idle');
    const busy = await connectRaw(port, certs.caPem);
    busy.socket.write(rawPost('/mutate', 'busy').slice(0, -2)); // the body's last two bytes are still to come
    const busySide = await serverSide(1);
    await readPast(busySide, 0);
    drain.drain();
    await idle.closed;
    expect(busySide.destroyed).toBe(false);
    busy.socket.write('sy');
    await busy.closed;
    expect(busy.received()).toMatch(/^HTTP\/1\.1 200 OK[^]*answer busy$/);
  });

  it('keeps a connection that has sent part of its next request, which is then answered', async () => {
    const { drain, serverSide, port } = await serve(echo);
    const partial = await connectRaw(port, certs.caPem);
    partial.socket.write(rawPost('/mutate', 'first'));
    await partial.until('answer first');
    const partialSide = await serverSide(0);
    const before = partialSide.bytesRead;
    const next = rawPost('/mutate', 'second');
    partial.socket.write(next.slice(0, 8));
    await readPast(partialSide, before);
    drain.drain();
    expect(partialSide.destroyed).toBe(false);
    partial.socket.write(next.slice(8));
    await partial.closed;
    expect(partial.received()).toMatch(/answer first[^]*answer second$/);
  });

  it('keeps a connection whose next request began to arrive before the last answer was written out', async () => {
    let bodyEnded: () => void = () => undefined;
    let answered: () => void = () => undefined;
    const firstBodyEnded = new Promise<void>((resolve) => (bodyEnded = resolve));
    const firstAnswerClosed = new Promise<void>((resolve) => (answered = resolve));
    const { drain, serverSide, port } = await serve((req, res, index) => {
      if (index > 1) return echo(req, res, index);
      req.resume();
      req.on('end', () => {
        const before = req.socket.bytesRead;
        bodyEnded();
        // Answered only once part of the next request has been read on this connection.
        void readPast(req.socket as TLSSocket, before).then(() => {
          res.on('close', answered);
          res.end('answer one');
        });
      });
    });
    const early = await connectRaw(port, certs.caPem);
    early.socket.write(rawPost('/mutate', 'one'));
    await firstBodyEnded;
    const next = rawPost('/mutate', 'two');
    early.socket.write(next.slice(0, 8));
    await firstAnswerClosed;
    const earlySide = await serverSide(0);
    drain.drain();
    expect(earlySide.destroyed).toBe(false);
    early.socket.write(next.slice(8));
    await early.closed;
    expect(early.received()).toMatch(/answer one[^]*answer two$/);
  });

  it('keeps a new connection that has sent nothing yet, and answers its first request', async () => {
    const { drain, serverSide, port } = await serve(echo);
    const fresh = await connectRaw(port, certs.caPem);
    const freshSide = await serverSide(0);
    drain.drain();
    expect(freshSide.destroyed).toBe(false);
    fresh.socket.write(rawPost('/mutate', 'late'));
    await fresh.closed;
    expect(fresh.received()).toMatch(/answer late$/);
  });

  it('keeps a connection answered before its request body ended until the body has arrived', async () => {
    const { drain, serverSide, port } = await serve((_req, res) => res.end('refused early'));
    const early = await connectRaw(port, certs.caPem);
    early.socket.write(rawPost('/mutate', 'unread body').slice(0, -4));
    await early.until('refused early');
    const earlySide = await serverSide(0);
    drain.drain();
    expect(earlySide.destroyed).toBe(false);
    early.socket.write('body');
    await early.closed;
    expect(early.received().match(/HTTP\/1\.1 200 OK/g)).toHaveLength(1);
  });
});
