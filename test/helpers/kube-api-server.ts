// A stand-in Kubernetes API server for tests: HTTPS on 127.0.0.1 with an ephemeral port and real
// TLS (a throwaway CA and a server certificate for 127.0.0.1, made with the openssl CLI), bearer
// token checks (a 401 Status otherwise), route handlers by method and path regex answering in the
// API's wire format, and a log of every request. `writeKubeconfig` writes a real kubeconfig that
// trusts the CA. Generic on purpose: pods, LimitRanges (with streaming watches), and what comes next.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface ApiRequest {
  method: string;
  url: URL;
  /** The route's path regex matched against url.pathname (capture groups included). */
  match: RegExpExecArray;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ApiResponse {
  status?: number;
  /** An object is sent as JSON; a string is sent as it is. Ignored when `stream` is given. */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * A streaming answer (a watch): the status and headers are sent, then `stream` owns the
   * response and writes to it (and ends it, or not) as it likes.
   */
  stream?: (res: ServerResponse) => void;
}

export type ApiHandler = (request: ApiRequest) => ApiResponse | Promise<ApiResponse>;

export interface Route {
  method: string;
  path: RegExp;
  handle: ApiHandler;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorized: boolean;
}

interface RequestWaiter {
  test: (request: LoggedRequest) => boolean;
  resolve: (request: LoggedRequest) => void;
}

/** How long waitForRequest waits: well inside vitest's 20 s, so a request that never comes fails with the requests that did. */
const REQUEST_WAIT_MS = 10_000;

export interface KubeApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  caPem: string;
  token: string;
  requests: LoggedRequest[];
  /** Resolves with the first request, logged already or to come, that passes the test; rejects, naming what came, if none has within 10 s. */
  waitForRequest(test: (request: LoggedRequest) => boolean): Promise<LoggedRequest>;
  /** Adds a route; routes added later win over earlier ones with the same method and path. */
  route(method: string, path: RegExp, handle: ApiHandler): void;
  close(): Promise<void>;
}

/** A Kubernetes Status body, as the API server answers errors (and 410 Expired for lists). */
export function kubeStatus(code: number, reason: string, message: string, extra: Record<string, unknown> = {}): ApiResponse {
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...extra },
  };
}

interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

let tls: TlsMaterial | undefined;

/** A CA and a server certificate for IP 127.0.0.1 (EC P-256: quick to make), once per test process. */
export function testTls(): TlsMaterial {
  if (tls) return tls;
  const dir = mkdtempSync(join(tmpdir(), 'kube-api-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=kube-api-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext'));
  tls = { caPem: readFileSync(file('ca.crt'), 'utf8'), certPem: readFileSync(file('server.crt'), 'utf8'), keyPem: readFileSync(file('server.key'), 'utf8') };
  return tls;
}

export async function startKubeApiServer(options: { token?: string; routes?: Route[] } = {}): Promise<KubeApiServer> {
  const { caPem, certPem, keyPem } = testTls();
  const token = options.token ?? 'test-token-0123456789';
  const routes: Route[] = [...(options.routes ?? [])];
  const requests: LoggedRequest[] = [];
  const waiting = new Set<RequestWaiter>();
  const log = (request: LoggedRequest): void => {
    requests.push(request);
    for (const waiter of waiting) {
      if (!waiter.test(request)) continue;
      waiting.delete(waiter);
      waiter.resolve(request);
    }
  };

  const server = https.createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const method = req.method ?? 'GET';
      const authorized = req.headers.authorization === `Bearer ${token}`;
      log({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), authorized });
      const answer = async (): Promise<ApiResponse> => {
        if (!authorized) return kubeStatus(401, 'Unauthorized', 'Unauthorized');
        for (const route of [...routes].reverse()) {
          const match = route.method === method ? route.path.exec(url.pathname) : null;
          if (match) return route.handle({ method, url, match, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        }
        return kubeStatus(404, 'NotFound', 'the server could not find the requested resource');
      };
      answer().then(
        (response) => send(res, response),
        (error: Error) => send(res, kubeStatus(500, 'InternalError', `test handler failed: ${error.message}`)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem,
    token,
    requests,
    waitForRequest: (test) =>
      new Promise((resolve, reject) => {
        const logged = requests.find(test);
        if (logged) return resolve(logged);
        const waiter: RequestWaiter = {
          test,
          resolve: (request) => {
            clearTimeout(timer);
            resolve(request);
          },
        };
        const timer = setTimeout(() => {
          waiting.delete(waiter);
          const seen = requests.map(({ method, path, query }) => `${method} ${path}${query.watch === 'true' ? ' (watch)' : ''}`);
          reject(new Error(`no such request within ${REQUEST_WAIT_MS / 1000} s; requests so far: ${seen.join(', ') || 'none'}`));
        }, REQUEST_WAIT_MS);
        waiting.add(waiter);
      }),
    route: (method, path, handle) => void routes.push({ method, path, handle }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (response.stream) {
    res.writeHead(response.status ?? 200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', ...response.headers });
    res.flushHeaders();
    response.stream(res);
    return;
  }
  const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  res.writeHead(response.status ?? 200, { 'Content-Type': 'application/json', ...response.headers });
  res.end(text);
}

export interface KubeconfigOptions {
  server: string;
  /** The CA to trust; without it the client falls back to the system's trust store. */
  caPem?: string;
  token: string;
  /** The current context's namespace. */
  namespace?: string;
  /** Where to write it; a new temp file otherwise. */
  file?: string;
}

/** Writes a kubeconfig (certificate-authority-data, bearer token, one current context) and returns its path. */
export function writeKubeconfig(options: KubeconfigOptions): string {
  const file = options.file ?? join(mkdtempSync(join(tmpdir(), 'kubeconfig-')), 'config');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test',
        cluster: {
          server: options.server,
          ...(options.caPem ? { 'certificate-authority-data': Buffer.from(options.caPem).toString('base64') } : {}),
        },
      },
    ],
    users: [{ name: 'test-user', user: { token: options.token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test-user', ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': 'test',
  };
  writeFileSync(file, stringify(config));
  return file;
}
