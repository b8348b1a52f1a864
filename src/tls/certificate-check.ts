// Whether a CA and a serving certificate already stored (in the cluster's Secret, or a CA in a
// folder: stored-ca.ts) can be kept, so that running the caBundle bootstrap twice writes nothing
// the second time. Pure: PEM text and a clock in, the reason to replace (or nothing) out.
import { X509Certificate } from 'node:crypto';
import { checkTlsPair, KEY_MISMATCH } from './certificate-watcher.js';
import { issueCertificateSet, type CertificateSet } from './certificate-files.js';
import { makeServingCertificate, servingNames, type KeyPairPem } from './certificates.js';

/** A certificate that expires sooner than this is replaced (as cert-manager renews at 2/3 of 90 days). */
export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What a Secret may hold: any of the four PEM texts, each possibly missing. */
export interface StoredCertificates {
  caCertificate?: string;
  caKey?: string;
  certificate?: string;
  key?: string;
}

function parsed(pem: string | undefined): X509Certificate | undefined {
  if (!pem) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function expiresSoon(certificate: X509Certificate, now: Date): boolean {
  return new Date(certificate.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS;
}

/** The certificate, when its PEM parses and the key belongs to it; else why it cannot be used. */
function readPair(certificatePem: string | undefined, keyPem: string | undefined, what: string): X509Certificate | string {
  if (!certificatePem || !keyPem) return `no ${what}`;
  const certificate = parsed(certificatePem);
  if (!certificate) return `the ${what} is not a PEM certificate`;
  try {
    checkTlsPair({ cert: Buffer.from(certificatePem), key: Buffer.from(keyPem) });
  } catch (error) {
    const reason = (error as Error).message;
    return reason === KEY_MISMATCH ? `the ${what} key does not match its certificate` : `the ${what} cannot be used (${reason})`;
  }
  return certificate;
}

/** The stored CA's certificate when it is a CA with its own key, else why it cannot be used at all. */
function usableCa(stored: StoredCertificates): X509Certificate | string {
  const ca = readPair(stored.caCertificate, stored.caKey, 'CA');
  if (typeof ca === 'string') return ca;
  return ca.ca ? ca : 'the CA is not a CA certificate';
}

/** Why the stored CA cannot be used at all (missing, unreadable, a key that does not match, not a CA), or undefined. */
export function caUnusable(stored: StoredCertificates): string | undefined {
  const ca = usableCa(stored);
  return typeof ca === 'string' ? ca : undefined;
}

/** Why the stored CA cannot be kept (unusable, or expiring within RENEW_BEFORE_DAYS), or undefined when it can. */
export function caProblem(stored: StoredCertificates, now: Date): string | undefined {
  const ca = usableCa(stored);
  if (typeof ca === 'string') return ca;
  return expiresSoon(ca, now) ? `the CA expires within ${RENEW_BEFORE_DAYS} days` : undefined;
}

/** Why the stored serving certificate cannot be kept with this CA for these names, or undefined when it can. */
export function servingProblem(stored: StoredCertificates, ca: KeyPairPem, dnsNames: readonly string[], now: Date): string | undefined {
  const certificate = readPair(stored.certificate, stored.key, 'serving certificate');
  if (typeof certificate === 'string') return certificate;
  const authority = new X509Certificate(ca.certificate);
  if (!certificate.checkIssued(authority) || !certificate.verify(authority.publicKey)) return 'the serving certificate is not signed by the CA';
  const missing = dnsNames.filter((name) => certificate.checkHost(name, { subject: 'never' }) !== name);
  if (missing.length > 0) return `the serving certificate is not for ${missing.join(', ')}`;
  if (new Date(certificate.validFrom).getTime() > now.getTime()) return 'the serving certificate is not valid yet';
  if (expiresSoon(certificate, now)) return `the serving certificate expires within ${RENEW_BEFORE_DAYS} days`;
  return undefined;
}

export interface CertificatePlan {
  set: CertificateSet;
  /** A new CA was made (so the caBundle changes). */
  newCa: boolean;
  /** A new serving certificate was made. */
  newServing: boolean;
  /** Why anything was made, for the person running the bootstrap. */
  reason?: string;
}

/**
 * Keeps what is stored where it is still good, and makes only what is not: a new CA only when
 * there is none usable (or `rotate`), a new serving certificate when the CA is new or the stored
 * one is missing, invalid, for other names, or expiring within RENEW_BEFORE_DAYS.
 */
export function planCertificates(stored: StoredCertificates | undefined, dnsNames: readonly string[], days: number, rotate: boolean, now = new Date()): CertificatePlan {
  const problem = rotate ? 'rotation asked for' : caProblem(stored ?? {}, now);
  if (problem || !stored?.caCertificate || !stored.caKey) {
    return { set: issueCertificateSet(dnsNames, days), newCa: true, newServing: true, reason: problem };
  }
  const ca = { certificate: stored.caCertificate, privateKey: stored.caKey };
  const servingReason = servingProblem(stored, ca, dnsNames, now);
  if (servingReason || !stored.certificate || !stored.key) {
    return { set: { ca, serving: makeServingCertificate(ca, servingNames(dnsNames), days) }, newCa: false, newServing: true, reason: servingReason };
  }
  return { set: { ca, serving: { certificate: stored.certificate, privateKey: stored.key } }, newCa: false, newServing: false };
}
