// `audit` reads a cluster of 20,000 runner pods of about 10 KiB each (some 200 MiB of JSON) in
// pages of 500 under a 96 MiB heap limit (the client library alone takes about 30 MiB): it can
// finish only if it keeps small rows, never pods. (64 MiB also passes, but GC makes it 2-3x slower.)
// The built CLI runs as a child process; the pods are made on the fly, page by page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../src/rules/types.js';
import { runCli } from './helpers/cli.js';
import { compliantByHand, listed, patchedLegacy } from './helpers/cluster-pods.js';
import { startKubeApiServer, writeKubeconfig, type KubeApiServer } from './helpers/kube-api-server.js';
import { servePods } from './helpers/pod-list-routes.js';

const PODS = 20_000;
const HEAP_LIMIT_MB = 96;
const NOW = Date.now();
const PADDING = 'x'.repeat(4_000);

/** Pod i: legacy, patched, opted out or compliant in turn, padded to about 10 KiB. */
const kinds = [listed('runner-legacy', 'ns', 'p', NOW), listed(patchedLegacy(), 'ns', 'p', NOW), listed('runner-opted-out', 'ns', 'p', NOW), listed(compliantByHand(), 'ns', 'p', NOW)];
function pod(kind: number, namespace: string, name: string, uid: string): Pod {
  const template = kinds[kind] as Pod; // shared, not copied: only the metadata differs
  const annotations = { ...template.metadata?.annotations, 'example.com/notes': PADDING };
  return { ...template, metadata: { ...template.metadata, namespace, name, uid, annotations } };
}
const podAt = (index: number) => pod(index % 4, `team-${Math.floor(index / 1000)}`, `session-${index}-runner`, `uid-${index}`);
/** The same pods as text from four templates: serializing 200 MiB per run would cost seconds. */
const templates = kinds.map((_, kind) => JSON.stringify(pod(kind, '@NS@', '@NAME@', '@UID@')));
const podJson = (index: number) =>
  (templates[index % 4] as string)
    .replace('@NS@', `team-${Math.floor(index / 1000)}`)
    .replace('@NAME@', `session-${index}-runner`)
    .replace('@UID@', `uid-${index}`);

let server: KubeApiServer;
beforeAll(async () => {
  server = await startKubeApiServer();
  servePods(server, { count: PODS, at: podAt, json: podJson });
});
afterAll(() => server.close());

/** Reports the child's peak resident memory on stderr as it exits. */
const REPORT_RSS = "data:text/javascript,process.on('exit',()=>process.stderr.write('maxRSS='+process.resourceUsage().maxRSS+'\\n'))";

describe('runner-defaults audit on a large cluster', () => {
  it(`reads ${PODS} pods of about 10 KiB in pages of 500 with a ${HEAP_LIMIT_MB} MiB heap, and counts them all`, async () => {
    expect(podJson(0).length).toBeGreaterThan(9_500);
    expect(JSON.parse(podJson(4321))).toStrictEqual(podAt(4321));
    const kubeconfig = writeKubeconfig({ server: server.url, caPem: server.caPem, token: server.token });
    const { code, stdout, stderr } = await runCli(['audit', '--kubeconfig', kubeconfig, '-A', '-o', 'json', '--fail-on-missing'], '', [
      `--max-old-space-size=${HEAP_LIMIT_MB}`,
      '--import',
      REPORT_RSS,
    ]);
    const maxRss = /maxRSS=(\d+)/.exec(stderr)?.[1];
    console.log(`audit of ${PODS} pods: peak RSS ${Math.round(Number(maxRss) / 1024)} MiB`);
    expect(stderr).toMatch(/^maxRSS=\d+\n$/);
    expect(code).toBe(1);
    const { pods, summary } = JSON.parse(stdout) as { pods: unknown[]; summary: Record<string, unknown> };
    expect(pods).toHaveLength(PODS);
    expect(summary).toStrictEqual({
      pods: PODS,
      patched: PODS / 4,
      compliant: PODS / 2,
      optedOut: PODS / 4,
      missingDefaults: PODS / 4,
      unreadable: 0,
      missing: { 'init-resources': PODS / 4, 'liveness-probe': PODS / 4, 'readiness-probe': PODS / 4, 'restart-policy': PODS / 4 },
    });
    const podPages = server.requests.filter((request) => request.path.endsWith('/pods'));
    expect(podPages).toHaveLength(PODS / 500);
    expect(podPages.every((request) => request.query.limit === '500')).toBe(true);
    // The LimitRanges of each namespace with a pod lacking init resources: listed once each.
    const limitRangeLists = server.requests.filter((request) => request.path.endsWith('/limitranges')).map((request) => request.path);
    expect(limitRangeLists.length).toBeGreaterThan(0);
    expect(new Set(limitRangeLists).size).toBe(limitRangeLists.length);
  });
});
