// A directory laid out the way the kubelet mounts a Secret volume, and the atomic ..data swap it
// makes on an update, for the certificate-rotation tests.
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertFiles } from './certs.js';

/** Lays out a directory the way the kubelet mounts a Secret: data in a timestamped dir, ..data -> it, files -> ..data/. */
export function secretVolume(root: string, certs: CertFiles): void {
  const first = join(root, '..2026_11_28_07_00_00.000000001');
  mkdirSync(first, { recursive: true });
  writeFileSync(join(first, 'tls.crt'), readFileSync(certs.cert));
  writeFileSync(join(first, 'tls.key'), readFileSync(certs.key));
  symlinkSync('..2026_11_28_07_00_00.000000001', join(root, '..data'));
  symlinkSync('..data/tls.crt', join(root, 'tls.crt'));
  symlinkSync('..data/tls.key', join(root, 'tls.key'));
}

/** Swaps ..data atomically to a new timestamped dir, as the kubelet's AtomicWriter does. */
export function swapSecretVolume(root: string, name: string, cert: Buffer, key: Buffer): void {
  const next = join(root, name);
  mkdirSync(next);
  writeFileSync(join(next, 'tls.crt'), cert);
  writeFileSync(join(next, 'tls.key'), key);
  symlinkSync(name, join(root, '..data_tmp'));
  renameSync(join(root, '..data_tmp'), join(root, '..data'));
}
