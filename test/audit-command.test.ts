// `runner-defaults audit` against a stand-in API server with real TLS and the wire format: paging,
// namespaces, both output formats exactly, exit codes, and one clear line for each failure.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit, type AuditOptions } from '../src/commands/audit.js';
import { runCli, runCliOnFullDisk, runCliReadingOnce } from './helpers/cli.js';
import { compliantByHand, listed, mixedCluster } from './helpers/cluster-pods.js';
import { kubeStatus, startKubeApiServer, writeKubeconfig, type KubeApiServer } from './helpers/kube-api-server.js';
import { podsFrom, servePods, type PodListOptions } from './helpers/pod-list-routes.js';
import { LimitRangeApi } from './helpers/limit-range-routes.js';
import type { Pod } from '../src/rules/types.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const ALL = ['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy'];
/** What a pod lacking init-resources shows in a namespace with no LimitRange. */
const NONE = { effect: 'none', adjustments: [] };
const scratch = mkdtempSync(join(tmpdir(), 'audit-'));
const servers: KubeApiServer[] = [];

interface Cluster {
  server: KubeApiServer;
  kubeconfig: string;
}

async function cluster(pods: Pod[], options: PodListOptions = {}): Promise<Cluster> {
  const server = await startKubeApiServer();
  servers.push(server);
  servePods(server, podsFrom(pods), options);
  return { server, kubeconfig: writeKubeconfig({ server: server.url, caPem: server.caPem, token: server.token, namespace: 'team-alpha' }) };
}

async function audit(kubeconfig: string, options: Partial<AuditOptions> = {}, progress = false) {
  let stdout = '';
  let stderr = '';
  const code = await runAudit(
    { output: 'table', chunkSize: 2, kubeconfig, ...options },
    { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), progress, now: () => NOW },
  );
  return { code, stdout, stderr };
}

