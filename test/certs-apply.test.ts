// The caBundle bootstrap, `runner-defaults certs --apply`, run as the built CLI against a stand-in
// API server over HTTPS with a real kubeconfig (CA and bearer token): what it writes on a fresh
// install, that a second run writes nothing, when it renews, what --rotate does, and how a refusal
// reads.
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeCertificateAuthority, makeServingCertificate, serviceDnsNames, servingNames } from '../src/tls/certificates.js';
import { certBootstrapRoutes, stored, type ClusterStore, type WireSecret, type WireWebhookConfiguration } from './helpers/cert-bootstrap-routes.js';
import { scratchDir } from './helpers/certs.js';
import { runCli } from './helpers/cli.js';
import { kubeStatus, startKubeApiServer, writeKubeconfig, type KubeApiServer } from './helpers/kube-api-server.js';

const NAMESPACE = 'runner-defaults';
const SECRET_KEY = `${NAMESPACE}/runner-defaults-tls`;
const NAMES = serviceDnsNames('runner-defaults', NAMESPACE);
const WEBHOOK_PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/runner-defaults';
const SECRET_PATH = `/api/v1/namespaces/${NAMESPACE}/secrets/runner-defaults-tls`;

/** deploy/'s webhook configuration, as the API server returns it, with a second webhook that has a stale caBundle. */
function installedWebhookConfiguration(): WireWebhookConfiguration {
  const manifest = parse(readFileSync(new URL('../deploy/mutatingwebhookconfiguration.yaml', import.meta.url), 'utf8')) as WireWebhookConfiguration;
  const [webhook] = manifest.webhooks ?? [];
  const second = structuredClone(webhook);
  if (!webhook || !second) throw new Error('deploy/ has no webhook');
  second.name = 'second.runner-defaults.ambient-code.io';
  second.clientConfig.caBundle = Buffer.from('stale').toString('base64');
  return stored({ ...manifest, webhooks: [webhook, second] });
}

const pem = (base64: string | undefined) => Buffer.from(base64 ?? '', 'base64').toString('utf8');

let server: KubeApiServer;
let store: ClusterStore;
let kubeconfig: string;

beforeEach(async () => {
  server = await startKubeApiServer();
  store = certBootstrapRoutes(server);
  store.webhookConfigurations.set('runner-defaults', installedWebhookConfiguration());
  kubeconfig = writeKubeconfig({ server: server.url, caPem: server.caPem, token: server.token });
});

afterEach(async () => {
  await server.close();
});

const apply = (...extra: string[]) =>
  runCli(['certs', '--apply', '--service', 'runner-defaults', '--namespace', NAMESPACE, '--kubeconfig', kubeconfig, ...extra]);

const calls = (from = 0) => server.requests.slice(from).map((request) => `${request.method} ${request.path}`);
const secret = () => store.secrets.get(SECRET_KEY) as WireSecret;
const caBundles = () => (store.webhookConfigurations.get('runner-defaults')?.webhooks ?? []).map((webhook) => webhook.clientConfig.caBundle);

/** Checks that the Secret's serving certificate is for the Service, signed by its CA, and that every webhook trusts that CA. */
function expectConsistentInstall(stdout: string): void {
  const data = secret().data ?? {};
  const ca = new X509Certificate(pem(data['ca.crt']));
  const serving = new X509Certificate(pem(data['tls.crt']));
  expect(serving.verify(ca.publicKey)).toBe(true);
  for (const name of NAMES) expect(serving.checkHost(name, { subject: 'never' })).toBe(name);
  expect(caBundles().map(pem)).toEqual([pem(data['ca.crt']), pem(data['ca.crt'])]);
  expect(stdout.trim()).toBe(data['ca.crt']);
}

