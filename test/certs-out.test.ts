// `runner-defaults certs --out DIR` without --apply, run as the built CLI: what it leaves in DIR
// when it cannot write there, the private keys' mode, and which CA already in DIR it issues from.
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCertificateAuthority, makeServingCertificate, serviceDnsNames, servingNames } from '../src/tls/certificates.js';
import { NAMESPACE, SERVICE, SERVICE_HOST, scratchDir } from './helpers/certs.js';
import { runCli } from './helpers/cli.js';

const FILES = ['ca.crt', 'ca.key', 'tls.crt', 'tls.key'];
const certs = (out: string, ...extra: string[]) => runCli(['certs', '--service', SERVICE, '--namespace', NAMESPACE, '--out', out, ...extra]);
/** Each file's name and text (a folder's as null), so a test can say nothing changed. */
const contents = (dir: string) =>
  Object.fromEntries(readdirSync(dir).sort().map((name) => [name, statSync(join(dir, name)).isDirectory() ? null : readFileSync(join(dir, name), 'utf8')]));
const mode = (path: string) => statSync(path).mode & 0o777;

describe('certs --out', () => {
  it('writes none of the files, and changes none there, when one of them cannot be written', async () => {
    const out = scratchDir('certs-out');
    expect((await certs(out)).code).toBe(0);
    rmSync(join(out, 'tls.key'));
    mkdirSync(join(out, 'tls.key'));
    const before = contents(out);
    const result = await certs(out, '--rotate');
    expect(result.stderr).toBe(`runner-defaults: cannot read or write the certificate files in ${out} (EISDIR); give another --out\n`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(contents(out)).toEqual(before);
  });

  it('makes the private keys 0600 and the certificates 0644, also over files that were there with other modes', async () => {
    const out = scratchDir('certs-out');
    expect((await certs(out)).code).toBe(0);
    for (const name of FILES) chmodSync(join(out, name), 0o666);
    expect((await certs(out)).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(FILES);
    expect(Object.fromEntries(FILES.map((name) => [name, mode(join(out, name))]))).toEqual({ 'ca.crt': 0o644, 'ca.key': 0o600, 'tls.crt': 0o644, 'tls.key': 0o600 });
  });

  it.each([
    ['ca.crt without ca.key', 'ca.key', 'ca.crt'],
    ['ca.key without ca.crt', 'ca.crt', 'ca.key'],
  ])('refuses half a CA (%s) with one line naming the missing file, and changes nothing', async (_what, missing, there) => {
    const out = scratchDir('certs-out');
    expect((await certs(out)).code).toBe(0);
    rmSync(join(out, missing));
    const before = contents(out);
    const result = await certs(out);
    expect(result.stderr).toBe(`runner-defaults: ${join(out, missing)} is missing beside ${join(out, there)}: put it back, or remove ${join(out, there)}, or give --rotate, to make a new CA\n`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(contents(out)).toEqual(before);
  });

  const ca = makeCertificateAuthority('runner-defaults CA', 3650);
  it.each([
    { what: 'a serving certificate copied in as the CA', stored: makeServingCertificate(ca, servingNames(serviceDnsNames(SERVICE, NAMESPACE)), 365), reason: 'the CA is not a CA certificate' },
    { what: "a CA with another CA's key", stored: { certificate: ca.certificate, privateKey: makeCertificateAuthority('other', 3650).privateKey }, reason: 'the CA key does not match its certificate' },
    { what: 'a ca.crt that is no certificate', stored: { certificate: 'garbage\n', privateKey: ca.privateKey }, reason: 'the CA is not a PEM certificate' },
  ])('refuses $what with one line, and changes nothing (its ca.key may be the only copy)', async ({ stored, reason }) => {
    const out = scratchDir('certs-out');
    writeFileSync(join(out, 'ca.crt'), stored.certificate);
    writeFileSync(join(out, 'ca.key'), stored.privateKey);
    const before = contents(out);
    const result = await certs(out);
    expect(result.stderr).toBe(`runner-defaults: ${join(out, 'ca.crt')} and ${join(out, 'ca.key')} are not a CA to keep (${reason}): remove both, or give --rotate, to make a new CA\n`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(contents(out)).toEqual(before);
  });

  it('replaces a CA that expires within 30 days with a new CA, as --apply does, says why, and leaves no staging folder', async () => {
    const stored = makeCertificateAuthority('short', 20);
    const reason = 'the CA expires within 30 days';
    const out = scratchDir('certs-out');
    writeFileSync(join(out, 'ca.crt'), stored.certificate);
    writeFileSync(join(out, 'ca.key'), stored.privateKey);
    const result = await certs(out);
    const files = FILES.map((name) => join(out, name)).join(', ');
    expect(result.stderr).toBe(
      `runner-defaults: wrote ${files} (new CA, as the one there cannot be kept: ${reason}); serving names ${SERVICE_HOST} and its short and long forms. caBundle:\n`,
    );
    expect(result.code).toBe(0);
    const newCa = new X509Certificate(readFileSync(join(out, 'ca.crt')));
    expect(newCa.ca).toBe(true);
    expect(newCa.toString()).not.toBe(new X509Certificate(stored.certificate).toString());
    expect(new X509Certificate(readFileSync(join(out, 'tls.crt'))).verify(newCa.publicKey)).toBe(true);
    expect(result.stdout).toBe(`${readFileSync(join(out, 'ca.crt')).toString('base64')}\n`);
    expect(readdirSync(out).sort()).toEqual(FILES);
  });
});
