// The process logger: pino, one JSON object a line for machines, and pretty lines only when a
// person runs the server in a terminal. Nothing here may ever be handed a pod: runner pods carry
// credentials in plain env values.
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type pretty from 'pino-pretty';

/** pino-pretty is loaded only for a terminal: a server in a pod never pretty-prints (as with node-forge in src/tls/certificates.ts). */
const load = createRequire(import.meta.url);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How long a log line may wait in the buffer. */
const FLUSH_MS = 200;
/**
 * Bytes buffered before a write: about 100 review lines. Each write is a round trip through
 * libuv's thread pool (a wake-up of a pool thread, then of the event loop); at 4 KiB that was one
 * every 13 reviews under load, and paired throughput runs gave about 6% more at 32 KiB.
 */
const BATCH_BYTES = 32 * 1024;

/**
 * Asynchronous, batched writes to `fd`: a synchronous write per review blocks the event loop
 * whenever the log reader lags (measured: 60-100 us of CPU a review against a busy pipe reader,
 * more than the review itself). A line waits about FLUSH_MS (twice that if a write is in flight
 * when the timer fires). A graceful exit waits for logger.flush(cb). On an exit that cannot wait
 * (process.exit), pino's exit hook (registered for every asynchronous destination
 * pino.destination makes) writes the buffer synchronously; only a write already in flight, which
 * a lagging log reader can hold up, may then be lost.
 *
 * The batch holds Buffers, not strings: in its string mode sonic-boom measures the whole pending
 * batch (Buffer.byteLength of one growing string) on every line, so a line costs more the longer
 * the batch waits on a slow log reader; in a loop to /dev/null that was 3.1 us a line against
 * 0.95 us with a Buffer per line.
 */
export function batchedDestination(fd: number | string): DestinationStream & { flush(cb: (error?: Error) => void): void } {
  // sonic-boom refuses a minLength that is not below maxWrite (16 KiB unless told).
  const batch = pino.destination({ dest: fd, sync: false, minLength: BATCH_BYTES, maxWrite: 2 * BATCH_BYTES, periodicFlush: FLUSH_MS, contentMode: 'buffer' });
  return {
    // sonic-boom's types know only its string mode.
    write: (line: string) => batch.write(Buffer.from(line) as unknown as string),
    flush: (cb) => batch.flush(cb),
  };
}

/**
 * pino's isoTime, formatted once per millisecond and reused by every line logged within it. V8
 * formats a Date with printf-style code: about 7,400 instructions a line under callgrind, about
 * 0.8 % of a review. The review lines of one batch (observe.ts) mostly share a millisecond: at 16
 * connections, 20,000 review lines needed 1,505 formats.
 */
export function isoTimeOncePerMillisecond(): () => string {
  let last = Number.NaN;
  let text = '';
  return () => {
    const now = Date.now();
    if (now !== last) {
      last = now;
      text = `,"time":"${new Date(now).toISOString()}"`;
    }
    return text;
  };
}

export function createLogger(level: LogLevel, interactive = Boolean(process.stdout.isTTY)): Logger {
  const options = { level, timestamp: isoTimeOncePerMillisecond() };
  if (interactive) {
    const prettyStream = load('pino-pretty') as typeof pretty;
    return pino(options, prettyStream({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(options, batchedDestination(1));
}
