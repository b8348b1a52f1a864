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
const MIN_WATCH_MS = 1000;

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
  /** Ends the wait before a watch, if one is under way. */
  private endWait: (() => void) | undefined;
  /** The watch under way, to abort at stop(). */
  private current: AbortController | undefined;

  constructor(
    config: KubeConfig,
    private readonly pacing: Pacing,
  ) {
    super(config);
  }

  /** No watch starts after this; a wait under way ends without one, and the watch under way is aborted. */
  stop(): void {
    this.stopped = true;
    this.endWait?.();
    this.current?.abort();
  }

  override async watch(path: string, queryParams: Parameters<Watch['watch']>[1], callback: WatchCallback, done: WatchDone): Promise<AbortController> {
    // One quick end is normal (a 410 means: list again, then watch); two in a row are not.
    if (this.quickEnds >= 2 && !this.stopped) {
      const waitMs = Math.min(this.pacing.retryMs * 2 ** (this.quickEnds - 2), this.pacing.maxRetryMs);
      this.pacing.logger.warn({ watchesEndedAtOnce: this.quickEnds, retryInMs: waitMs }, 'LimitRange watches end as soon as they start; watching again later');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        timer.unref();
        this.endWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.endWait = undefined;
    }
    if (this.stopped) return new AbortController();
    const started = performance.now();
    let ended = false;
    let controller: AbortController | undefined;
    const end = (error: unknown): void => {
      if (ended) return;
      ended = true;
      // A failure is the informer's to back off from; only the ends the library retries at once count here.
      if (error && !isGone(error)) this.quickEnds = 0;
      else this.quickEnds = performance.now() - started < MIN_WATCH_MS ? this.quickEnds + 1 : 0;
      done(error);
    };
    const onEvent: WatchCallback = (phase, object: { code?: unknown; message?: unknown } | undefined, event) => {
      // Lines already read may follow an end (an ERROR event, then more in the same chunk).
      if (ended) return;
      if (phase === 'ERROR' && object?.code !== 410) {
        end(new Error(`watch ERROR event: ${String(object?.code)} ${String(object?.message)}`));
        controller?.abort();
        return;
      }
      if (phase !== 'ERROR' && phase !== 'BOOKMARK') this.quickEnds = 0;
      callback(phase, object, event);
    };
    try {
      controller = await super.watch(path, queryParams, onEvent, end);
    } catch (error) {
      // Setting the request up can fail before it is sent (an exec credential plugin, a token file):
      // an ordinary failure, retried with the backoff, not an unhandled rejection.
      end(error);
      return new AbortController();
    }
    if (this.stopped) controller.abort();
    this.current = controller;
    return controller;
  }
}
