// `runner-defaults certs`: a CA and a serving certificate for the webhook's Service, written as
// ca.crt, ca.key, tls.crt and tls.key, and the base64 CA printed for the webhook's caBundle.
// A CA already in the directory is kept while --apply would keep it in the Secret, so a re-issued
// certificate needs no caBundle change.
// With --apply it is the cluster's caBundle bootstrap instead (src/kube/ca-bootstrap.ts).
import { certificatePaths, checkCertificateDirectory, issueCertificateSet, withCertificateFiles, writeCertificateSet } from '../tls/certificate-files.js';
import { serviceDnsNames } from '../tls/certificates.js';
import { storedCa } from '../tls/stored-ca.js';
import type { ApplyOptions } from '../kube/ca-bootstrap.js';

export interface CertsOptions {
  service: string;
  namespace: string;
  out: string;
  days: number;
  /** Make a new CA even when the directory has one. */
  rotate?: boolean;
}

export interface CertsResult {
  caBundle: string;
  files: ReturnType<typeof certificatePaths>;
  reusedCa: boolean;
  /** Why the CA in the directory was replaced by a new one, when it was. */
  caNotKept?: string;
}

/** Where --out cannot be read or written, one line saying so instead of a stack trace. */
const outProblem = (out: string) => (code: string) => `cannot read or write the certificate files in ${out} (${code}); give another --out`;

export function runCerts(options: CertsOptions): CertsResult {
  const stored = options.rotate ? {} : withCertificateFiles(() => storedCa(options.out, '--rotate'), outProblem(options.out));
  const set = issueCertificateSet(serviceDnsNames(options.service, options.namespace), options.days, stored.authority);
  withCertificateFiles(() => writeCertificateSet(options.out, set), outProblem(options.out));
  return {
    caBundle: Buffer.from(set.ca.certificate).toString('base64'),
    files: certificatePaths(options.out),
    reusedCa: stored.authority !== undefined,
    caNotKept: stored.notKept,
  };
}

export interface CertsApplyResult {
  caBundle: string;
  /** One line each for the person running it: what happened to the Secret and to the caBundle. */
  notes: string[];
}

/** The caBundle bootstrap; with `out`, the same four files are written there too. */
export async function runCertsApply(options: ApplyOptions & { out?: string }): Promise<CertsApplyResult> {
  // Loaded here, not at the top: @kubernetes/client-node takes a second to load, and only --apply uses it.
  const { applyCertificates } = await import('../kube/ca-bootstrap.js');
  const { out } = options;
  // Before the cluster is written, so an --out that cannot be written changes nothing.
  if (out) withCertificateFiles(() => checkCertificateDirectory(out), outProblem(out));
  const result = await applyCertificates(options);
  const { plan } = result;
  const made = [plan.newCa && 'new CA', plan.newServing && 'new serving certificate'].filter(Boolean).join(', ');
  const secret = `Secret ${options.namespace}/${options.secret}`;
  const notes = [
    result.secret === 'unchanged'
      ? `${secret} unchanged: its CA and serving certificate are good`
      : `${secret} ${result.secret}: ${made}${plan.newCa ? '' : ' (kept the CA)'}${result.secret === 'updated' && plan.reason ? ` (${plan.reason})` : ''}`,
    result.webhooksPatched > 0
      ? `MutatingWebhookConfiguration ${options.webhookConfig}: caBundle set on ${result.webhooksPatched} of ${result.webhooks} webhooks` +
        (result.keptPreviousCa ? '; it trusts the previous CA too until you run certs --apply again, once the pods have reloaded the new certificate' : '')
      : `MutatingWebhookConfiguration ${options.webhookConfig}: caBundle already current on all ${result.webhooks} webhooks`,
  ];
  if (out) {
    // The cluster is already updated here, so a failure now (DIR changed since the check, a full
    // disk) says so; a rerun with another --out writes the same files.
    withCertificateFiles(
      () => writeCertificateSet(out, plan.set),
      (code) => `the cluster is updated, but the certificate files cannot be written in ${out} (${code}); run again with another --out`,
    );
    notes.push(`wrote ${Object.values(certificatePaths(out)).join(', ')}`);
  }
  return { caBundle: result.caBundle, notes };
}
