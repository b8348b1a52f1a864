// The LimitRange routes of the stand-in API server (kube-api-server.ts): `GET /api/v1/limitranges`
// answers a LimitRangeList, and with `watch=true` a streaming watch as the API server sends it (one
// JSON event a line). Changes made here get increasing resourceVersions and go to every open watch;
// a watch from an older resourceVersion first gets the events it missed, unless the history was
// compacted, when it gets 410 Gone. Tests can also drop every open watch, or end them with a
// watch ERROR event carrying 410 (what the API server does for a too old resourceVersion).
import type { ServerResponse } from 'node:http';
import type { LimitRange } from '../../src/rules/limit-ranges.js';
import { kubeStatus, type ApiRequest, type ApiResponse, type KubeApiServer } from './kube-api-server.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface StoredEvent {
  type: EventType;
  object: LimitRange;
  resourceVersion: number;
}

export class LimitRangeApi {
  private readonly objects = new Map<string, LimitRange>();
  private history: StoredEvent[] = [];
  /** Events older than this are gone: a watch from before it gets 410. */
  private compactedAt = 0;
  private resourceVersion = 100;
  private readonly watchers = new Set<ServerResponse>();
  /** How many lists and watches were asked for. */
  lists = 0;
  watches = 0;
  /**
   * How every new watch is answered when set, as a broken API server or proxy does: a 200 that
   * ends at once with no event, an ERROR event with a 500 Status, or 410 Gone.
   */
  brokenWatches: 'end-at-once' | 'error-event' | 'gone' | undefined;

  constructor(server: KubeApiServer, initial: LimitRange[] = []) {
    for (const range of initial) this.store('ADDED', range, false);
    server.route('GET', /^\/api\/v1\/limitranges$/, (request) => (request.url.searchParams.get('watch') === 'true' ? this.watch(request) : this.list()));
    server.route('GET', /^\/api\/v1\/namespaces\/([^/]+)\/limitranges$/, (request) => this.list(decodeURIComponent(request.match[1] ?? '')));
  }

  /** Open watch connections right now. */
  get openWatches(): number {
    return this.watchers.size;
  }

  /** Creates or replaces a LimitRange, telling open watches. */
  put(range: LimitRange): void {
    this.store(this.objects.has(key(range)) ? 'MODIFIED' : 'ADDED', range, true);
  }

  /** Deletes a LimitRange, telling open watches. */
  delete(namespace: string, name: string): void {
    const existing = this.objects.get(`${namespace}/${name}`);
    if (existing) this.store('DELETED', existing, true);
  }

  /** Changes a LimitRange with no event and no history (as if etcd compacted it): only a new list sees it. */
  putSilently(range: LimitRange): void {
    this.store(this.objects.has(key(range)) ? 'MODIFIED' : 'ADDED', range, false);
    this.compact();
  }

  /** Forgets the event history: a watch resuming from before now gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.compactedAt = this.resourceVersion;
  }

  /** Cuts every open watch connection, as a network failure or an API server restart does. */
  dropWatches(): void {
    for (const res of this.watchers) res.socket?.destroy();
    this.watchers.clear();
  }

  /** Ends every open watch with an ERROR event carrying a 410 Status, then closes it. */
  expireWatches(): void {
    this.compact();
    const status = kubeStatus(410, 'Expired', 'too old resource version').body;
    for (const res of this.watchers) res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
    this.watchers.clear();
  }

  private store(type: EventType, range: LimitRange, notify: boolean): void {
    this.resourceVersion += 1;
    const object = structuredClone(range);
    object.metadata = { ...object.metadata, resourceVersion: String(this.resourceVersion) };
    if (type === 'DELETED') this.objects.delete(key(object));
    else this.objects.set(key(object), object);
    const event = { type, object, resourceVersion: this.resourceVersion };
    this.history.push(event);
    if (notify) for (const res of this.watchers) res.write(line(event));
  }

  private list(namespace?: string): ApiResponse {
    this.lists += 1;
    const items = [...this.objects.values()].filter((range) => namespace === undefined || range.metadata?.namespace === namespace);
    return { body: { kind: 'LimitRangeList', apiVersion: 'v1', metadata: { resourceVersion: String(this.resourceVersion) }, items } };
  }

  private watch(request: ApiRequest): ApiResponse {
    this.watches += 1;
    if (this.brokenWatches === 'gone') return kubeStatus(410, 'Gone', 'too old resource version');
    if (this.brokenWatches === 'end-at-once') return { stream: (res) => res.end() };
    if (this.brokenWatches === 'error-event') {
      const status = kubeStatus(500, 'InternalError', 'etcd is unavailable').body;
      return { stream: (res) => res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`) };
    }
    const from = Number(request.url.searchParams.get('resourceVersion') || this.resourceVersion);
    if (from < this.compactedAt) return kubeStatus(410, 'Gone', `too old resource version: ${from} (${this.compactedAt})`);
    return {
      stream: (res) => {
        for (const event of this.history) if (event.resourceVersion > from) res.write(line(event));
        this.watchers.add(res);
        res.on('close', () => this.watchers.delete(res));
      },
    };
  }
}

const key = (range: LimitRange) => `${range.metadata?.namespace ?? ''}/${range.metadata?.name ?? ''}`;
const line = ({ type, object }: StoredEvent) => `${JSON.stringify({ type, object })}\n`;
