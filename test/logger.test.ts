// The logger's two forms: JSON lines in batches for machines, pino-pretty for a person at a
// terminal. pino-pretty is loaded only for the terminal, so its loading is checked here.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/server/logger.js';

describe('createLogger', () => {
  it('loads pino-pretty for a terminal and keeps the level asked for', () => {
    const logger = createLogger('warn', true);
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);
  });

  it('writes JSON lines elsewhere, at the level asked for', () => {
    const logger = createLogger('debug', false);
    expect(logger.level).toBe('debug');
    expect(logger.isLevelEnabled('debug')).toBe(true);
  });
});
