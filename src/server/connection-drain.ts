// How keep-alive connections end at shutdown: which answers say `connection: close`, and which
// connections may be closed, both decided here rather than by node:http.
// Node's closeIdleConnections(), which server.close() also calls, takes a connection for idle when
// the response it is writing has been ended, even if that write has not called back and the next
// request on the connection has already been read: it destroys the connection under that accepted
// request, whose answer then goes nowhere although the server sent (and logged) it. Reproduced on
// Node 20.20 with two pipelined requests (test/connection-drain.test.ts); a keep-alive client whose
// next request arrives before the last answer's TLS write has called back meets it too. It is the
// likely cause of one review lost in a CI run of the SIGTERM-under-load test.
//
// Here a connection is at rest when every request read on it has been read to its end and its
// response has closed, and no byte has arrived since the last body ended: Node's line between two
// requests, drawn from events (settled() says where it falls short). A new connection is not at
// rest before its first exchange is over, as in Node.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';

interface Connection {
  /** Each request read on the connection counts twice until its body has ended and its response has closed. */
  open: number;
  /** bytesRead when the body of the last request read had all arrived. */
  readAtEnd: number;
  /** readAtEnd when `open` last came to 0; undefined before the first exchange is over. */
  readAtRest?: number;
  /** Once keep-alive has ended: the response of the last request read, the one that closes the connection. */
  last?: ServerResponse;
}

/**
 * Node writes nothing queued behind an answer that says `connection: close` (two pipelined
 * requests: the second is answered in vain, its response never even closes), so only the last
 * request read may say it. One read after the last answer's head was written, and before it was
 * written out, is still lost that way; the API server does not pipeline.
 */
function closeAfter(connection: Connection, res: ServerResponse): void {
  if (connection.last && !connection.last.headersSent) connection.last.removeHeader('connection');
  res.setHeader('connection', 'close');
  connection.last = res;
}

export class ConnectionDrain {
  private readonly connections = new Map<Socket, Connection>();
  private draining = false;
  private keepAliveEnded = false;

  constructor(server: Server) {
    server.on('secureConnection', (socket: Socket) => {
      this.connections.set(socket, { open: 0, readAtEnd: 0 });
      socket.once('close', () => this.connections.delete(socket));
    });
    // Listeners that read the socket from `this`, so a request costs no closure.
    const settled = (socket: Socket, ended: boolean): void => this.settled(socket, ended);
    function requestEnded(this: IncomingMessage): void {
      settled(this.socket, true);
    }
    function responseClosed(this: ServerResponse): void {
      settled(this.req.socket, false);
    }
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const connection = this.connections.get(req.socket);
      if (!connection) return;
      connection.open += 2;
      req.on('end', requestEnded);
      res.on('close', responseClosed);
      if (this.keepAliveEnded) closeAfter(connection, res);
    });
    // server.close() calls this method before it stops listening; it must not be Node's.
    server.closeIdleConnections = () => this.closeIdle();
  }

  /**
   * From now on each answer closes its connection (`connection: close`), but for one with another
   * request already read behind it on that connection: the request listener must come after this
   * one's, so the header is set before any answer is written.
   */
  endKeepAlive(): void {
    this.keepAliveEnded = true;
  }

  /** Closes every connection at rest now. */
  closeIdle(): void {
    for (const [socket, connection] of this.connections) this.closeIfAtRest(socket, connection);
  }

  /** Closes every connection at rest now, and from now on each as soon as it comes to rest. */
  drain(): void {
    this.draining = true;
    this.closeIdle();
  }

  /**
   * A request's body has ended (`ended`) or its response has closed. The count of bytes at rest is
   * the one at the body's end, not at the response's close: bytes of a next request that arrive
   * in between (the answer is written in a batch, and its TLS write calls back a turn later) then
   * keep the connection busy. Only bytes that came in the same read as the body's end are missed:
   * a pipelining client's next request, which it must send again if the connection closes.
   */
  private settled(socket: Socket, ended: boolean): void {
    const connection = this.connections.get(socket);
    if (!connection) return;
    if (ended) connection.readAtEnd = socket.bytesRead;
    if (--connection.open > 0) return;
    connection.readAtRest = connection.readAtEnd;
    // A response sent with `connection: close` has Node end the connection itself.
    if (this.draining && !socket.writableEnded) this.closeIfAtRest(socket, connection);
  }

  private closeIfAtRest(socket: Socket, connection: Connection): void {
    if (connection.open === 0 && connection.readAtRest === socket.bytesRead) socket.destroy();
  }
}
