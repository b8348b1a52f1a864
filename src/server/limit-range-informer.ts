// Every namespace's LimitRanges, kept in memory for `serve` by the client library's informer:
// list, then watch; a watch that ends cleanly is resumed from the last resourceVersion, a 410 Gone
// (as a status or a watch ERROR event) makes the library list again, and a failed list or watch
// (network, 5xx, 403, another watch ERROR event) is retried here with a capped backoff, since the
// library then gives up. Watches that keep ending at once are spaced out (paced-watch.ts).
//
// The list is a raw GET through the kubeconfig (src/kube/connection.ts), not CoreV1Api: the
// objects stay plain JSON, as the watch events are (the library's Watch parses lines with
// JSON.parse), so the rules see LimitRanges in one shape whichever way they arrived.
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { connectWith } from '../kube/connection.js';
import type { LimitRange } from '../rules/limit-ranges.js';

export const LIMIT_RANGES_PATH = '/api/v1/limitranges';
const RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

export interface LimitRangeInformerOptions {
  /** The kubeconfig and its current cluster, as loadKubeConfig gives them. */
  kubeConfig: KubeConfig;
  cluster: Cluster;
  logger: Logger;
  /** First retry after a failed list or watch; doubled each time up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** The retry settings, with their defaults filled in. */
type Retry = Required<Pick<LimitRangeInformerOptions, 'retryMs' | 'maxRetryMs'>>;

interface WireList {
  kind?: string;
  items?: LimitRange[];
  metadata?: { resourceVersion?: string };
}

export class LimitRangeInformer {
  private readonly informer;
  private readonly watch;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resolveListed!: () => void;
  /** Resolves once the first list has been stored. */
  readonly listed: Promise<void> = new Promise((resolve) => (this.resolveListed = resolve));
  /** How many lists were stored (the first one, and each after a 410). */
  lists = 0;

  private constructor(
    { informer, watch }: Awaited<ReturnType<typeof makeLimitRangeInformer>>,
    private readonly logger: Logger,
    { retryMs, maxRetryMs }: Retry,
  ) {
    this.informer = informer;
    this.watch = watch;
    this.retryMs = retryMs;
    this.maxRetryMs = maxRetryMs;
    this.delayMs = retryMs;
    informer.on('error', (error: unknown) => this.retry(error));
    const progress = () => (this.delayMs = this.retryMs);
    informer.on('add', progress);
    informer.on('update', progress);
    informer.on('delete', progress);
  }

  /** Starts listing and watching; does not wait for the first list (see `listed`). */
  static async start(options: LimitRangeInformerOptions): Promise<LimitRangeInformer> {
    const holder: { self?: LimitRangeInformer } = {};
    const retry: Retry = { retryMs: options.retryMs ?? RETRY_MS, maxRetryMs: options.maxRetryMs ?? MAX_RETRY_MS };
    const made = await makeLimitRangeInformer(options, retry, () => holder.self?.stored());
    const self = (holder.self = new LimitRangeInformer(made, options.logger, retry));
    self.run();
    return self;
  }

  /** The LimitRanges of a namespace, as last seen (plain JSON; never edited by the rules). */
  forNamespace(namespace: string): readonly LimitRange[] {
    return this.informer.list(namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.watch.stop();
    await this.informer.stop();
  }

  private stored(): void {
    this.lists += 1;
    this.delayMs = this.retryMs;
    this.resolveListed();
  }

  private run(): void {
    if (this.stopped) return;
    this.informer.start().catch((error: unknown) => this.retry(error));
  }

  private retry(error: unknown): void {
    if (this.stopped) return;
    const delayMs = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.maxRetryMs);
    this.logger.warn({ err: describe(error), retryInMs: delayMs }, 'LimitRange list or watch failed; retrying');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), delayMs);
    this.timer.unref();
  }
}

async function makeLimitRangeInformer({ kubeConfig, cluster, logger }: LimitRangeInformerOptions, { retryMs, maxRetryMs }: Retry, onList: () => void) {
  const [{ ListWatch }, { PacedWatch }] = await Promise.all([import('@kubernetes/client-node'), import('./paced-watch.js')]);
  const connection = connectWith(kubeConfig, cluster);
  const list = async () => {
    const body = (await connection.get(LIMIT_RANGES_PATH)) as WireList;
    if (!Array.isArray(body.items)) throw new Error(`the API server at ${connection.server} answered with something that is not a LimitRangeList`);
    // The library stores the items right after this resolves; count the list once it has.
    setImmediate(onList);
    return { apiVersion: 'v1', kind: 'LimitRangeList', metadata: { resourceVersion: body.metadata?.resourceVersion }, items: body.items };
  };
  // As client-go's reflector does, ask the API server to end each watch after 5 to 10 minutes (the
  // library then resumes it from its resourceVersion), so no watch lives on a connection forever.
  // The library builds the watch URL from this path and adds its own parameters to it.
  const watchPath = `${LIMIT_RANGES_PATH}?timeoutSeconds=${300 + Math.floor(Math.random() * 300)}`;
  const watch = new PacedWatch(kubeConfig, { retryMs, maxRetryMs, logger });
  // As the library's makeInformer builds it, with our Watch; started by run().
  const informer = new ListWatch<LimitRange & { metadata: { name?: string; namespace?: string } }>(watchPath, watch, list as never, false);
  return { informer, watch };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { statusCode?: number }).statusCode;
    return status ? `${status} ${error.message}` : error.message.split('\n')[0] ?? '';
  }
  return String(error);
}
