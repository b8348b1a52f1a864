// The server under sustained load, with a certificate rotation and then a SIGTERM in the middle
// of it, and under generated garbage: no failed or wrong review, no accepted request dropped,
// exit 0, never a 5xx. Bounded: about half a minute in all.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import autocannon from 'autocannon';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdmissionReview } from '../src/admission/request.js';
import { review } from '../src/admission/review.js';
import { defaultConfig } from '../src/config.js';
import { applyStrict, decodePatch, loadReview, reviewText } from './helpers/fixtures.js';
import { SERVICE_HOST, certsFromCli, scratchDir, serving, type CertFiles } from './helpers/certs.js';
import { secretVolume, swapSecretVolume } from './helpers/secret-volume.js';
import { connectRaw, rawPost } from './helpers/raw-https.js';
import { WebhookProcess } from './helpers/webhook-process.js';

const BODY = reviewText('create-runner-legacy');
const EXPECTED_PATCH = review(readAdmissionReview(JSON.parse(BODY)), { config: defaultConfig }).answer.response.patch;

interface LoadResult {
  total: number;
  failures: number;
  wrong: number;
}

/** `reached` resolves the first time `report` is given a count of `target`: a point in a test's load to await. */
function countTo(target: number): { reached: Promise<void>; report: (count: number) => void } {
  let resolve!: () => void;
  const reached = new Promise<void>((done) => (resolve = done));
  return {
    reached,
    report: (count) => {
      if (count === target) resolve();
    },
  };
}

/** autocannon at `connections` for `seconds`, checking every answer's patch; `onAnswer` hears the running count. */
async function load(
  server: WebhookProcess,
  options: { connections: number; seconds: number; reconnectRate?: number; onAnswer?: (count: number) => void },
): Promise<LoadResult> {
  let wrong = 0;
  let count = 0;
  const result = await autocannon({
    url: `https://127.0.0.1:${server.port}/mutate?timeout=10s`,
    connections: options.connections,
    duration: options.seconds,
    reconnectRate: options.reconnectRate,
    servername: SERVICE_HOST,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        onResponse: (status: number, body: string) => {
          if (status !== 200 || JSON.parse(body).response.patch !== EXPECTED_PATCH) wrong++;
          options.onAnswer?.(++count);
        },
      },
    ],
  });
  return { total: result.requests.total, failures: result.errors + result.timeouts + result.non2xx, wrong };
}

