// TLS as the API server meets it: certificates from `certs` that openssl and a hostname-checking
// client accept, TLS 1.2 and 1.3 only, no answer over plain HTTP, and a certificate that rotates
// when Kubernetes swaps a Secret volume's ..data symlink, with no failed request.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewText } from './helpers/fixtures.js';
import { secretVolume, swapSecretVolume } from './helpers/secret-volume.js';
import { NAMESPACE, SERVICE, SERVICE_HOST, certsFromCli, scratchDir, type CertFiles, serving } from './helpers/certs.js';
import { runCli } from './helpers/cli.js';
import { WebhookProcess, type Reply } from './helpers/webhook-process.js';

describe('runner-defaults certs', () => {
  let certs: CertFiles & { caBundle: string };
  beforeAll(async () => {
    certs = await certsFromCli();
  });

  it('writes a pair that openssl verify accepts against the CA', () => {
    expect(execFileSync('openssl', ['verify', '-CAfile', certs.ca, certs.cert]).toString()).toBe(`${certs.cert}: OK\n`);
  });

  it('prints the CA as base64 for a caBundle', () => {
    expect(Buffer.from(certs.caBundle, 'base64').toString()).toBe(readFileSync(certs.ca, 'utf8'));
  });

  it('names the four Service forms, is for serverAuth only, and uses an RSA key of 2048 bits', () => {
    const certificate = new X509Certificate(readFileSync(certs.cert));
    expect(certificate.subjectAltName).toBe(
      `DNS:${SERVICE}, DNS:${SERVICE}.${NAMESPACE}, DNS:${SERVICE}.${NAMESPACE}.svc, DNS:${SERVICE}.${NAMESPACE}.svc.cluster.local`,
    );
    expect(certificate.keyUsage).toStrictEqual(['1.3.6.1.5.5.7.3.1']);
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certificate.checkIssued(new X509Certificate(readFileSync(certs.ca)))).toBe(true);
    expect(certificate.checkHost(SERVICE_HOST)).toBe(SERVICE_HOST);
    expect(certificate.checkHost('other.runner-defaults.svc')).toBeUndefined();
  });

  it('keeps the CA already in the directory when it issues again, so the caBundle stays', async () => {
    const again = await runCli(['certs', '--service', SERVICE, '--namespace', NAMESPACE, '--out', certs.dir, '--days', '30']);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(certs.caBundle);
    expect(again.stderr).toContain('kept the CA already there');
  });
});

function handshake(server: WebhookProcess, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port, ca: server.ca, servername: SERVICE_HOST, ...options }, () => {
      resolve(socket.getProtocol() ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('serve TLS versions and plain HTTP', () => {
  let server: WebhookProcess;
  beforeAll(async () => {
    server = await WebhookProcess.start(serving(await certsFromCli()));
  });
  afterAll(async () => {
    await server.stop();
  });

  it.each([
    ['TLSv1.2', 'TLSv1.2'],
    ['TLSv1.3', 'TLSv1.3'],
  ] as const)('accepts a client that offers only %s', async (version, protocol) => {
    expect(await handshake(server, { minVersion: version, maxVersion: version })).toBe(protocol);
  });

  it.each(['TLSv1', 'TLSv1.1'] as const)('refuses a client that offers only %s, with a protocol_version alert from the server', async (version) => {
    // SECLEVEL=0 lets this client offer the old versions; the refusal must come from the server.
    const failure = handshake(server, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
    await expect(failure).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
  });

  it('gives no review answer to plain HTTP on its port', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/mutate', headers: { 'content-type': 'application/json' } }, (res) =>
        resolve(`HTTP ${res.statusCode}`),
      );
      req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
      req.end(reviewText('create-runner-legacy'));
    });
    expect(outcome).toMatch(/^error (ECONNRESET|EPIPE|HPE_INVALID_CONSTANT|socket hang up)/);
  });
});

const fingerprint = (pem: Buffer) => new X509Certificate(pem).fingerprint256;