let mixed: Cluster;
beforeAll(async () => {
  mixed = await cluster(mixedCluster(NOW));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

describe('runner-defaults audit', () => {
  it("lists the runner pods of the context's namespace page by page, and prints an aligned table with a summary", async () => {
    mixed.server.requests.length = 0;
    const { code, stdout, stderr } = await audit(mixed.kubeconfig);
    expect({ code, stderr }).toStrictEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')).toStrictEqual([
      'NAMESPACE    NAME               AGE   STATUS      READINESS   LIVENESS   RESTART-POLICY   INIT-RESOURCES',
      'team-alpha   session-1-runner   5d    missing     missing     missing    missing          missing',
      'team-alpha   session-2-runner   3h    ok          added       added      added            added',
      'team-alpha   session-3-runner   12m   opted-out   missing     missing    missing          missing',
      '',
      '3 runner pods, 1 patched by the webhook, 1 compliant, 1 opted out, 1 missing defaults',
      '',
    ]);
    const podRequests = mixed.server.requests.filter((request) => request.path.endsWith('/pods'));
    const [first, second, ...rest] = podRequests;
    expect(rest).toStrictEqual([]);
    // The namespace's LimitRanges, once, for the pods lacking init-resources (none here: a 404).
    expect(mixed.server.requests.filter((request) => !request.path.endsWith('/pods')).map((request) => request.path)).toStrictEqual([
      '/api/v1/namespaces/team-alpha/limitranges',
    ]);
    expect(first).toStrictEqual({
      method: 'GET',
      path: '/api/v1/namespaces/team-alpha/pods',
      query: { labelSelector: 'app=ambient-code-runner', limit: '2' },
      authorized: true,
    });
    expect(second?.query.continue).toEqual(expect.any(String));
  });

  it('with -A -o json lists every namespace and prints the pods and the summary exactly', async () => {
    const { code, stdout, stderr } = await audit(mixed.kubeconfig, { allNamespaces: true, output: 'json' });
    expect({ code, stderr }).toStrictEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toStrictEqual({
      pods: [
        { namespace: 'team-alpha', name: 'session-1-runner', creationTimestamp: '2026-11-23T12:00:00Z', applied: [], optedOut: false, missing: ALL, limitRange: NONE },
        { namespace: 'team-alpha', name: 'session-2-runner', creationTimestamp: '2026-11-28T09:00:00Z', applied: ALL, optedOut: false, missing: [] },
        { namespace: 'team-alpha', name: 'session-3-runner', creationTimestamp: '2026-11-28T11:48:00Z', applied: [], optedOut: true, missing: ALL, limitRange: NONE },
        {
          namespace: 'team-beta',
          name: 'session-4-runner',
          creationTimestamp: '2026-11-27T16:00:00Z',
          applied: [],
          optedOut: false,
          missing: ['init-resources', 'restart-policy'],
          limitRange: NONE,
        },
        { namespace: 'team-beta', name: 'session-5-runner', creationTimestamp: '2026-11-28T11:59:15Z', applied: [], optedOut: false, missing: [] },
      ],
      summary: {
        pods: 5,
        patched: 1,
        compliant: 2,
        optedOut: 1,
        missingDefaults: 2,
        unreadable: 0,
        missing: { 'init-resources': 2, 'liveness-probe': 1, 'readiness-probe': 1, 'restart-policy': 2 },
      },
    });
    expect(stdout.endsWith('}\n')).toBe(true);
  });

  it('with -n lists that namespace only, whatever the context says', async () => {
    const { stdout } = await audit(mixed.kubeconfig, { namespace: 'team-beta' });
    expect(stdout.split('\n').slice(1, 3).map((line) => line.split(/\s+/).slice(0, 4))).toStrictEqual([
      ['team-beta', 'session-4-runner', '20h', 'missing'],
      ['team-beta', 'session-5-runner', '45s', 'ok'],
    ]);
    expect(stdout).toContain('\n2 runner pods, 0 patched by the webhook, 1 compliant, 0 opted out, 1 missing defaults\n');
  });

  it('with --selector asks the API server for those labels instead of the runner selector', async () => {
    mixed.server.requests.length = 0;
    const { code, stdout } = await audit(mixed.kubeconfig, { selector: 'agentic-session=none', allNamespaces: true });
    expect(code).toBe(0);
    expect(mixed.server.requests.map((request) => request.query.labelSelector)).toStrictEqual(['agentic-session=none']);
    expect(stdout).toContain('\n0 runner pods, 0 patched by the webhook, 0 compliant, 0 opted out, 0 missing defaults\n');
  });

  it("takes the runner selector from --config", async () => {
    const config = join(scratch, 'config.yaml');
    writeFileSync(config, 'selector:\n  matchLabels:\n    app: ambient-code-runner\n  matchExpressions:\n    - { key: tier, operator: NotIn, values: [batch] }\n');
    mixed.server.requests.length = 0;
    await audit(mixed.kubeconfig, { config });
    expect(mixed.server.requests[0]?.query.labelSelector).toBe('app=ambient-code-runner,tier notin (batch)');
  });

  it.each<[string, boolean, number, string]>([
    ['shows progress on a terminal once a listing runs past one page, and clears it', true, 2, '\r\x1b[K'],
    ['shows no progress when stderr is not a terminal', false, 2, ''],
    ['shows no progress for a listing that fits in one page', true, 500, ''],
  ])('%s', async (_name, progress, chunkSize, last) => {
    const { stdout, stderr } = await audit(mixed.kubeconfig, { allNamespaces: true, chunkSize }, progress);
    const shown = stderr.split('\r\x1b[K').filter(Boolean);
    expect(shown).toStrictEqual(progress && chunkSize === 2 ? ['runner-defaults: audit: 2 pods read…', 'runner-defaults: audit: 4 pods read…', 'runner-defaults: audit: 5 pods read…'] : []);
    expect(stderr.endsWith(last)).toBe(true);
    expect(stdout).toContain('\n5 runner pods,');
  });

  it.each<[string, () => Pod[], boolean, number]>([
    ['exits 1 with --fail-on-missing when a pod lacks a default', () => mixedCluster(NOW), true, 1],
    ['exits 0 without --fail-on-missing even when a pod lacks a default', () => mixedCluster(NOW), false, 0],
    [
      'exits 0 with --fail-on-missing when only an opted-out pod lacks defaults',
      () => mixedCluster(NOW).filter((pod) => !/session-[14]-/.test(pod.metadata?.name ?? '')),
      true,
      0,
    ],
  ])('%s', async (_name, pods, failOnMissing, expected) => {
    const { kubeconfig } = await cluster(pods());
    const { code } = await audit(kubeconfig, { allNamespaces: true, failOnMissing });
    expect(code).toBe(expected);
  });

  it('goes on with the token a 410 Expired Status carries, says so on stderr, and still lists every pod', async () => {
    const { server, kubeconfig } = await cluster(mixedCluster(NOW), { expire: 'with-continue' });
    const { code, stdout, stderr } = await audit(kubeconfig, { allNamespaces: true, output: 'json', failOnMissing: true });
    expect(code).toBe(1);
    expect(stderr).toBe(
      'runner-defaults: audit: the list expired while paging (410 Expired); continuing with the token the API server gave: pods created or deleted meanwhile may be missed or counted twice\n',
    );
    expect(JSON.parse(stdout).summary.pods).toBe(5);
    const tokens = server.requests.filter((request) => request.path.endsWith('/pods')).map((request) => request.query.continue);
    expect(tokens).toHaveLength(4);
    expect(tokens[2]).not.toBe(tokens[1]);
  });

  it('gives up with exit 2 and one line when a 410 Expired Status carries no token', async () => {
    const { server, kubeconfig } = await cluster(mixedCluster(NOW), { expire: 'without-continue' });
    const { code, stdout, stderr } = await audit(kubeconfig, { allNamespaces: true });
    expect({ code, stdout }).toStrictEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(
      `runner-defaults: audit: the list expired while paging (410 Expired) at ${server.url} and the API server gave no token to go on with; run the audit again, or with a larger --chunk-size\n`,
    );
  });

  it('exits 2 naming a 403 and the reason the API server gave', async () => {
    const { server, kubeconfig } = await cluster([]);
    const message = 'pods is forbidden: User "system:serviceaccount:ops:auditor" cannot list resource "pods" in API group "" at the cluster scope';
    server.route('GET', /^\/api\/v1\/pods$/, () => kubeStatus(403, 'Forbidden', message));
    const { code, stdout, stderr } = await audit(kubeconfig, { allNamespaces: true });
    expect({ code, stdout }).toStrictEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(`runner-defaults: audit: the API server forbids this (403 Forbidden) at ${server.url}: ${message}\n`);
  });

  it('exits 2 naming the refused credentials when the token is wrong', async () => {
    const kubeconfig = writeKubeconfig({ server: mixed.server.url, caPem: mixed.server.caPem, token: 'wrong', namespace: 'team-alpha' });
    const { code, stdout, stderr } = await audit(kubeconfig);
    expect({ code, stdout }).toStrictEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(`runner-defaults: audit: the API server refused the credentials (401 Unauthorized) at ${mixed.server.url}\n`);
  });

  it('exits 2 naming the address when nothing listens there', async () => {
    const port = await closedPort();
    const kubeconfig = writeKubeconfig({ server: `https://127.0.0.1:${port}`, caPem: mixed.server.caPem, token: 't' });
    const { code, stdout, stderr } = await audit(kubeconfig);
    expect({ code, stdout }).toStrictEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(`runner-defaults: audit: cannot reach the API server at https://127.0.0.1:${port} (connection refused)\n`);
  });

  it('exits 2 naming the certificate problem when the kubeconfig does not trust the server', async () => {
    const kubeconfig = writeKubeconfig({ server: mixed.server.url, token: mixed.server.token });
    const { code, stdout, stderr } = await audit(kubeconfig);
    expect({ code, stdout }).toStrictEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(
      `runner-defaults: audit: cannot trust the API server's certificate at ${mixed.server.url} (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate)\n`,
    );
  });

  it.each<[string, () => string, string]>([
    ['a kubeconfig that does not exist', () => join(scratch, 'absent'), 'cannot load the kubeconfig SCRATCH/absent: ENOENT: no such file or directory'],
    ['an empty kubeconfig', () => writeFile('empty', ''), 'cannot load the kubeconfig SCRATCH/empty: it is not a kubeconfig (no clusters, users and contexts)'],
  ])('exits 2 with one line for %s', async (_name, file, expected) => {
    const { code, stdout, stderr } = await audit(file());
    expect({ code, stdout }).toStrictEqual({ code: 2, stdout: '' });
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).toContain(`runner-defaults: audit: ${expected.replace('SCRATCH', scratch)}`);
  });

  it('exits 2, not 1, for a bad config file, so a CI job does not mistake it for missing defaults', async () => {
    const { code, stderr } = await audit(mixed.kubeconfig, { config: writeFile('bad.yaml', 'restartPolicy: Sometimes\n') });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^runner-defaults: audit: .*bad\.yaml: invalid configuration\nrestartPolicy: /);
  });
});

