// The logger's two forms: JSON lines in batches for machines, pino-pretty for a person at a
// terminal. pino-pretty is loaded only for the terminal, so its loading is checked here.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/server/logger.js';

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
