// The HTTPS server: node:https with TLS 1.2 or newer, reviews on the lean path, everything else
// through express, a certificate that reloads without a restart, keep-alive timeouts that outlast
// the API server's idle connections, and a graceful shutdown.
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AdmissionRequest } from '../admission/request.js';
import type { RuleContext } from '../rules/types.js';
import { CertificateWatcher, type TlsPair } from '../tls/certificate-watcher.js';
import { createApp, type ServerState } from './app.js';
import { ConnectionDrain } from './connection-drain.js';
import { createMetrics, type Metrics } from './metrics.js';
import { observed, type ObservedHandler } from './observe.js';
import { reviewEndpoint } from './review-endpoint.js';

export interface Timeouts {
  /** Idle keep-alive connections live this long: above client-go's 90 s idle timeout, so we never close one it is about to reuse. */
  keepAliveMs: number;
  /** Complete request headers must arrive within this; kept above keepAliveMs. */
  headersMs: number;
  /** A review (body read, decision, answer) may take at most this, or the API server's `timeout` if shorter. */
  reviewMs: number;
  /** A TLS handshake must finish within this. */
  handshakeMs: number;
  /** Graceful shutdown waits this long for in-flight reviews, then closes what is left. */
  shutdownMs: number;
  /** After SIGTERM, readiness fails for this long before the listener closes, so endpoints can drop us. */
  shutdownDelayMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  keepAliveMs: 120_000,
  headersMs: 125_000,
  reviewMs: 30_000,
  handshakeMs: 10_000,
  shutdownMs: 10_000,
  shutdownDelayMs: 0,
};

/** The API server sends objects up to about 3 MiB; an AdmissionReview around one is larger. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export interface WebhookServerOptions {
  certFile: string;
  keyFile: string;
  certPollMs: number;
  context: (request: AdmissionRequest) => RuleContext;
  logger: Logger;
  timeouts: Timeouts;
}

const TLS_OPTIONS = { minVersion: 'TLSv1.2' } as const;

export class WebhookServer {
  readonly state: ServerState = { listening: false, draining: false };
  readonly metrics: Metrics = createMetrics();
  private readonly watcher: CertificateWatcher;
  private server: Server | undefined;
  private connections: ConnectionDrain | undefined;
  private readonly handleReview: ObservedHandler;

  constructor(private readonly options: WebhookServerOptions) {
    this.handleReview = observed(
      reviewEndpoint({ context: options.context, maxBodyBytes: MAX_BODY_BYTES, maxDurationMs: options.timeouts.reviewMs }),
      options.logger,
      this.metrics,
    );
    this.watcher = new CertificateWatcher({
      certFile: options.certFile,
      keyFile: options.keyFile,
      pollIntervalMs: options.certPollMs,
      logger: options.logger,
      onChange: (pair) => {
        this.server?.setSecureContext({ ...TLS_OPTIONS, ...pair });
        this.metrics.certificateInUse(pair.cert);
      },
    });
  }

  /** Loads the certificate and listens; resolves with the bound address. */
  async listen(port: number, host?: string): Promise<AddressInfo> {
    const pair: TlsPair = await this.watcher.load();
    this.metrics.certificateInUse(pair.cert);
    const { timeouts, logger } = this.options;
    const { handleReview } = this;
    const app = createApp(this.state, this.metrics, handleReview.reportWaiting);
    const server = createServer(
      {
        ...TLS_OPTIONS,
        ...pair,
        handshakeTimeout: timeouts.handshakeMs,
        keepAliveTimeout: timeouts.keepAliveMs,
        headersTimeout: timeouts.headersMs,
        // Node requires requestTimeout >= headersTimeout; reviews have their own, shorter deadline.
        requestTimeout: timeouts.headersMs + timeouts.reviewMs,
        connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
      },
    );
    this.connections = new ConnectionDrain(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const path = req.url?.split('?', 1)[0];
      if (path === '/mutate') handleReview(req, res);
      else app(req, res);
    });
    server.keepAliveTimeout = timeouts.keepAliveMs;
    server.on('tlsClientError', (error) => logger.debug({ err: error.message }, 'TLS handshake failed'));
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      // What Node does with no listener, plus a debug line: answer if nothing was written yet, then close.
      const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      logger.debug({ err: error.code ?? error.message }, 'malformed or slow HTTP request');
      if (socket.writable && (socket as Socket).bytesWritten === 0) socket.write(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      socket.destroy();
    });
    this.server = server;
    server.listen(port, host);
    await once(server, 'listening');
    this.watcher.start();
    this.state.listening = true;
    return server.address() as AddressInfo;
  }

  /** Logs and counts every answered review still waiting for its batch, for an exit that cannot wait. */
  reportWaiting(): void {
    this.handleReview.reportWaiting();
  }

  /**
   * Graceful shutdown: readiness fails and the answers to requests read from now on close their
   * connections, then (after the optional delay) the listener closes, idle keep-alive connections
   * are closed, each busy one once its requests are answered, and whatever is left after the bound
   * is cut. Resolves with how many connections were cut.
   */
  async shutdown(): Promise<{ cut: number }> {
    const { server, connections } = this;
    this.state.draining = true;
    this.watcher.stop();
    if (!server || !connections) return { cut: 0 };
    connections.endKeepAlive();
    const { shutdownDelayMs, shutdownMs } = this.options.timeouts;
    if (shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, shutdownDelayMs));
    const closed = once(server, 'close');
    connections.drain();
    server.close();
    let cut = 0;
    const bound = setTimeout(() => {
      server.getConnections((_error, count) => {
        cut = count;
        server.closeAllConnections();
      });
    }, shutdownMs);
    await closed;
    clearTimeout(bound);
    this.state.listening = false;
    return { cut };
  }
}
