// How audit and the LimitRange informer talk to the API server: the kubeconfig (or the in-cluster
// service account) gives the server, the namespace and the credentials; each GET returns the
// response's own JSON.
//
// Raw requests, with the KubeConfig's applied TLS and auth, rather than CoreV1Api: in
// @kubernetes/client-node 1.4.0 a list goes through ObjectSerializer.deserialize into model
// classes (Date objects for timestamps, fields the models don't know dropped), and the rules must
// see a pod exactly as the webhook does, as plain JSON (DESIGN.md). Serializing back would cost a
// second full copy of every pod. applyToHTTPSOptions gives the same CA, client certificate, token
// or exec plugin the library itself would use.
import http from 'node:http';
import https from 'node:https';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import { KubeError, firstLine, statusOf, type KubeStatus } from './kube-error.js';

/** A failure the audit reports as one line on stderr and exit code 2. */
export class AuditError extends Error {}

/** An answer other than 200, with the Kubernetes Status body when the server sent one. */
export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly status: KubeStatus | undefined,
    readonly server: string,
  ) {
    super(describeStatus(code, status, server));
  }
}

export interface Connection {
  /** The API server's address, for messages. */
  server: string;
  /** The namespace of the kubeconfig's current context (kubectl's default), else `default`. */
  namespace: string;
  /** GETs a path (with its query); resolves with the parsed 200 body, or throws ApiStatusError / AuditError. */
  get(path: string): Promise<unknown>;
}

const REQUEST_TIMEOUT_MS = 60_000;

export async function connect(kubeconfigFile?: string): Promise<Connection> {
  // Loaded on use: @kubernetes/client-node takes a second to load.
  const { loadKubeConfig } = await import('./kubeconfig.js');
  try {
    const { config, cluster } = loadKubeConfig(kubeconfigFile);
    return connectWith(config, cluster, kubeconfigFile);
  } catch (error) {
    // Audit reports its own failures with exit code 2 (1 means "defaults missing").
    if (error instanceof KubeError) throw new AuditError(error.message);
    throw error;
  }
}

/** A connection through a kubeconfig and its current cluster, as loadKubeConfig gives them (audit, and serve's LimitRange informer). */
export function connectWith(config: KubeConfig, cluster: Cluster, kubeconfigFile?: string): Connection {
  const source = kubeconfigFile ? `the kubeconfig ${kubeconfigFile}` : 'the kubeconfig';
  const server = cluster.server.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new AuditError(`${source} gives a server address that is not a URL: ${server}`);
  }
  const context = config.getContextObject(config.getCurrentContext());
  return {
    server,
    namespace: context?.namespace || 'default',
    get: (path) => get(config, url, server, path),
  };
}

async function get(config: KubeConfig, base: URL, server: string, path: string): Promise<unknown> {
  const options: https.RequestOptions = {
    method: 'GET',
    headers: { Accept: 'application/json', 'User-Agent': 'runner-defaults-audit' },
    timeout: REQUEST_TIMEOUT_MS,
  };
  try {
    await config.applyToHTTPSOptions(options);
  } catch (error) {
    // An exec plugin that fails, unreadable certificate files, plain http without insecure-skip-tls-verify...
    throw new AuditError(`cannot use the kubeconfig: ${firstLine((error as Error).message)}`);
  }
  const url = new URL(base.pathname.replace(/\/$/, '') + path, base);
  // The library's agent matches the scheme (and carries a proxy-url), so only the module differs.
  const plain = url.protocol === 'http:';
  const { code, text } = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const request = (plain ? http : https).request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ code: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    request.end();
  }).catch((error: NodeJS.ErrnoException) => {
    throw new AuditError(describeNetworkError(error, server));
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    if (code === 200) throw new AuditError(`the API server at ${server} answered with a body that is not JSON`);
  }
  if (code !== 200) throw new ApiStatusError(code, statusOf(body), server);
  return body;
}

const NETWORK_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
};

function describeNetworkError(error: NodeJS.ErrnoException, server: string): string {
  const code = error.code ?? '';
  const cause = NETWORK_CAUSES[code];
  if (cause) return `cannot reach the API server at ${server} (${cause})`;
  if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME/.test(code)) {
    return `cannot trust the API server's certificate at ${server} (${code}: ${firstLine(error.message)})`;
  }
  return `cannot reach the API server at ${server} (${firstLine(error.message)})`;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  410: 'Gone',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function describeStatus(code: number, status: KubeStatus | undefined, server: string): string {
  const label = `${code} ${status?.reason || REASONS[code] || 'error'}`;
  if (code === 401) return `the API server refused the credentials (${label}) at ${server}`;
  const detail = status?.message ? `: ${firstLine(status.message)}` : '';
  if (code === 403) return `the API server forbids this (${label}) at ${server}${detail}`;
  return `the API server answered ${label} at ${server}${detail}`;
}
