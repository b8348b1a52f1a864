// The pod listing routes of the stand-in API server (kube-api-server.ts): `GET /api/v1/pods` and
// `GET /api/v1/namespaces/{ns}/pods` answering PodLists, with labelSelector (equality, inequality
// and existence terms), `limit` and `continue`, and a way to make a continue token expire (410).
// Pods come from a source that can make them on the fly, so a huge cluster costs no memory here.
import type { Pod } from '../../src/rules/types.js';
import { kubeStatus, type ApiRequest, type ApiResponse, type KubeApiServer } from './kube-api-server.js';

export interface PodSource {
  count: number;
  at(index: number): Pod;
  /** The pod at index as JSON text, when the source can make it cheaper than JSON.stringify (huge lists). */
  json?(index: number): string;
}

export const podsFrom = (pods: readonly Pod[]): PodSource => ({ count: pods.length, at: (index) => pods[index] as Pod });

export interface PodListOptions {
  /** The first request that carries a continue token gets 410 Expired, with a token to go on with or without. */
  expire?: 'with-continue' | 'without-continue';
}

const RESOURCE_VERSION = '424242';
const EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

const encodeToken = (start: number, inconsistent = false) => Buffer.from(JSON.stringify({ rv: RESOURCE_VERSION, start, inconsistent })).toString('base64url');

function decodeToken(token: string): { start: number } | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown };
    return typeof value.start === 'number' ? { start: value.start } : undefined;
  } catch {
    return undefined;
  }
}

/** A labelSelector's terms: `k=v`, `k==v`, `k!=v`, `k`, `!k` (set-based terms are not needed here). */
export function selectorMatcher(selector: string): (labels: Record<string, string> | undefined) => boolean {
  const terms = selector
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean)
    .map((term) => {
      const [, key = '', op = '', value = ''] = /^(!?[^=!]+?)\s*(==|=|!=)?\s*([^=]*)$/.exec(term) ?? [];
      return { key: key.replace(/^!/, ''), negated: key.startsWith('!'), op, value };
    });
  return (labels) =>
    terms.every(({ key, negated, op, value }) => {
      const has = labels !== undefined && Object.hasOwn(labels, key);
      if (op === '') return negated ? !has : has;
      return op === '!=' ? labels?.[key] !== value : labels?.[key] === value;
    });
}

export function servePods(server: KubeApiServer, source: PodSource, options: PodListOptions = {}): void {
  let expire = options.expire;
  const list = (request: ApiRequest, namespace: string | undefined): ApiResponse => {
    const params = request.url.searchParams;
    const matches = selectorMatcher(params.get('labelSelector') ?? '');
    const limit = Number(params.get('limit') ?? '0') || Infinity;
    const token = params.get('continue');
    let start = 0;
    if (token) {
      const decoded = decodeToken(token);
      if (!decoded) return kubeStatus(400, 'BadRequest', 'continue key is not valid: illegal base64 data');
      if (expire) {
        const extra = expire === 'with-continue' ? { metadata: { continue: encodeToken(decoded.start, true) } } : {};
        expire = undefined;
        return kubeStatus(410, 'Expired', EXPIRED_MESSAGE, extra);
      }
      start = decoded.start;
    }
    const items: string[] = [];
    let index = start;
    for (; index < source.count && items.length < limit; index++) {
      const pod = source.at(index);
      if (namespace !== undefined && pod.metadata?.namespace !== namespace) continue;
      if (matches(pod.metadata?.labels)) items.push(source.json ? source.json(index) : JSON.stringify(pod));
    }
    const more = index < source.count;
    const metadata = { resourceVersion: RESOURCE_VERSION, ...(more ? { continue: encodeToken(index) } : {}) };
    // Built as text so a page of big pods costs one join, not a second serialization.
    return { body: `{"kind":"PodList","apiVersion":"v1","metadata":${JSON.stringify(metadata)},"items":[${items.join(',')}]}` };
  };
  server.route('GET', /^\/api\/v1\/pods$/, (request) => list(request, undefined));
  server.route('GET', /^\/api\/v1\/namespaces\/([^/]+)\/pods$/, (request) => list(request, decodeURIComponent(request.match[1] ?? '')));
}
