// The logger's two forms: JSON lines in batches for machines, pino-pretty for a person at a
// terminal. pino-pretty is loaded only for the terminal, so its loading is checked here; and the
// timestamp, formatted once per millisecond.
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, isoTimeOncePerMillisecond } from '../src/server/logger.js';

/** The stream a pino logger writes to. */
const streamOf = (logger: pino.Logger) => (logger as unknown as Record<symbol, { pipe?: unknown }>)[pino.symbols.streamSym];

describe('createLogger', () => {
  it('loads pino-pretty for a terminal, a stream of its own, and keeps the level asked for', () => {
    const logger = createLogger('warn', true);
    expect(typeof streamOf(logger)?.pipe).toBe('function');
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);
  });

  it('writes JSON lines in batches elsewhere (not a pino-pretty stream), at the level asked for', () => {
    const logger = createLogger('debug', false);
    expect(streamOf(logger)?.pipe).toBeUndefined();
    expect(logger.level).toBe('debug');
    expect(logger.isLevelEnabled('debug')).toBe(true);
  });
});

describe('isoTimeOncePerMillisecond', () => {
  afterEach(() => vi.restoreAllMocks());

  it("gives pino's isoTime text, formatted once within a millisecond and again in any other", () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 10, 28, 17, 5, 9, 42));
    const time = isoTimeOncePerMillisecond();
    const formatted = vi.spyOn(Date.prototype, 'toISOString');
    expect([time(), time(), time()]).toEqual(Array(3).fill(',"time":"2026-11-28T17:05:09.042Z"'));
    expect(formatted).toHaveBeenCalledTimes(1);
    now.mockReturnValue(Date.UTC(2026, 10, 28, 17, 5, 9, 43));
    expect(time()).toBe(',"time":"2026-11-28T17:05:09.043Z"');
    expect(formatted).toHaveBeenCalledTimes(2);
    expect(time()).toBe(pino.stdTimeFunctions.isoTime());
    // A clock set back gets its own time, not the later one.
    now.mockReturnValue(Date.UTC(2026, 10, 28, 17, 5, 9, 42));
    expect(time()).toBe(',"time":"2026-11-28T17:05:09.042Z"');
  });
});
