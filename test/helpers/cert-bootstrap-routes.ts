// The routes `runner-defaults certs --apply` calls, for the stand-in API server (kube-api-server.ts):
// Secrets (GET, POST, PUT with resourceVersion conflicts) and MutatingWebhookConfigurations (GET,
// and PATCH that applies a JSON patch only when sent as application/json-patch+json), over an
// in-memory store of wire-format objects that a test can seed and read back.
import { randomUUID } from 'node:crypto';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { kubeStatus, type ApiRequest, type ApiResponse, type KubeApiServer } from './kube-api-server.js';

const { applyPatch } = fastJsonPatch;

export interface WireObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; creationTimestamp?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface WireSecret extends WireObject {
  type?: string;
  data?: Record<string, string>;
}

export interface WireWebhookConfiguration extends WireObject {
  webhooks?: { name: string; clientConfig: { caBundle?: string; [key: string]: unknown }; [key: string]: unknown }[];
}

export interface ClusterStore {
  /** Keyed `namespace/name`. */
  secrets: Map<string, WireSecret>;
  webhookConfigurations: Map<string, WireWebhookConfiguration>;
  /** The Content-Type of each PATCH received. */
  patchContentTypes: string[];
}

let version = 1000;
/** Stamps what the API server sets on a write: a new resourceVersion, and uid and creationTimestamp on create. */
export function stored<T extends WireObject>(object: T, created = true): T {
  version += 1;
  const metadata = { ...object.metadata, resourceVersion: String(version) };
  if (created) Object.assign(metadata, { uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
  return { ...object, metadata };
}

const json = (request: ApiRequest) => JSON.parse(request.body) as WireObject;
const notFound = (resource: string, name: string, group = '') =>
  kubeStatus(404, 'NotFound', `${resource}${group ? `.${group}` : ''} "${name}" not found`, { details: { name, group, kind: resource } });

export function certBootstrapRoutes(server: KubeApiServer): ClusterStore {
  const store: ClusterStore = { secrets: new Map(), webhookConfigurations: new Map(), patchContentTypes: [] };
  const SECRET = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/;
  const SECRETS = /^\/api\/v1\/namespaces\/([^/]+)\/secrets$/;
  const WEBHOOK = /^\/apis\/admissionregistration\.k8s\.io\/v1\/mutatingwebhookconfigurations\/([^/]+)$/;

  server.route('GET', SECRET, ({ match }): ApiResponse => {
    const secret = store.secrets.get(`${match[1]}/${match[2]}`);
    return secret ? { body: secret } : notFound('secrets', match[2] as string);
  });

  server.route('POST', SECRETS, (request): ApiResponse => {
    const body = json(request) as WireSecret;
    const key = `${request.match[1]}/${body.metadata.name}`;
    if (store.secrets.has(key)) return kubeStatus(409, 'AlreadyExists', `secrets "${body.metadata.name}" already exists`);
    const secret = stored({ ...body, metadata: { ...body.metadata, namespace: request.match[1] as string } });
    store.secrets.set(key, secret);
    return { status: 201, body: secret };
  });

  server.route('PUT', SECRET, (request): ApiResponse => {
    const key = `${request.match[1]}/${request.match[2]}`;
    const current = store.secrets.get(key);
    if (!current) return notFound('secrets', request.match[2] as string);
    const body = json(request) as WireSecret;
    if (body.metadata.resourceVersion !== current.metadata.resourceVersion) {
      return kubeStatus(409, 'Conflict', `Operation cannot be fulfilled on secrets "${request.match[2]}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    if (body.type !== current.type) return kubeStatus(422, 'Invalid', `Secret "${request.match[2]}" is invalid: type: Invalid value: "${body.type}": field is immutable`);
    const secret = stored({ ...body, metadata: { ...body.metadata, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp } }, false);
    store.secrets.set(key, secret);
    return { body: secret };
  });

  server.route('GET', WEBHOOK, ({ match }): ApiResponse => {
    const configuration = store.webhookConfigurations.get(match[1] as string);
    return configuration ? { body: configuration } : notFound('mutatingwebhookconfigurations', match[1] as string, 'admissionregistration.k8s.io');
  });

  server.route('PATCH', WEBHOOK, (request): ApiResponse => {
    const name = request.match[1] as string;
    const contentType = request.headers['content-type'] ?? '';
    store.patchContentTypes.push(contentType);
    const current = store.webhookConfigurations.get(name);
    if (!current) return notFound('mutatingwebhookconfigurations', name, 'admissionregistration.k8s.io');
    if (contentType.split(';')[0] !== 'application/json-patch+json') {
      return kubeStatus(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    }
    let patched: WireWebhookConfiguration;
    try {
      patched = applyPatch(structuredClone(current), JSON.parse(request.body) as Operation[], true, true).newDocument;
    } catch (error) {
      return kubeStatus(422, 'Invalid', `the server rejected our request due to an error in our request: ${(error as Error).message.split('\n')[0]}`);
    }
    const configuration = stored(patched, false);
    store.webhookConfigurations.set(name, configuration);
    return { body: configuration };
  });

  return store;
}