describe('certs --apply on a fresh install', () => {
  it.each([
    ['a folder under a file', (dir: string) => (writeFileSync(join(dir, 'file'), ''), join(dir, 'file', 'sub')), 'ENOTDIR'],
    ['a folder whose tls.key is a folder', (dir: string) => (mkdirSync(join(dir, 'tls.key')), dir), 'EISDIR'],
  ])('exits 1 with one line and touches no cluster when --out is %s', async (_what, out, code) => {
    const dir = scratchDir('apply-out');
    const target = out(dir);
    const before = caBundles();
    const result = await apply('--out', target);
    expect(result.stderr).toBe(`runner-defaults: cannot read or write the certificate files in ${target} (${code}); give another --out\n`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(server.requests).toEqual([]);
    expect(store.secrets.size).toBe(0);
    expect(caBundles()).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual([code === 'EISDIR' ? 'tls.key' : 'file']);
  });

  it('says the cluster is updated when --out cannot be written after the cluster was, and exits 1', async () => {
    const out = scratchDir('apply-out');
    // The webhook PATCH, the last write to the cluster, answers after a folder took tls.key's place.
    server.route('PATCH', /mutatingwebhookconfigurations\/runner-defaults$/, () => {
      mkdirSync(join(out, 'tls.key'));
      return { body: store.webhookConfigurations.get('runner-defaults') };
    });
    const result = await apply('--out', out);
    expect(result.stderr).toBe(`runner-defaults: the cluster is updated, but the certificate files cannot be written in ${out} (EISDIR); run again with another --out\n`);
    expect(result.code).toBe(1);
    expect(calls()).toEqual([`GET ${WEBHOOK_PATH}`, `GET ${SECRET_PATH}`, `POST /api/v1/namespaces/${NAMESPACE}/secrets`, `PATCH ${WEBHOOK_PATH}`]);
    expect(Object.keys(secret().data ?? {}).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expect(readdirSync(out)).toEqual(['tls.key']);
  });

  it('creates the TLS Secret and sets its CA as the caBundle of every webhook, with a JSON patch', async () => {
    const result = await apply();
    expect(result.stderr).toBe(
      'runner-defaults: Secret runner-defaults/runner-defaults-tls created: new CA, new serving certificate\n' +
        'runner-defaults: MutatingWebhookConfiguration runner-defaults: caBundle set on 2 of 2 webhooks\n',
    );
    expect(result.code).toBe(0);
    expect(calls()).toEqual([`GET ${WEBHOOK_PATH}`, `GET ${SECRET_PATH}`, `POST /api/v1/namespaces/${NAMESPACE}/secrets`, `PATCH ${WEBHOOK_PATH}`]);
    expect(store.patchContentTypes).toEqual(['application/json-patch+json']);
    expect(secret().type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret().data ?? {}).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expectConsistentInstall(result.stdout);
  });

  it('writes nothing when run a second time: GET requests only, the same CA', async () => {
    const first = await apply();
    expect(first.code).toBe(0);
    const before = server.requests.length;
    const unchanged = structuredClone(secret());
    const second = await apply();
    expect(second.code).toBe(0);
    expect(calls(before)).toEqual([`GET ${WEBHOOK_PATH}`, `GET ${SECRET_PATH}`]);
    expect(second.stdout).toBe(first.stdout);
    expect(secret()).toEqual(unchanged);
    expect(second.stderr).toBe(
      'runner-defaults: Secret runner-defaults/runner-defaults-tls unchanged: its CA and serving certificate are good\n' +
        'runner-defaults: MutatingWebhookConfiguration runner-defaults: caBundle already current on all 2 webhooks\n',
    );
  });

  it('also writes the four files when --out is given', async () => {
    const out = mkdtempSync(join(tmpdir(), 'certs-apply-'));
    const result = await apply('--out', out);
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, 'ca.crt'), 'utf8')).toBe(pem(secret().data?.['ca.crt']));
    expect(readFileSync(join(out, 'tls.key'), 'utf8')).toBe(pem(secret().data?.['tls.key']));
  });
});