describe('certificate rotation through a Secret volume', () => {
  let server: WebhookProcess;
  let root: string;
  let first: CertFiles;
  beforeAll(async () => {
    first = await certsFromCli();
    root = scratchDir('secret-volume');
    secretVolume(root, first);
    // A long poll interval: the swap must be caught by the directory watch.
    server = await WebhookProcess.start({
      cert: join(root, 'tls.crt'),
      key: join(root, 'tls.key'),
      ca: first.caPem,
      servername: SERVICE_HOST,
      args: ['--cert-poll-seconds', '600'],
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  /** The expiry /metrics gives for the serving certificate in use, and the one a certificate file says. */
  const expiryInUse = async () => Number(/^runner_defaults_serving_certificate_expiry_timestamp_seconds (\d+)$/m.exec((await server.request({ path: '/metrics' })).body)?.[1]);
  const expiryOf = (file: string) => Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000;

  it('serves the new certificate to new connections within 5 s of the ..data swap, with no failed request meanwhile', async () => {
    const firstExpiry = expiryOf(first.cert);
    expect(await expiryInUse()).toBe(firstExpiry);
    const renewed = await certsFromCli(first.dir, 30); // same CA, new serving certificate, written over the first
    const newFingerprint = fingerprint(readFileSync(renewed.cert));
    expect(newFingerprint).not.toBe(fingerprint(readFileSync(join(root, 'tls.crt'))));
    const replies: Reply[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop && replies.length < 5000) replies.push(await server.review(reviewText('create-runner-legacy'), false));
    })();
    while (replies.length < 5) await server.review(reviewText('create-runner-current'), false);
    const swappedAt = Date.now();
    swapSecretVolume(root, '..2026_11_28_08_00_00.000000002', readFileSync(renewed.cert), readFileSync(renewed.key));
    await server.waitForLog((line) => line.msg === 'serving certificate reloaded' && line.fingerprint256 === newFingerprint);
    const count = replies.length;
    while (replies.length < count + 5) await server.review(reviewText('create-runner-current'), false);
    stop = true;
    await loop;
    expect(Date.now() - swappedAt).toBeLessThan(5000);
    expect(replies.filter((reply) => reply.status !== 200)).toStrictEqual([]);
    expect(replies.at(-1)?.fingerprint256).toBe(newFingerprint);
    expect(replies[0]?.fingerprint256).not.toBe(newFingerprint);
    // The metric follows the certificate in use: 30 days now, 365 before.
    expect(await expiryInUse()).toBe(expiryOf(renewed.cert));
    expect(expiryOf(renewed.cert)).toBeLessThan(firstExpiry);
  });

  it('ignores a mismatched pair with a log line and keeps serving the pair in use', async () => {
    const inUse = (await server.request({ agent: false })).fingerprint256;
    const other = await certsFromCli();
    swapSecretVolume(root, '..2026_11_28_09_00_00.000000003', readFileSync(other.cert), readFileSync(first.key));
    const warning = await server.waitForLog((line) => line.msg === 'new certificate files ignored; the pair in use stays');
    expect(warning.reason).toBe('the private key does not belong to the certificate');
    const reply = await server.request({ agent: false });
    expect(reply.status).toBe(200);
    expect(reply.fingerprint256).toBe(inUse);
  });

  it('ignores a chain cut off as it is written (the leaf, then half the next certificate), and keeps serving', async () => {
    const inUse = (await server.request({ agent: false })).fingerprint256;
    // The pair in use (written over the first in the first test), with 200 bytes of a second certificate after it.
    const cutChain = Buffer.concat([readFileSync(first.cert), readFileSync(first.ca).subarray(0, 200)]);
    swapSecretVolume(root, '..2026_11_28_10_00_00.000000004', cutChain, readFileSync(first.key));
    const warning = await server.waitForLog((line) => line.msg === 'new certificate files ignored; the pair in use stays' && line.reason !== 'the private key does not belong to the certificate');
    expect(warning.reason).toMatch(/^TLS cannot use the pair: .*PEM/);
    const reply = await server.request({ agent: false });
    expect(reply.status).toBe(200);
    expect(reply.fingerprint256).toBe(inUse);
  });
});
