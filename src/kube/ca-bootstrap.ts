// The caBundle bootstrap (`runner-defaults certs --apply`), so no cert-manager is needed: keeps the
// CA and the serving certificate in a kubernetes.io/tls Secret (tls.crt, tls.key, and ca.crt and
// ca.key so the same CA signs renewals), and puts the CA into the caBundle of every webhook of the
// MutatingWebhookConfiguration. Idempotent: what is still good is kept, and nothing is written when
// nothing changed, so a second run makes GET requests only.
//
// A new CA (--rotate) goes into the caBundle *beside* the old one: the pods go on serving the old
// certificate until the kubelet refreshes their Secret volume, and with failurePolicy Ignore every
// runner pod created meanwhile would silently miss its defaults. The next plain run, once the pods
// have reloaded, leaves the new CA alone in the caBundle.
import { X509Certificate } from 'node:crypto';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1MutatingWebhookConfiguration,
  type V1Secret,
} from '@kubernetes/client-node';
import { planCertificates, type CertificatePlan, type StoredCertificates } from '../tls/certificate-check.js';
import { serviceDnsNames } from '../tls/certificates.js';
import { describeKubeFailure, isNotFound, loadKubeConfig } from './kubeconfig.js';

export interface ApplyOptions {
  service: string;
  namespace: string;
  secret: string;
  webhookConfig: string;
  days: number;
  rotate: boolean;
  kubeconfig?: string;
}

export interface ApplyResult {
  plan: CertificatePlan;
  /** The base64 PEM set as every webhook's caBundle: the CA, and after a rotation the previous CA too. */
  caBundle: string;
  /** The previous CA was kept in the caBundle beside the new one. */
  keptPreviousCa: boolean;
  secret: 'created' | 'updated' | 'unchanged';
  /** How many webhooks had their caBundle set, of how many. */
  webhooksPatched: number;
  webhooks: number;
}

/** Secret data keys: the kubernetes.io/tls pair, and the CA beside it. */
const KEYS = { certificate: 'tls.crt', key: 'tls.key', caCertificate: 'ca.crt', caKey: 'ca.key' } as const;

const decode = (value: string | undefined) => (value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8'));
const encode = (pem: string) => Buffer.from(pem).toString('base64');

function storedIn(secret: V1Secret): StoredCertificates {
  const data = secret.data ?? {};
  return {
    caCertificate: decode(data[KEYS.caCertificate]),
    caKey: decode(data[KEYS.caKey]),
    certificate: decode(data[KEYS.certificate]),
    key: decode(data[KEYS.key]),
  };
}

/** The stored CA as PEM if it is a certificate the API server could still be trusting, else undefined. */
function trustedCa(pem: string | undefined): string | undefined {
  if (!pem) return undefined;
  try {
    const certificate = new X509Certificate(pem);
    return certificate.ca && new Date(certificate.validTo).getTime() > Date.now() ? certificate.toString() : undefined;
  } catch {
    return undefined;
  }
}

type JsonPatchOperation = { op: 'test' | 'add' | 'replace'; path: string; value: string };

/**
 * A JSON patch that sets caBundle on each webhook that lacks this CA, each guarded by a `test` of
 * the webhook's name so a list reordered since the GET fails the patch rather than misplacing it.
 */
export function caBundlePatch(configuration: V1MutatingWebhookConfiguration, caBundle: string): JsonPatchOperation[] {
  return (configuration.webhooks ?? []).flatMap((webhook, index): JsonPatchOperation[] => {
    const current = webhook.clientConfig.caBundle;
    if (current === caBundle) return [];
    const path = `/webhooks/${index}/clientConfig/caBundle`;
    return [
      { op: 'test', path: `/webhooks/${index}/name`, value: webhook.name },
      { op: current === undefined || current === null ? 'add' : 'replace', path, value: caBundle },
    ];
  });
}

export async function applyCertificates(options: ApplyOptions): Promise<ApplyResult> {
  const { config: kubeConfig, cluster } = loadKubeConfig(options.kubeconfig);
  const server = cluster.server;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const secretName = `Secret ${options.namespace}/${options.secret}`;
  const configName = `MutatingWebhookConfiguration ${options.webhookConfig}`;

  // Read both before writing either: a missing webhook configuration stops the run with nothing written.
  let configuration: V1MutatingWebhookConfiguration;
  try {
    configuration = await admission.readMutatingWebhookConfiguration({ name: options.webhookConfig });
  } catch (error) {
    const failure = describeKubeFailure(error, 'cannot read', configName, server);
    if (isNotFound(error)) failure.message += ' (apply deploy/ first: kubectl apply -k deploy/)';
    throw failure;
  }
  let existing: V1Secret | undefined;
  try {
    existing = await core.readNamespacedSecret({ name: options.secret, namespace: options.namespace });
  } catch (error) {
    if (!isNotFound(error)) throw describeKubeFailure(error, 'cannot read', secretName, server);
  }

  const plan = planCertificates(existing && storedIn(existing), serviceDnsNames(options.service, options.namespace), options.days, options.rotate);
  const data = {
    [KEYS.certificate]: encode(plan.set.serving.certificate),
    [KEYS.key]: encode(plan.set.serving.privateKey),
    [KEYS.caCertificate]: encode(plan.set.ca.certificate),
    [KEYS.caKey]: encode(plan.set.ca.privateKey),
  };
  let secret: ApplyResult['secret'] = 'unchanged';
  if (!existing) {
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: options.secret, namespace: options.namespace, labels: { 'app.kubernetes.io/name': 'runner-defaults' } },
      type: 'kubernetes.io/tls',
      data,
    };
    try {
      await core.createNamespacedSecret({ namespace: options.namespace, body });
    } catch (error) {
      throw describeKubeFailure(error, 'cannot create', secretName, server);
    }
    secret = 'created';
  } else if (plan.newCa || plan.newServing) {
    // The resourceVersion read above makes a concurrent change fail this update (409) rather than be lost.
    const body: V1Secret = { ...existing, data: { ...existing.data, ...data } };
    try {
      await core.replaceNamespacedSecret({ name: options.secret, namespace: options.namespace, body });
    } catch (error) {
      throw describeKubeFailure(error, 'cannot update', secretName, server);
    }
    secret = 'updated';
  }

  const previousCa = plan.newCa ? existing && trustedCa(storedIn(existing).caCertificate) : undefined;
  const caBundle = encode(previousCa ? `${plan.set.ca.certificate.trimEnd()}\n${previousCa}` : plan.set.ca.certificate);
  const patch = caBundlePatch(configuration, caBundle);
  const webhooksPatched = patch.filter((operation) => operation.op !== 'test').length;
  if (webhooksPatched > 0) {
    try {
      // client-node 1.4.0 already sends application/json-patch+json, but only because it is the
      // first JSON-like type in the generated list of patch types; the header middleware says so outright.
      await admission.patchMutatingWebhookConfiguration(
        { name: options.webhookConfig, body: patch },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    } catch (error) {
      throw describeKubeFailure(error, 'cannot patch the caBundle of', configName, server);
    }
  }
  return { plan, caBundle, keptPreviousCa: previousCa !== undefined, secret, webhooksPatched, webhooks: configuration.webhooks?.length ?? 0 };
}
