// Starts `runner-defaults serve` (the built dist/cli.js) as a child process on 127.0.0.1 with an
// ephemeral port, collects its JSON log lines, and talks to it over real HTTPS with CA and
// hostname verification.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { createInterface } from 'node:readline';
import type { TLSSocket } from 'node:tls';
import { CLI } from './cli.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the request went over a kept-alive connection. */
  reusedSocket: boolean;
  /** The SHA-256 fingerprint of the certificate the server presented. */
  fingerprint256: string;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Default: the server's shared keep-alive agent, as the API server keeps connections; false for a new connection. */
  agent?: Agent | false;
}

export class WebhookProcess {
  readonly logs: LogLine[] = [];
  readonly rawOutput: string[] = [];
  port = 0;
  /** Keeps connections open like the API server does; a client that closes would see EPIPE when we refuse a large body. */
  readonly agent: Agent;
  private waiters: { test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    public ca: string | Buffer,
    readonly servername: string,
  ) {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      this.rawOutput.push(text);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      this.logs.push(line);
      this.waiters = this.waiters.filter((waiter) => !(waiter.test(line) && (waiter.resolve(line), true)));
    });
    child.stderr!.on('data', (chunk: Buffer) => this.rawOutput.push(chunk.toString()));
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, servername });
  }

  /**
   * Starts serve with the given certificate files and extra flags; resolves once it listens.
   * With no certificate files, serve makes its own under cwd/certs and this trusts the CA it logs.
   */
  static async start(options: {
    cert?: string;
    key?: string;
    ca?: string | Buffer;
    servername: string;
    args?: string[];
    cwd?: string;
    /** Extra environment for the child (after KUBERNETES_SERVICE_HOST is removed). */
    env?: Record<string, string>;
    /** A module in test/helpers/ that the child loads before serve (node --import), to watch or to inject a fault. */
    preload?: string;
  }): Promise<WebhookProcess> {
    const tls = options.cert && options.key ? ['--tls-cert', options.cert, '--tls-key', options.key] : [];
    // Never the in-cluster API server of whatever runs the tests: a test that wants one passes --kubeconfig.
    const env = { ...process.env };
    delete env.KUBERNETES_SERVICE_HOST;
    Object.assign(env, options.env);
    // A file: URL, so a checkout path with a space in it still makes one option.
    if (options.preload) env.NODE_OPTIONS = `--import=${new URL(options.preload, import.meta.url).href}`;
    const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...tls, ...(options.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
      env,
    });
    const server = new WebhookProcess(child, options.ca ?? '', options.servername);
    const listening = await Promise.race([
      server.waitForLog((line) => line.msg === 'listening'),
      server.exited.then((code) => {
        throw new Error(`serve exited with ${code} before listening:\n${server.rawOutput.join('\n')}`);
      }),
    ]);
    server.port = listening.port as number;
    const made = server.logs.find((line) => typeof line.caFile === 'string');
    if (!options.ca && made) server.ca = readFileSync(made.caFile as string);
    return server;
  }

  /** Resolves with the first log line (already seen or still to come) that passes the test. */
  waitForLog(test: (line: LogLine) => boolean): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  request(options: RequestOptions = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method: options.method ?? 'GET',
          path: options.path ?? '/healthz',
          headers: options.headers,
          ca: this.ca,
          servername: this.servername,
          agent: options.agent ?? this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          const fingerprint256 = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), reusedSocket: req.reusedSocket, fingerprint256 }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** POSTs an AdmissionReview body to /mutate. */
  review(body: string | Buffer, agent?: Agent | false): Promise<Reply> {
    return this.request({ method: 'POST', path: '/mutate?timeout=10s', headers: { 'content-type': 'application/json' }, body, agent });
  }

  /** An agent that keeps connections open and verifies the server the same way. */
  keepAliveAgent(): Agent {
    return new Agent({ keepAlive: true, maxSockets: 1, ca: this.ca, servername: this.servername });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.agent.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** Resolves when the child's standard output and error have both ended: after its exit, lines can still be arriving. */
  async outputEnded(): Promise<void> {
    for (const stream of [this.child.stdout!, this.child.stderr!]) if (!stream.readableEnded) await once(stream, 'end');
  }

  get exitCode(): Promise<number | null> {
    return this.exited;
  }
}
