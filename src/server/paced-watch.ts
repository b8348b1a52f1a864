// The client library's Watch, with two things client-go's reflector does and the library's
// informer does not: watches that keep ending as soon as they start are spaced out, and a watch
// ERROR event other than 410 ends the watch as a failure. Without them, an API server (or a proxy
// in front of it) that closes every watch at once, or answers each with an ERROR event, had the
// informer watch again, or list and watch again, hundreds of times a second, with no log line.
//
// Loaded only by limit-range-informer.ts, and only when serve can reach an API server (the
// library takes a second to load).
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

/** A watch that ends sooner than this after it started did not work. */
export const MIN_WATCH_MS = 1000;

export interface Pacing {
  /** The wait after the second watch in a row that ended at once; doubled each time up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  logger: Logger;
}

type WatchCallback = Parameters<Watch['watch']>[2];
type WatchDone = Parameters<Watch['watch']>[3];

const isGone = (error: unknown): boolean => {
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  return statusCode === 410 || code === 410;
};

export class PacedWatch extends Watch {
  /** Watches in a row that ended at once, cleanly or with 410 (the ends the library retries itself). */
  private quickEnds = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    config: KubeConfig,
    private readonly pacing: Pacing,
  ) {
    super(config);
  }

  /** No watch starts after this; a wait in progress ends without one. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  override async watch(path: string, queryParams: Parameters<Watch['watch']>[1], callback: WatchCallback, done: WatchDone): Promise<AbortController> {
    // One quick end is normal (a 410 means: list again, then watch); two in a row are not.
    if (this.quickEnds >= 2) {
      const waitMs = Math.min(this.pacing.retryMs * 2 ** (this.quickEnds - 2), this.pacing.maxRetryMs);
      this.pacing.logger.warn({ watchesEndedAtOnce: this.quickEnds, retryInMs: waitMs }, 'LimitRange watches end as soon as they start; watching again later');
      await new Promise((resolve) => (this.timer = setTimeout(resolve, waitMs)));
    }
    if (this.stopped) return new AbortController();
    const started = Date.now();
    let ended = false;
    const end = (error: unknown): void => {
      if (ended) return;
      ended = true;
      if (!error || isGone(error)) this.quickEnds = Date.now() - started < MIN_WATCH_MS ? this.quickEnds + 1 : 0;
      done(error);
    };
    const controller: AbortController = await super.watch(
      path,
      queryParams,
      (phase, object: { code?: unknown; message?: unknown } | undefined, event) => {
        if (phase === 'ERROR' && object?.code !== 410) {
          end(new Error(`watch ERROR event: ${String(object?.code)} ${String(object?.message)}`));
          controller.abort();
          return;
        }
        if (phase !== 'ERROR' && phase !== 'BOOKMARK') this.quickEnds = 0;
        callback(phase, object, event);
      },
      end,
    );
    return controller;
  }
}