describe('sustained load, with a certificate rotation', () => {
  let server: WebhookProcess;
  let root: string;
  let first: CertFiles;
  beforeAll(async () => {
    first = await certsFromCli();
    root = scratchDir('reliability-volume');
    secretVolume(root, first);
    server = await WebhookProcess.start({ ...serving(first), cert: join(root, 'tls.crt'), key: join(root, 'tls.key') });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('answers 8 connections for 8 s with no failed, non-2xx or wrong review', async () => {
    const result = await load(server, { connections: 8, seconds: 8 });
    expect(result.total).toBeGreaterThan(1000);
    expect(result).toMatchObject({ failures: 0, wrong: 0 });
  }, 20_000);

  it('loses no request while the certificate rotates under load, and new connections get the new one', async () => {
    const renewed = await certsFromCli(first.dir); // the same CA issues again
    const newFingerprint = new X509Certificate(readFileSync(renewed.cert)).fingerprint256;
    // The swap comes once 300 reviews are answered (about 37 a connection, which reconnects every 25),
    // or when the load ends short of that, which the assertions below then report.
    const threeHundred = countTo(300);
    const running = load(server, { connections: 8, seconds: 6, reconnectRate: 25, onAnswer: threeHundred.report });
    await Promise.race([threeHundred.reached, running]);
    swapSecretVolume(root, '..2026_11_28_10_00_00.000000002', readFileSync(renewed.cert), readFileSync(renewed.key));
    await server.waitForLog((line) => line.msg === 'serving certificate reloaded' && line.fingerprint256 === newFingerprint);
    const result = await running;
    expect(result.total).toBeGreaterThan(500);
    expect(result).toMatchObject({ failures: 0, wrong: 0 });
    expect((await server.request({ agent: false })).fingerprint256).toBe(newFingerprint);
  }, 20_000);
});

describe('SIGTERM under load', () => {
  it('completes every request the server accepted, pipelined ones too, refuses only new connections, and exits 0', async () => {
    const certs = await certsFromCli();
    const server = await WebhookProcess.start(serving(certs, ['--shutdown-timeout-seconds', '5']));
    const answered = new Set<string>();
    // SIGTERM goes once 200 reviews have been answered: awaited, not polled.
    const twoHundred = countTo(200);
    const answer = (uid: string): void => {
      twoHundred.report(answered.add(uid).size);
    };
    const failures: string[] = [];
    let stopped = false;
    let sequence = 0;
    const worker = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: certs.caPem, servername: SERVICE_HOST });
      while (!stopped) {
        const uid = `load-${++sequence}`;
        const body = BODY.replace('705ab4f5-6393-11e8-b7cc-42010a800002', uid);
        const outcome = await new Promise<string>((resolve) => {
          const req = httpsRequest(
            { host: '127.0.0.1', port: server.port, method: 'POST', path: '/mutate', headers: { 'content-type': 'application/json' }, agent },
            (res) => {
              let text = '';
              res.on('data', (chunk: Buffer) => (text += chunk.toString()));
              res.on('end', () => resolve(res.statusCode === 200 && JSON.parse(text).response.patch === EXPECTED_PATCH ? 'ok' : `status ${res.statusCode}`));
            },
          );
          req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
          req.end(body);
        });
        if (outcome === 'ok') answer(uid);
        else failures.push(outcome);
        if (outcome === 'ECONNREFUSED') break;
      }
      agent.destroy();
    };
    // A client that pipelines: two reviews in one write, then the next two once both are answered.
    const pipelining = async () => {
      while (!stopped) {
        const connection = await connectRaw(server.port, certs.caPem).catch((error: NodeJS.ErrnoException) => error.code ?? error.message);
        if (typeof connection === 'string') {
          failures.push(connection);
          if (connection === 'ECONNREFUSED') break;
          continue;
        }
        let seen = 0;
        let closing = false;
        while (!stopped && !closing && !connection.socket.closed) {
          const uids = [`load-${++sequence}`, `load-${++sequence}`];
          connection.socket.write(uids.map((uid) => rawPost('/mutate', BODY.replace('705ab4f5-6393-11e8-b7cc-42010a800002', uid))).join(''));
          const responses = (await connection.responses(seen + 2)).slice(seen);
          seen += responses.length;
          closing = responses.some((response) => response.headers.includes('connection: close'));
          uids.forEach((uid, index) => {
            const response = responses[index];
            if (response?.status === 200 && JSON.parse(response.body).response.patch === EXPECTED_PATCH) answer(uid);
            else failures.push(response ? `status ${response.status}` : 'socket hang up');
          });
        }
        connection.socket.destroy();
      }
    };
    const workers = [...Array.from({ length: 6 }, worker), pipelining(), pipelining()];
    await twoHundred.reached;
    server.child.kill('SIGTERM');
    const code = await server.exitCode;
    stopped = true;
    await Promise.all(workers);
    expect(code).toBe(0);
    const accepted = server.logs.filter((line) => line.msg === 'review').map((line) => line.uid as string);
    expect(accepted.length).toBeGreaterThan(200);
    expect(accepted.filter((uid) => !answered.has(uid))).toStrictEqual([]);
    // Log lines wait for a batch and a buffer: every answered review must still be logged by exit.
    expect([...answered].filter((uid) => !accepted.includes(uid))).toStrictEqual([]);
    // And none of them is said to have been lost.
    const lost = server.logs.filter((line) => line.msg.startsWith('answer not delivered')).map((line) => line.uid as string);
    expect(lost.filter((uid) => answered.has(uid))).toStrictEqual([]);
    expect(failures.filter((failure) => !['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up'].includes(failure))).toStrictEqual([]);
  }, 30_000);
});

describe('generated garbage', () => {
  let server: WebhookProcess;
  const good = loadReview('create-runner-legacy');
  beforeAll(async () => {
    server = await WebhookProcess.start(serving(await certsFromCli()));
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  /** A review with one value somewhere replaced by generated JSON. */
  const mutatedReview = fc
    .tuple(fc.array(fc.constantFrom('request', 'object', 'metadata', 'spec', 'containers', 0, 'initContainers', 'resources', 'uid', 'kind', 'labels', 'annotations', 'ports', 'env'), { maxLength: 5 }), fc.jsonValue())
    .map(([path, value]) => {
      const body = structuredClone(good) as unknown as Record<string | number, unknown>;
      let target: Record<string | number, unknown> = body;
      for (const key of path.slice(0, -1)) {
        const next = target[key];
        if (typeof next !== 'object' || next === null) break;
        target = next as Record<string | number, unknown>;
      }
      target[path.at(-1) ?? 'request'] = value;
      return JSON.stringify(body);
    });

  it('answers every generated body with a 2xx or 4xx, never a 5xx, and an allowed answer keeps the uid and has a patch that applies', async () => {
    const bodies = fc.oneof(fc.json(), fc.string({ unit: 'binary', maxLength: 300 }), mutatedReview);
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const reply = await server.review(body);
        expect(reply.status === 200 || (reply.status >= 400 && reply.status < 500)).toBe(true);
        if (reply.status === 200) {
          const answer = JSON.parse(reply.body);
          expect(answer.response.allowed).toBe(true);
          const { request } = JSON.parse(body);
          expect(answer.response.uid).toBe(request.uid);
          // Every operation must apply to the object sent, as the API server applies it: applyStrict throws otherwise.
          if (answer.response.patch !== undefined) applyStrict(request.object, decodePatch(answer.response.patch));
        } else {
          expect(JSON.parse(reply.body).error).toMatch(/\w/);
        }
      }),
      { numRuns: 300 },
    );
    const after = await server.review(BODY);
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body).response.patch).toBe(EXPECTED_PATCH);
  }, 30_000);
});
