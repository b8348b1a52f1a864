// `serve` with LimitRanges: the informer lists them from the stand-in API server (real TLS and a
// token, through --kubeconfig), then follows a streaming watch that adds, modifies and deletes,
// a dropped watch (resumed from its resourceVersion) and 410s (listed again), all with no
// restart; every decision is read from a real review over HTTPS. Without API access, or with an
// API server that does not answer, serve starts anyway with the plain defaults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimitRange, LimitRangeItem } from '../src/rules/limit-ranges.js';
import { decodePatch, applyStrict, loadReview, type ReviewFixture } from './helpers/fixtures.js';
import { startKubeApiServer, writeKubeconfig, type KubeApiServer } from './helpers/kube-api-server.js';
import { LimitRangeApi } from './helpers/limit-range-routes.js';
import { WebhookProcess } from './helpers/webhook-process.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NAMESPACE = 'team-alpha';
const DEADLINE_MS = 10_000;

function limitRange(name: string, namespace: string, ...limits: LimitRangeItem[]): LimitRange {
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace }, spec: { limits } };
}

async function startServe(args: string[], env?: Record<string, string>): Promise<WebhookProcess> {
  return WebhookProcess.start({ servername: 'localhost', cwd: mkdtempSync(join(tmpdir(), 'serve-lr-')), args, env });
}

/** The init container's resources in the pod the webhook's patch gives, for a fresh uid each time. */
async function initResources(server: WebhookProcess, dryRun = false): Promise<{ resources: unknown; warnings: string[]; uid: string }> {
  const review: ReviewFixture = loadReview('create-runner-legacy');
  review.request.uid = `uid-${Math.random().toString(16).slice(2)}`;
  review.request.dryRun = dryRun;
  const reply = await server.review(JSON.stringify(review));
  expect(reply.status).toBe(200);
  const { response } = JSON.parse(reply.body);
  const patched = applyStrict(review.request.object, decodePatch(response.patch));
  return { resources: patched.spec?.initContainers?.[0]?.resources, warnings: response.warnings ?? [], uid: review.request.uid };
}

/** Polls until the webhook's answer has these init-container resources, or fails at the deadline. */
async function until(server: WebhookProcess, expected: unknown): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    last = (await initResources(server)).resources;
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(last, `init resources within ${DEADLINE_MS} ms`).toStrictEqual(expected);
}

const PLAIN = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } };

describe('serve follows the LimitRanges of the API server', () => {
  let api: KubeApiServer;
  let limitRanges: LimitRangeApi;
  let server: WebhookProcess;
  let pid: number | undefined;

  beforeAll(async () => {
    api = await startKubeApiServer();
    limitRanges = new LimitRangeApi(api, [
      limitRange('ratio', NAMESPACE, { type: 'Container', maxLimitRequestRatio: { cpu: '4' } }),
      limitRange('elsewhere', 'team-beta', { type: 'Container', max: { cpu: '10m', memory: '10Mi' } }),
    ]);
    const kubeconfig = writeKubeconfig({ server: api.url, caPem: api.caPem, token: api.token });
    server = await startServe(['--kubeconfig', kubeconfig]);
    pid = server.child.pid;
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await api.close();
  });

  it('lists them before it listens, with the token, and fits the defaults to its namespace only', async () => {
    const listed = server.logs.findIndex((line) => line.msg === 'LimitRanges listed; watching them');
    const listening = server.logs.findIndex((line) => line.msg === 'listening');
    expect(listed).toBeGreaterThanOrEqual(0);
    expect(listed).toBeLessThan(listening);
    expect(server.logs[listed]?.limitRanges).toBe(2);
    const requests = api.requests.filter((request) => request.path === '/api/v1/limitranges');
    expect(requests.every((request) => request.authorized)).toBe(true);
    // The watch resumes from the list's resourceVersion and asks to be ended within 5 to 10 minutes.
    const watch = await api.waitForRequest((request) => request.query.watch === 'true');
    expect(watch.query.resourceVersion).toMatch(/^\d+$/);
    expect(Number(watch.query.timeoutSeconds)).toBeGreaterThanOrEqual(300);
    expect(Number(watch.query.timeoutSeconds)).toBeLessThan(600);
    expect((await initResources(server)).resources).toStrictEqual({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m', memory: '128Mi' } });
  });

  it('follows a LimitRange added through the watch', async () => {
    limitRanges.put(limitRange('memory-max', NAMESPACE, { type: 'Container', max: { memory: '512Mi' } }));
    await until(server, { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '250m', memory: '128Mi' } });
  });

  it('follows a modified LimitRange', async () => {
    limitRanges.put(limitRange('ratio', NAMESPACE, { type: 'Container', maxLimitRequestRatio: { cpu: '2' } }));
    await until(server, { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '500m', memory: '128Mi' } });
  });

  it('follows a deleted LimitRange', async () => {
    limitRanges.delete(NAMESPACE, 'memory-max');
    await until(server, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '128Mi' } });
  });

  it('resumes a dropped watch from its resourceVersion, without listing again, and gets what it missed', async () => {
    const lists = limitRanges.lists;
    const watches = limitRanges.watches;
    limitRanges.dropWatches();
    limitRanges.put(limitRange('ratio', NAMESPACE, { type: 'Container', maxLimitRequestRatio: { cpu: '5' } }));
    await until(server, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '200m', memory: '128Mi' } });
    expect(limitRanges.watches).toBeGreaterThan(watches);
    expect(limitRanges.lists).toBe(lists);
  });

  it('lists again after a watch ERROR event with 410, and sees a change it never got an event for', async () => {
    const lists = limitRanges.lists;
    await until(server, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '200m', memory: '128Mi' } });
    limitRanges.putSilently(limitRange('ratio', NAMESPACE, { type: 'Container', maxLimitRequestRatio: { cpu: '10' } }));
    limitRanges.expireWatches();
    await until(server, PLAIN);
    expect(limitRanges.lists).toBeGreaterThan(lists);
  });

  it('lists again when resuming a dropped watch is answered 410 Gone', async () => {
    const lists = limitRanges.lists;
    limitRanges.dropWatches();
    limitRanges.putSilently(limitRange('pod-max', NAMESPACE, { type: 'Pod', max: { cpu: '800m' } }));
    await until(server, { limits: { cpu: '800m', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(limitRanges.lists).toBeGreaterThan(lists);
  });

  it('never restarted, counts adjustments in its metric, and names them in the log line and dry-run warnings', async () => {
    expect(server.child.pid).toBe(pid);
    expect(server.child.exitCode).toBeNull();
    const { warnings, uid } = await initResources(server, true);
    expect(warnings.slice(0, 2)).toStrictEqual([
      'runner-defaults: added requests cpu=100m memory=128Mi, limits cpu=800m memory=1Gi to init container "init-hydrate"',
      'runner-defaults: fitted cpu of init container "init-hydrate" to the LimitRange: limit 1 -> 800m',
    ]);
    const metrics = (await server.request({ path: '/metrics' })).body;
    const adjusted = Number(/runner_defaults_limit_range_adjustments_total\{action="adjusted",resource="cpu"\} (\d+)/.exec(metrics)?.[1]);
    expect(adjusted).toBeGreaterThan(5);
    expect(metrics).toContain('runner_defaults_limit_range_adjustments_total{action="skipped",resource="memory"} 0');
    const line = await server.waitForLog((entry) => entry.msg === 'review' && entry.uid === uid);
    expect(line?.limitRange).toStrictEqual(['adjusted cpu of init container "init-hydrate": limit 1 -> 800m']);
  });
});

describe('serve with an API server whose watches fail', () => {
  async function withBrokenWatches(mode: LimitRangeApi['brokenWatches'], check: (server: WebhookProcess, api: LimitRangeApi) => Promise<void>): Promise<void> {
    const api = await startKubeApiServer();
    const limitRanges = new LimitRangeApi(api, [limitRange('ratio', NAMESPACE, { type: 'Container', maxLimitRequestRatio: { cpu: '4' } })]);
    limitRanges.brokenWatches = mode;
    const server = await startServe(['--kubeconfig', writeKubeconfig({ server: api.url, caPem: api.caPem, token: api.token })]);
    try {
      await check(server, limitRanges);
    } finally {
      expect(await server.stop()).toBe(0);
      await api.close();
    }
  }

  it.each([
    ['every watch ends as soon as it starts', 'end-at-once', 2],
    ['every watch is answered 410 Gone (so the informer lists again each time)', 'gone', 10],
  ] as const)('when %s, spaces the watches out, doubling the wait, and says so', async (_what, mode, listsAtMost) => {
    await withBrokenWatches(mode, async (server, api) => {
      const warning = (ended: number) => (line: Record<string, unknown>) =>
        line.msg === 'LimitRange watches end as soon as they start; watching again later' && line.watchesEndedAtOnce === ended;
      expect((await server.waitForLog(warning(2))).retryInMs).toBe(500);
      expect((await server.waitForLog(warning(3))).retryInMs).toBe(1000);
      // Without the waits, the informer had watched (or listed and watched) hundreds of times by now;
      // with them, 4, or a few more where a slow round trip (over 1 s) restarted the count.
      expect(api.watches).toBeLessThanOrEqual(10);
      expect(api.lists).toBeLessThanOrEqual(listsAtMost);
      // The LimitRanges of the first list are still used.
      expect((await initResources(server)).resources).not.toStrictEqual(PLAIN);
    });
  });

  it('treats a watch ERROR event other than 410 as a failure: says so and retries with the backoff', async () => {
    await withBrokenWatches('error-event', async (server, api) => {
      const failed = (line: Record<string, unknown>) => line.msg === 'LimitRange list or watch failed; retrying' && String(line.err).includes('watch ERROR event: 500');
      expect((await server.waitForLog(failed)).retryInMs).toBe(500);
      const second = await server.waitForLog((line) => failed(line) && line.retryInMs === 1000);
      expect(second.err).toBe('watch ERROR event: 500 etcd is unavailable');
      expect(api.watches).toBeLessThanOrEqual(10);
    });
  });
});

describe('serve without a reachable API server', () => {
  it('with no kubeconfig and not in a cluster, says so in one line and serves the plain defaults', async () => {
    const server = await startServe([]);
    try {
      expect(server.logs.filter((line) => /LimitRange/.test(line.msg))).toHaveLength(1);
      expect(server.logs.find((line) => /LimitRange/.test(line.msg))?.msg).toBe(
        'no API server access (not in a cluster, no --kubeconfig): LimitRanges are not consulted; init containers get the plain defaults',
      );
      expect((await initResources(server)).resources).toStrictEqual(PLAIN);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  // Where the tests themselves run in a pod with a token, the library would find it: nothing to test then.
  it.skipIf(existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'))('in a pod with no service account token (automountServiceAccountToken: false), says so in one line and serves the plain defaults', async () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    const server = await startServe([], { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', HOME: home, KUBECONFIG: '' });
    try {
      const lines = server.logs.filter((line) => /LimitRange/.test(line.msg));
      expect(lines.map((line) => [line.msg, line.err])).toStrictEqual([
        ['no API server access: LimitRanges are not consulted; init containers get the plain defaults', expect.stringMatching(/^no kubeconfig found: /)],
      ]);
      expect((await initResources(server)).resources).toStrictEqual(PLAIN);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('with an API server that never answers the list, waits --limit-ranges-wait-seconds, then serves the plain defaults', async () => {
    const api = await startKubeApiServer();
    api.route('GET', /^\/api\/v1\/limitranges$/, () => new Promise(() => {}));
    const kubeconfig = writeKubeconfig({ server: api.url, caPem: api.caPem, token: api.token });
    const started = Date.now();
    const server = await startServe(['--kubeconfig', kubeconfig, '--limit-ranges-wait-seconds', '1']);
    try {
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
      expect(server.logs.some((line) => line.msg === 'LimitRanges not listed in time; serving with plain defaults until they are')).toBe(true);
      expect((await initResources(server)).resources).toStrictEqual(PLAIN);
    } finally {
      expect(await server.stop()).toBe(0);
      await api.close();
    }
  });

  it('with a kubeconfig that refuses its token (401), serves the plain defaults and retries', async () => {
    const api = await startKubeApiServer();
    new LimitRangeApi(api, [limitRange('ratio', NAMESPACE, { type: 'Container', maxLimitRequestRatio: { cpu: '4' } })]);
    const kubeconfig = writeKubeconfig({ server: api.url, caPem: api.caPem, token: 'wrong-token' });
    const server = await startServe(['--kubeconfig', kubeconfig, '--limit-ranges-wait-seconds', '1']);
    try {
      await server.waitForLog((line) => line.msg === 'LimitRange list or watch failed; retrying' && String(line.err).includes('401'));
      expect((await initResources(server)).resources).toStrictEqual(PLAIN);
    } finally {
      expect(await server.stop()).toBe(0);
      await api.close();
    }
  });
});
