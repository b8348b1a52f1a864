// The review log line and metrics: written for every review finished in one turn of the event
// loop, in the order they finished, at the end of that turn or at once when a scrape asks.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EventEmitter, once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { readAdmissionReview } from '../src/admission/request.js';
import { review } from '../src/admission/review.js';
import { defaultConfig } from '../src/config.js';
import { createApp } from '../src/server/app.js';
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

/** A request on a connection, and its response, that only emit the events a test emits. */
function noHttp(): [IncomingMessage, ServerResponse] {
  const socket = Object.assign(new EventEmitter(), { destroyed: false });
  return [{ socket } as unknown as IncomingMessage, new EventEmitter() as unknown as ServerResponse];
}

/** A plain node:http server for `handler` on a free local port, once it listens. */
async function listening(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A node:http server whose observed handler holds each request until `release()`, then answers
 * `answer` and reports a review whose uid is the request's path; a client has pipelined a bodiless
 * POST for each of `uids`, and the server has accepted every one. `socket` is the server's side.
 */
async function pipelined(logger: Logger, uids: string[], answer: string) {
  const accepted: Array<() => void> = [];
  const handle = observed(
    async (req, res) => {
      await new Promise<void>((resolve) => accepted.push(resolve));
      res.end(answer);
      return reviewed(req.url!.slice(1));
    },
    logger,
    createMetrics(),
  );
  const { server, port } = await listening(handle);
  const client = connect(port, '127.0.0.1');
  client.on('error', () => undefined);
  client.write(uids.map((uid) => `POST /${uid} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`).join(''));
  const [firstReq] = (await once(server, 'request')) as [IncomingMessage];
  while (accepted.length < uids.length) await nextTurn();
  return { server, client, socket: firstReq!.socket, release: () => accepted.forEach((resolve) => resolve()) };
}

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
    records.forEach(() => handle(...noHttp()));
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

  it('logs a 500 as an error line with its cause, and a 4xx as a warning without one', async () => {
    const { lines, logger } = capture();
    const metrics = createMetrics();
    const records: ReviewRecord[] = [
      { status: 500, error: 'internal error', cause: 'no LimitRanges for this namespace' },
      { status: 415, error: 'content type must be application/json, not text/plain' },
    ];
    const handle = observed(async () => records.shift()!, logger, metrics);
    handle(...noHttp());
    handle(...noHttp());
    await afterTurn();
    expect(lines.map(({ level, msg, status, error, cause }) => ({ level, msg, status, error, cause }))).toStrictEqual([
      { level: 50, msg: 'review failed', status: 500, error: 'internal error', cause: 'no LimitRanges for this namespace' },
      { level: 40, msg: 'review refused', status: 415, error: 'content type must be application/json, not text/plain', cause: undefined },
    ]);
    expect((await metrics.invalidRequests.get()).values.map(({ labels, value }) => [labels.status, value])).toStrictEqual([
      ['500', 1],
      ['415', 1],
    ]);
  });

  it('writes nothing until the turn ends, then the next turn starts a new batch', async () => {
    const { lines, logger } = capture();
    const handle = observed(() => Promise.resolve(reviewed('early')), logger, createMetrics());
    handle(...noHttp());
    await Promise.resolve();
    await Promise.resolve();
    expect(lines).toStrictEqual([]);
    await afterTurn();
    expect(lines).toHaveLength(1);
    handle(...noHttp());
    await afterTurn();
    expect(lines.map((line) => line.uid)).toStrictEqual(['early', 'early']);
  });

  it('reports the waiting reviews at once when asked, and then not again at the end of the turn', async () => {
    const { lines, logger } = capture();
    const metrics = createMetrics();
    const handle = observed(() => Promise.resolve(reviewed('asked')), logger, metrics);
    handle(...noHttp());
    await Promise.resolve();
    await Promise.resolve();
    handle.reportWaiting();
    expect(lines.map((line) => line.uid)).toStrictEqual(['asked']);
    expect(metrics.reviews.patched).toBe(1);
    await afterTurn();
    expect(lines).toHaveLength(1);
    expect(metrics.reviews.patched).toBe(1);
  });

  it('adds a warning line for an answer whose connection closed before it was written, after its review line', async () => {
    const { lines, logger } = capture();
    const handle = observed(() => Promise.resolve(reviewed('cut')), logger, createMetrics());
    const [req, res] = noHttp();
    handle(req, res);
    await afterTurn();
    req.socket.emit('close');
    expect(lines.map((line) => [line.level, line.msg, line.uid])).toStrictEqual([
      [30, 'review', 'cut'],
      [40, 'answer not delivered: the connection closed before it was written', 'cut'],
    ]);
    expect(lines[1]).toStrictEqual({ level: 40, time: lines[1]!.time, pid: process.pid, hostname: lines[1]!.hostname, uid: 'cut', namespace: 'team-alpha', name: 'session-1732-runner', msg: lines[1]!.msg });
  });

  it('adds the warning when the client went while its review was still waiting, and none for an answer written out', async () => {
    const { lines, logger } = capture();
    let answer: (record: ReviewRecord) => void = () => undefined;
    const handle = observed(() => new Promise<ReviewRecord>((resolve) => (answer = resolve)), logger, createMetrics());
    const [req, res] = noHttp();
    handle(req, res);
    req.socket.emit('close');
    answer({ status: 400, error: 'body is not valid JSON' });
    const [writtenReq, written] = noHttp();
    handle(writtenReq, written);
    answer(reviewed('written'));
    written.emit('finish');
    writtenReq.socket.emit('close');
    await afterTurn();
    expect(lines.map((line) => [line.msg, line.uid ?? line.error])).toStrictEqual([
      ['answer not delivered: the connection closed before it was written', 'body is not valid JSON'],
      ['review refused', 'body is not valid JSON'],
      ['review', 'written'],
    ]);
    expect(lines[0]).toMatchObject({ level: 40, status: 400 });
  });

  it('takes an answer ended on a connection its client has closed as not delivered (node:http)', async () => {
    const { lines, logger } = capture();
    const handle = observed(
      async (req, res) => {
        await once(req.socket, 'close');
        res.end('too late');
        return reviewed('late');
      },
      logger,
      createMetrics(),
    );
    const { server, port } = await listening(handle);
    try {
      const request = httpRequest({ port, host: '127.0.0.1', method: 'POST' });
      request.on('error', () => undefined);
      request.end('{}');
      await once(server, 'request');
      request.destroy();
      while (lines.length < 2) await nextTurn();
      expect(lines.map((line) => [line.msg, line.uid])).toStrictEqual([
        ['answer not delivered: the connection closed before it was written', 'late'],
        ['review', 'late'],
      ]);
    } finally {
      server.close();
    }
  });

  it('takes both answers of two pipelined requests for not delivered when their connection is cut (node:http)', async () => {
    const { lines, logger } = capture();
    const { server, socket, release } = await pipelined(logger, ['first', 'second'], 'cut');
    try {
      socket.destroy(); // the second answer is still queued behind the first
      release();
      while (lines.length < 4) await nextTurn();
      expect(lines.filter((line) => line.level === 40).map((line) => line.uid).sort()).toStrictEqual(['first', 'second']);
    } finally {
      server.close();
    }
  });

  it('watches a connection that pipelines twelve reviews without a listener for each (no MaxListenersExceededWarning)', async () => {
    const { lines, logger } = capture();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    const uids = Array.from({ length: 12 }, (_, n) => `pipelined-${n}`);
    const { server, client, socket, release } = await pipelined(logger, uids, 'ok');
    try {
      const closeListeners = socket.listenerCount('close');
      release();
      let answered = '';
      client.on('data', (chunk: Buffer) => (answered += chunk.toString()));
      while ((answered.match(/\r\n\r\nok/g) ?? []).length < 12) await once(client, 'data');
      client.destroy();
      await once(socket, 'close');
      await afterTurn();
      expect(closeListeners).toBeLessThan(10);
      expect(warnings).toStrictEqual([]);
      expect(lines.map((line) => [line.msg, line.uid])).toStrictEqual(uids.map((uid) => ['review', uid]));
    } finally {
      process.off('warning', onWarning);
      client.destroy();
      server.close();
    }
  });

  it('has /metrics report the waiting reviews before it collects', async () => {
    const metrics = createMetrics();
    const { server, port } = await listening(createApp({ listening: true, draining: false }, metrics, () => metrics.reviews.patched++));
    try {
      const reply = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(reply.status).toBe(200);
      expect(await reply.text()).toContain('runner_defaults_reviews_total{result="patched"} 1\n');
    } finally {
      server.close();
    }
  });
});
