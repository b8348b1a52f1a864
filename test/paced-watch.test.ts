// PacedWatch's own edges, without a server: a watch whose request cannot even be set up (an exec
// credential plugin or a token file failing) must end as a failure, never reject.
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PacedWatch } from '../src/server/paced-watch.js';

function failingConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  config.applyToFetchOptions = () => Promise.reject(new Error('exec plugin failed'));
  return config;
}

describe('PacedWatch', () => {
  it('ends a watch whose request cannot be set up with that error, once, and resolves', async () => {
    const watch = new PacedWatch(failingConfig(), { retryMs: 500, maxRetryMs: 30_000, logger: pino({ level: 'silent' }) });
    const ends: unknown[] = [];
    const controller = await watch.watch('/api/v1/limitranges', {}, () => undefined, (error) => ends.push(error));
    expect(controller).toBeInstanceOf(AbortController);
    expect(ends).toHaveLength(1);
    expect((ends[0] as Error).message).toBe('exec plugin failed');
  });

  it('starts no watch once stopped', async () => {
    const watch = new PacedWatch(failingConfig(), { retryMs: 500, maxRetryMs: 30_000, logger: pino({ level: 'silent' }) });
    watch.stop();
    const ends: unknown[] = [];
    await watch.watch('/api/v1/limitranges', {}, () => undefined, (error) => ends.push(error));
    expect(ends).toEqual([]);
  });
});
