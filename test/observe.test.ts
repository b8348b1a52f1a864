// The review log line and metrics: written for every review finished in one turn of the event
// loop, in the order they finished, and counted before the event loop reads another request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { readAdmissionReview } from '../src/admission/request.js';
import { review } from '../src/admission/review.js';
import { defaultConfig } from '../src/config.js';
import { createMetrics } from '../src/server/metrics.js';
import { observed } from '../src/server/observe.js';
import type { ReviewRecord } from '../src/server/review-endpoint.js';
import { loadReview } from './helpers/fixtures.js';

function reviewed(uid: string): ReviewRecord {
  const body = loadReview('create-runner-legacy');
  body.request.uid = uid;
  const request = readAdmissionReview(body);
  return { status: 200, request, decision: review(request, { config: defaultConfig }).decision };
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

const noHttp = [{} as IncomingMessage, {} as ServerResponse] as const;

/** Lets the handlers' promises settle, then waits for the end of the event loop's turn. */
async function afterTurn(): Promise<void> {
  await Promise.resolve();
  await nextTurn();
}

describe('observing reviews', () => {
  it('logs every review finished in one turn once, in the order they finished, and counts each', async () => {
    const { lines, logger } = capture();
    const metrics = createMetrics();
    const records = [reviewed('first'), { status: 400, error: 'body is not valid JSON' }, reviewed('second')];
    const resolvers: Array<(record: ReviewRecord) => void> = [];
    const handle = observed(() => new Promise<ReviewRecord>((resolve) => resolvers.push(resolve)), logger, metrics);
    records.forEach(() => handle(...noHttp));
    // The handlers finish in the reverse order of their requests.
    for (let index = records.length - 1; index >= 0; index--) resolvers[index]!(records[index]!);
    await afterTurn();
    expect(lines.map((line) => [line.msg, line.uid ?? line.error])).toStrictEqual([
      ['review', 'second'],
      ['review refused', 'body is not valid JSON'],
      ['review', 'first'],
    ]);
    expect(lines[0]).toMatchObject({ operation: 'CREATE', dryRun: false, result: 'patched', name: 'session-1732-runner', namespace: 'team-alpha' });
    expect(lines[0]).not.toHaveProperty('limitRange');
    expect(metrics.reviews.patched).toBe(2);
    expect(metrics.changes['readiness-probe']).toBe(2);
    expect((await metrics.invalidRequests.get()).values).toStrictEqual([{ labels: { status: '400' }, value: 1 }]);
  });

  it('writes nothing until the turn ends, then the next turn starts a new batch', async () => {
    const { lines, logger } = capture();
    const handle = observed(() => Promise.resolve(reviewed('early')), logger, createMetrics());
    handle(...noHttp);
    await Promise.resolve();
    await Promise.resolve();
    expect(lines).toStrictEqual([]);
    await afterTurn();
    expect(lines).toHaveLength(1);
    handle(...noHttp);
    await afterTurn();
    expect(lines.map((line) => line.uid)).toStrictEqual(['early', 'early']);
  });
});