describe('runner-defaults audit, the built command', () => {
  it('prints the table and exits 1 with --fail-on-missing', async () => {
    // The child process reads the real clock, so these pods are created relative to it.
    const { kubeconfig } = await cluster(mixedCluster(Date.now()));
    const { code, stdout, stderr } = await runCli(['audit', '--kubeconfig', kubeconfig, '-A', '--fail-on-missing']);
    expect({ code, stderr }).toStrictEqual({ code: 1, stderr: '' });
    expect(stdout.split('\n')[0]).toBe('NAMESPACE    NAME               AGE   STATUS      READINESS   LIVENESS   RESTART-POLICY   INIT-RESOURCES');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('5 runner pods, 1 patched by the webhook, 2 compliant, 1 opted out, 2 missing defaults');
  });

  it('stops quietly when the reader closes the pipe early (-o json | head), and still exits 1 with --fail-on-missing', async () => {
    const pods = Array.from({ length: 1000 }, (_, index) => listed('runner-legacy', 'team-alpha', `session-${String(index).padStart(4, '0')}-runner`, Date.now()));
    const { kubeconfig } = await cluster(pods);
    const args = ['audit', '--kubeconfig', kubeconfig, '-A', '-o', 'json', '--fail-on-missing'];
    const whole = await runCli(args);
    const { code, stdout, stderr } = await runCliReadingOnce(args);
    expect({ code, stderr }).toStrictEqual({ code: 1, stderr: '' });
    expect(whole.stdout.length).toBeGreaterThan(256 * 1024); // more than a pipe holds, so the writer meets the closed end
    expect(stdout.length).toBeGreaterThan(0);
    expect(stdout.length).toBeLessThan(whole.stdout.length);
    expect(whole.stdout.startsWith(stdout)).toBe(true);
  });

  it.skipIf(!existsSync('/dev/full'))('exits 2, not the 1 of a missing default, with one line when standard output cannot be written', async () => {
    const { kubeconfig } = await cluster(mixedCluster(Date.now()));
    const { code, stderr } = await runCliOnFullDisk(['audit', '--kubeconfig', kubeconfig, '-A', '--fail-on-missing']);
    expect({ code, stderr }).toStrictEqual({ code: 2, stderr: 'runner-defaults: cannot write to standard output: ENOSPC: no space left on device, write\n' });
  });

  it('exits 2 with one line and no stack trace when the credentials are refused', async () => {
    const kubeconfig = writeKubeconfig({ server: mixed.server.url, caPem: mixed.server.caPem, token: 'wrong' });
    const { code, stdout, stderr } = await runCli(['audit', '--kubeconfig', kubeconfig, '--fail-on-missing']);
    expect({ code, stdout, stderr }).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `runner-defaults: audit: the API server refused the credentials (401 Unauthorized) at ${mixed.server.url}\n`,
    });
  });

  it('refuses -n together with -A as a usage error', async () => {
    const { code, stderr } = await runCli(['audit', '-n', 'team-alpha', '-A']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: option '-A, --all-namespaces' cannot be used with option '-n, --namespace <namespace>'/);
  });
});

