// Reviews of one turn of the event loop are done together at its end, then answered: the batch
// itself (turn-batch.ts) and the review endpoint that uses it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config.js';
import { reviewEndpoint } from '../src/server/review-endpoint.js';
import { turnBatch } from '../src/server/turn-batch.js';
import { decodePatch, loadReview } from './helpers/fixtures.js';

describe('a turn batch', () => {
  it('runs the items added in one turn together at its end, in the order they were added', async () => {
    const runs: string[][] = [];
    let current: string[] = [];
    const batch = turnBatch<string>((item) => current.push(item));
    const endOfRun = () => {
      if (current.length > 0) runs.push(current);
      current = [];
    };
    batch.add('a');
    await Promise.resolve();
    batch.add('b');
    expect(current).toStrictEqual([]);
    await nextTurn();
    endOfRun();
    batch.add('c');
    await nextTurn();
    endOfRun();
    expect(runs).toStrictEqual([['a', 'b'], ['c']]);
  });

  it('runs the queued items at once on flush, and not again at the end of the turn', async () => {
    const ran: string[] = [];
    const batch = turnBatch<string>((item) => ran.push(item));
    batch.add('now');
    batch.flush();
    expect(ran).toStrictEqual(['now']);
    await nextTurn();
    expect(ran).toStrictEqual(['now']);
  });

  it('runs every item even when one throws, then throws the first error again', () => {
    const ran: string[] = [];
    const batch = turnBatch<string>((item) => {
      ran.push(item);
      if (item.startsWith('bad')) throw new Error(`${item} failed`);
    });
    for (const item of ['good', 'bad 1', 'bad 2', 'last']) batch.add(item);
    expect(() => batch.flush()).toThrow('bad 1 failed');
    expect(ran).toStrictEqual(['good', 'bad 1', 'bad 2', 'last']);
  });

  it('leaves an item added while the batch runs to the next batch', async () => {
    const ran: string[] = [];
    const batch = turnBatch<string>((item) => {
      ran.push(item);
      if (item === 'first') batch.add('added while running');
    });
    batch.add('first');
    await nextTurn();
    expect(ran).toStrictEqual(['first']);
    await nextTurn();
    expect(ran).toStrictEqual(['first', 'added while running']);
  });
});

function reviewBody(uid: string): string {
  const body = loadReview('create-runner-legacy');
  body.request.uid = uid;
  return JSON.stringify(body);
}

/** A request with its whole body ready, as node:http hands one to the handler. */
function request(body: string): IncomingMessage {
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  return Object.assign(Readable.from([Buffer.from(body)]), { method: 'POST', url: '/mutate', headers }) as unknown as IncomingMessage;
}

/** A response that records when it was sent, and what. */
function response(name: string, events: string[]) {
  const sent = { status: 0, text: '' };
  const res = {
    headersSent: false,
    writeHead(status: number) {
      sent.status = status;
      this.headersSent = true;
    },
    end(text: string) {
      sent.text = text;
      events.push(`send ${name}`);
    },
  };
  return { res: res as unknown as ServerResponse, sent };
}

/** The review endpoint, recording each review as it is made. */
function recordingEndpoint(events: string[]) {
  return reviewEndpoint({
    context: (admission) => {
      events.push(`review ${admission.uid}`);
      return { config: defaultConfig };
    },
    maxBodyBytes: 1 << 20,
    maxDurationMs: 5_000,
  });
}

describe('the review endpoint', () => {
  it('reviews every body read in a turn before it sends any answer, and answers each its own', async () => {
    const events: string[] = [];
    const handle = recordingEndpoint(events);
    const uids = ['a', 'b', 'c'];
    const responses = uids.map((uid) => response(uid, events));
    const records = await Promise.all(responses.map(({ res }, index) => handle(request(reviewBody(uids[index]!)), res)));
    expect(events).toStrictEqual(['review a', 'review b', 'review c', 'send a', 'send b', 'send c']);
    expect(records.map((record) => [record.status, record.request?.uid, record.decision?.outcome])).toStrictEqual([
      [200, 'a', 'patched'],
      [200, 'b', 'patched'],
      [200, 'c', 'patched'],
    ]);
    for (const [index, { sent }] of responses.entries()) {
      const answer = JSON.parse(sent.text) as { response: { uid: string; patch: string } };
      expect([sent.status, answer.response.uid]).toStrictEqual([200, uids[index]]);
      expect(decodePatch(answer.response.patch).map((operation) => operation.path)).toContain('/spec/containers/0/readinessProbe');
    }
  });

  it('refuses a bad body in the batch with its own 400, after the batch, and still answers the others', async () => {
    const events: string[] = [];
    const handle = recordingEndpoint(events);
    const bad = response('bad', events);
    const good = response('good', events);
    const [badRecord, goodRecord] = await Promise.all([handle(request('{"kind":'), bad.res), handle(request(reviewBody('good')), good.res)]);
    expect(events).toStrictEqual(['review good', 'send bad', 'send good']);
    expect(badRecord).toStrictEqual({ status: 400, error: 'body is not valid JSON' });
    expect(goodRecord).toMatchObject({ status: 200, request: { uid: 'good' } });
    expect([bad.sent.status, good.sent.status]).toStrictEqual([400, 200]);
    expect(JSON.parse(bad.sent.text)).toStrictEqual({ error: 'body is not valid JSON' });
  });

  it('answers 500 to a review whose inputs cannot be had, and still answers the rest of the batch', async () => {
    const events: string[] = [];
    const handle = reviewEndpoint({
      context: (admission) => {
        if (admission.uid === 'broken') throw new Error('no LimitRanges for this namespace');
        if (admission.uid === 'quoting') throw new TypeError("Cannot create property 'x' on string 'hunter2'");
        return { config: defaultConfig };
      },
      maxBodyBytes: 1 << 20,
      maxDurationMs: 5_000,
    });
    const broken = response('broken', events);
    const good = response('good', events);
    const [brokenRecord, goodRecord] = await Promise.all([handle(request(reviewBody('broken')), broken.res), handle(request(reviewBody('good')), good.res)]);
    expect(brokenRecord).toStrictEqual({ status: 500, error: 'internal error', cause: 'Error: no LimitRanges for this namespace' });
    expect(JSON.parse(broken.sent.text)).toStrictEqual({ error: 'internal error' });
    expect(goodRecord).toMatchObject({ status: 200, request: { uid: 'good' }, decision: { outcome: 'patched' } });
    expect(good.sent.status).toBe(200);
    // A message that quotes a value is cut before the quote: the value may be a credential.
    expect(await handle(request(reviewBody('quoting')), response('quoting', events).res)).toStrictEqual({
      status: 500,
      error: 'internal error',
      cause: 'TypeError: Cannot create property …',
    });
  });
});
