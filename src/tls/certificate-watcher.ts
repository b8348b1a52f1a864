// Keeps the serving certificate current without a restart, as controller-runtime's certwatcher
// does: it watches the directories that hold the files *and* polls them, and hands over a new
// pair only when the bytes changed and the pair is whole. Kubernetes updates a Secret volume by
// swapping the `..data` symlink atomically, which replaces the directory entries rather than the
// files, so the directory is what is watched. A half-written or mismatched pair is logged and
// ignored; the pair in use stays in use.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { describeCertificate } from './certificates.js';

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

export interface CertificateWatcherOptions {
  certFile: string;
  keyFile: string;
  pollIntervalMs: number;
  logger: Logger;
  /** Called with each new, valid pair (not with the first one, which load() returns). */
  onChange: (pair: TlsPair) => void;
}

export class CertificateError extends Error {}

export const KEY_MISMATCH = 'the private key does not belong to the certificate';

/** Reads and checks a pair: both parse, the key belongs to the certificate, TLS can use them. */
export async function readTlsPair(certFile: string, keyFile: string): Promise<TlsPair> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  } catch (error) {
    throw new CertificateError(`cannot read the certificate pair: ${(error as Error).message}`);
  }
  checkTlsPair({ cert, key });
  return { cert, key };
}

export function checkTlsPair(pair: TlsPair): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pair.cert);
  } catch {
    throw new CertificateError('the certificate file does not hold a PEM certificate');
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(pair.key));
  } catch {
    throw new CertificateError('the key file does not hold a PEM private key');
  }
  if (!matches) throw new CertificateError(KEY_MISMATCH);
  // The checks above read only the first certificate of the file; TLS reads the whole chain, and a
  // chain cut off as it is written (a leaf, then half an intermediate) fails only here.
  try {
    createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (error) {
    throw new CertificateError(`TLS cannot use the pair: ${(error as Error).message}`);
  }
}

export class CertificateWatcher {
  private current: TlsPair | undefined;
  private lastRejected: string | undefined;
  private watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: CertificateWatcherOptions) {}

  /** Reads the first pair; start-up fails on it rather than serving nothing. */
  async load(): Promise<TlsPair> {
    this.current = await readTlsPair(this.options.certFile, this.options.keyFile);
    this.options.logger.info({ certFile: this.options.certFile, ...describeCertificate(this.current.cert) }, 'serving certificate loaded');
    return this.current;
  }

  start(): void {
    const directories = new Set([dirname(this.options.certFile), dirname(this.options.keyFile)]);
    for (const directory of directories) {
      try {
        const watcher = watch(directory, { persistent: false }, () => void this.check());
        watcher.on('error', (error) => this.options.logger.warn({ directory, err: error.message }, 'certificate directory watch failed; polling only'));
        this.watchers.push(watcher);
      } catch (error) {
        this.options.logger.warn({ directory, err: (error as Error).message }, 'cannot watch the certificate directory; polling only');
      }
    }
    this.poll = setInterval(() => void this.check(), this.options.pollIntervalMs);
    this.poll.unref();
  }

  stop(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    clearInterval(this.poll);
  }

  /** Re-reads the files now; one reload at a time, and one more if anything changed meanwhile. */
  check(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = this.reload().finally(() => {
      this.reloading = undefined;
      if (this.again) {
        this.again = false;
        void this.check();
      }
    });
    return this.reloading;
  }

  private async reload(): Promise<void> {
    let pair: TlsPair;
    try {
      pair = await readTlsPair(this.options.certFile, this.options.keyFile);
    } catch (error) {
      this.reject(error as Error);
      return;
    }
    if (this.current && pair.cert.equals(this.current.cert) && pair.key.equals(this.current.key)) return;
    try {
      this.options.onChange(pair);
    } catch (error) {
      // Whatever the check missed, a pair the server cannot take must not take the server down.
      this.reject(error as Error);
      return;
    }
    this.current = pair;
    this.lastRejected = undefined;
    this.options.logger.info({ certFile: this.options.certFile, ...describeCertificate(pair.cert) }, 'serving certificate reloaded');
  }

  /** Logs a bad pair once per distinct reason, not at every poll. */
  private reject(error: Error): void {
    if (this.lastRejected === error.message) return;
    this.lastRejected = error.message;
    this.options.logger.warn({ certFile: this.options.certFile, reason: error.message }, 'new certificate files ignored; the pair in use stays');
  }
}