function writeFile(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

/** A port on 127.0.0.1 that was just free and is now closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('runner-defaults audit with LimitRanges', () => {
  it("notes, for pods lacking init-resources, how the namespace's LimitRange would shape them, listing each namespace once", async () => {
    const { server, kubeconfig } = await cluster(mixedCluster(NOW));
    new LimitRangeApi(server, [
      { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'ratio', namespace: 'team-alpha' }, spec: { limits: [{ type: 'Container', maxLimitRequestRatio: { cpu: '4' } }] } },
      { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'tight', namespace: 'team-beta' }, spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] } },
    ]);
    const table = await audit(kubeconfig, { allNamespaces: true });
    expect(table.stdout.split('\n').slice(0, 6)).toStrictEqual([
      'NAMESPACE    NAME               AGE   STATUS      READINESS   LIVENESS   RESTART-POLICY   INIT-RESOURCES',
      'team-alpha   session-1-runner   5d    missing     missing     missing    missing          missing (fitted to LimitRange)',
      'team-alpha   session-2-runner   3h    ok          added       added      added            added',
      'team-alpha   session-3-runner   12m   opted-out   missing     missing    missing          missing (fitted to LimitRange)',
      'team-beta    session-4-runner   20h   missing     ok          ok         missing          missing (LimitRange leaves some out)',
      'team-beta    session-5-runner   45s   ok          ok          ok         ok               ok',
    ]);
    expect(server.requests.filter((request) => request.path.endsWith('/limitranges')).map((request) => request.path)).toStrictEqual([
      '/api/v1/namespaces/team-alpha/limitranges',
      '/api/v1/namespaces/team-beta/limitranges',
    ]);
    const json = JSON.parse((await audit(kubeconfig, { allNamespaces: true, output: 'json' })).stdout);
    expect(json.pods[0].limitRange).toStrictEqual({ effect: 'adjusted', adjustments: ['adjusted cpu of init container "init-hydrate": request 100m -> 250m'] });
    expect(json.pods[3].limitRange.effect).toBe('skipped');
    expect(json.pods[3].limitRange.adjustments[0]).toMatch(/^skipped cpu of init container "init-hydrate": no value fits min 2, max 1 \(LimitRange tight\)$/);
    expect(json.pods[1].limitRange).toBeUndefined();
  });

  it('counts a pod as compliant when it lacks only what its LimitRanges leave no room for, as the webhook adds nothing', async () => {
    // Every default by hand, but no cpu on the init container, in a namespace whose LimitRange no cpu amount fits.
    const pod = compliantByHand();
    const init = pod.spec?.initContainers?.[0];
    if (!init?.resources?.requests || !init.resources.limits) throw new Error('compliantByHand changed shape');
    delete init.resources.requests.cpu;
    delete init.resources.limits.cpu;
    const { server, kubeconfig } = await cluster([listed(pod, 'team-beta', 'session-6-runner', NOW - 60_000)]);
    new LimitRangeApi(server, [
      { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'tight', namespace: 'team-beta' }, spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] } },
    ]);
    const { code, stdout } = await audit(kubeconfig, { allNamespaces: true, failOnMissing: true });
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(0, 2)).toStrictEqual([
      'NAMESPACE   NAME               AGE   STATUS   READINESS   LIVENESS   RESTART-POLICY   INIT-RESOURCES',
      'team-beta   session-6-runner   60s   ok       ok          ok         ok               ok (LimitRange leaves no room)',
    ]);
    expect(stdout).toContain('1 runner pod, 0 patched by the webhook, 1 compliant, 0 opted out, 0 missing defaults');
    const json = JSON.parse((await audit(kubeconfig, { allNamespaces: true, output: 'json' })).stdout);
    expect(json.pods[0]).toMatchObject({ missing: [], limitRange: { effect: 'skipped' } });
    expect(json.summary).toMatchObject({ compliant: 1, missingDefaults: 0 });
  });

  it('says once on stderr when it may not list LimitRanges (403), and shows their effect as unknown', async () => {
    const { server, kubeconfig } = await cluster(mixedCluster(NOW));
    server.route('GET', /\/limitranges$/, () => kubeStatus(403, 'Forbidden', 'limitranges is forbidden: User "audit" cannot list resource "limitranges"'));
    const { code, stdout, stderr } = await audit(kubeconfig, { allNamespaces: true, output: 'json' });
    expect(code).toBe(0);
    expect(stderr.split('\n').filter(Boolean)).toStrictEqual([
      expect.stringMatching(/^runner-defaults: audit: cannot list LimitRanges \(the API server forbids this \(403 Forbidden\).*\); their effect on init-container defaults is shown as unknown$/),
    ]);
    expect(JSON.parse(stdout).pods[0].limitRange).toStrictEqual({ effect: 'unknown', adjustments: [] });
  });
});