describe('certs --apply on an existing Secret', () => {
  const ca = makeCertificateAuthority('runner-defaults CA', 3650);

  /** Seeds the Secret with the CA and a serving certificate, and the webhooks with the CA already. */
  function seed(names: string[], days: number): void {
    const serving = makeServingCertificate(ca, servingNames(names), days);
    const encode = (text: string) => Buffer.from(text).toString('base64');
    store.secrets.set(SECRET_KEY, stored({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'runner-defaults-tls', namespace: NAMESPACE, labels: { keep: 'me' } },
      type: 'kubernetes.io/tls',
      data: { 'ca.crt': encode(ca.certificate), 'ca.key': encode(ca.privateKey), 'tls.crt': encode(serving.certificate), 'tls.key': encode(serving.privateKey) },
    }));
    const configuration = store.webhookConfigurations.get('runner-defaults') as WireWebhookConfiguration;
    for (const webhook of configuration.webhooks ?? []) webhook.clientConfig.caBundle = encode(ca.certificate);
  }

  it.each([
    { what: 'a certificate for other names', names: ['other.example', 'other.example.svc'], days: 365, reason: 'the serving certificate is not for runner-defaults' },
    { what: 'a certificate that expires within 30 days', names: NAMES, days: 10, reason: 'the serving certificate expires within 30 days' },
  ])('replaces $what (PUT), keeping the CA, so the caBundle needs no patch', async ({ names, days, reason }) => {
    seed(names, days);
    const before = structuredClone(secret());
    const result = await apply();
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Secret runner-defaults/runner-defaults-tls updated: new serving certificate (kept the CA) (${reason}`);
    expect(calls()).toEqual([`GET ${WEBHOOK_PATH}`, `GET ${SECRET_PATH}`, `PUT ${SECRET_PATH}`]);
    expect(secret().data?.['ca.crt']).toBe(before.data?.['ca.crt']);
    expect(secret().data?.['ca.key']).toBe(before.data?.['ca.key']);
    expect(secret().data?.['tls.crt']).not.toBe(before.data?.['tls.crt']);
    expect(secret().metadata.labels).toEqual({ keep: 'me' });
    expect(secret().metadata.uid).toBe(before.metadata.uid);
    expectConsistentInstall(result.stdout);
  });

  it('keeps a good certificate for the right names and writes nothing', async () => {
    seed(NAMES, 365);
    const result = await apply();
    expect(result.code).toBe(0);
    expect(calls()).toEqual([`GET ${WEBHOOK_PATH}`, `GET ${SECRET_PATH}`]);
    expect(result.stdout.trim()).toBe(Buffer.from(ca.certificate).toString('base64'));
  });

  it('makes a new CA and serving certificate with --rotate, trusting both CAs until the next run drops the old one', async () => {
    seed(NAMES, 365);
    const rotated = await apply('--rotate');
    expect(rotated.code).toBe(0);
    expect(calls()).toEqual([`GET ${WEBHOOK_PATH}`, `GET ${SECRET_PATH}`, `PUT ${SECRET_PATH}`, `PATCH ${WEBHOOK_PATH}`]);
    const newCa = pem(secret().data?.['ca.crt']);
    expect(newCa).not.toBe(ca.certificate);
    expect(new X509Certificate(pem(secret().data?.['tls.crt'])).verify(new X509Certificate(newCa).publicKey)).toBe(true);
    // The pods still serve the old certificate until the kubelet refreshes the volume: both CAs are trusted meanwhile.
    const bothCas = `${newCa.trimEnd()}\n${ca.certificate.trimEnd()}\n`.replace(/\r\n/g, '\n');
    expect(caBundles().map((bundle) => pem(bundle).replace(/\r\n/g, '\n'))).toEqual([bothCas, bothCas]);
    expect(rotated.stdout.trim()).toBe(caBundles()[0]);
    expect(rotated.stderr).toContain('it trusts the previous CA too until you run certs --apply again');

    const before = server.requests.length;
    const settled = await apply();
    expect(settled.code).toBe(0);
    expect(calls(before)).toEqual([`GET ${WEBHOOK_PATH}`, `GET ${SECRET_PATH}`, `PATCH ${WEBHOOK_PATH}`]);
    expectConsistentInstall(settled.stdout);
  });
});

describe('certs --apply when the cluster says no', () => {
  it.each([
    {
      what: 'a 403 on the Secret',
      refuse: (api: KubeApiServer) =>
        api.route('GET', /\/secrets\/runner-defaults-tls$/, () =>
          kubeStatus(403, 'Forbidden', 'secrets "runner-defaults-tls" is forbidden: User "system:serviceaccount:default:other" cannot get resource "secrets" in API group "" in the namespace "runner-defaults"'),
        ),
      line: () =>
        'runner-defaults: cannot read Secret runner-defaults/runner-defaults-tls: forbidden (403): secrets "runner-defaults-tls" is forbidden: ' +
        'User "system:serviceaccount:default:other" cannot get resource "secrets" in API group "" in the namespace "runner-defaults"\n',
    },
    {
      what: 'a missing webhook configuration',
      refuse: () => store.webhookConfigurations.clear(),
      line: () =>
        'runner-defaults: cannot read MutatingWebhookConfiguration runner-defaults: not found (404): ' +
        'mutatingwebhookconfigurations.admissionregistration.k8s.io "runner-defaults" not found (apply deploy/ first: kubectl apply -k deploy/)\n',
    },
    {
      what: 'a token the API server refuses',
      refuse: (api: KubeApiServer) => (kubeconfig = writeKubeconfig({ server: api.url, caPem: api.caPem, token: 'not-the-token' })),
      line: (url: string) => `runner-defaults: cannot read MutatingWebhookConfiguration runner-defaults: the API server at ${url} refused the credentials (401 Unauthorized)\n`,
    },
  ])('exits 1 with one line naming the object and the cause, and writes nothing, on $what', async ({ refuse, line }) => {
    refuse(server);
    const result = await apply();
    expect(result.stderr).toBe(line(server.url));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(server.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    expect(store.secrets.size).toBe(0);
  });
});

describe('certs command line', () => {
  it.each([
    { what: '--secret without --apply', args: ['--out', 'unused', '--secret', 'x'], message: 'error: --secret goes with --apply' },
    { what: '--webhook-config without --apply', args: ['--out', 'unused', '--webhook-config', 'x'], message: 'error: --webhook-config goes with --apply' },
    { what: 'neither --out nor --apply', args: [], message: "error: required option '--out <dir>' not specified (or give --apply)" },
    { what: 'a secret name that Kubernetes would refuse', args: ['--apply', '--secret', 'Not_A_Name'], message: 'must be a Kubernetes object name' },
  ])('exits 2 with the usage for $what, and touches no cluster', async ({ args, message }) => {
    const result = await runCli(['certs', '--service', 'runner-defaults', '--namespace', NAMESPACE, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage: runner-defaults certs');
    expect(server.requests).toEqual([]);
  });

  it.each([
    ['a folder under a file', (dir: string) => (writeFileSync(join(dir, 'file'), ''), join(dir, 'file', 'sub')), 'ENOTDIR'],
    ['a folder whose ca.crt is a folder', (dir: string) => (mkdirSync(join(dir, 'ca.crt')), writeFileSync(join(dir, 'ca.key'), ''), dir), 'EISDIR'],
  ])('exits 1 with one line, and no stack trace, when --out is %s', async (_what, out, code) => {
    const target = out(scratchDir('certs-out'));
    const result = await runCli(['certs', '--service', 'runner-defaults', '--namespace', NAMESPACE, '--out', target]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`runner-defaults: cannot read or write the certificate files in ${target} (${code}); give another --out\n`);
  });
});
