// A certificate authority and a serving certificate for the webhook, made with node-forge, so
// neither a development run nor a cluster install needs cert-manager or openssl.
import { randomBytes, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type forge from 'node-forge';

/**
 * node-forge, loaded the first time a certificate is made: `serve` with mounted certificates never
 * needs it, and so starts sooner and smaller (docs/performance.md). A require,
 * not an import(): the functions that use it are synchronous, and node-forge is CommonJS.
 */
const load = createRequire(import.meta.url);
const forgeLibrary = (): typeof forge => load('node-forge') as typeof forge;

export interface KeyPairPem {
  certificate: string;
  privateKey: string;
}

export interface ServingNames {
  dnsNames: string[];
  ipAddresses: string[];
}

const RSA_BITS = 2048;
/** Validity starts an hour back, so a node whose clock lags a little still accepts a new certificate. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The four DNS names a client can use for a Service: name, name.ns, name.ns.svc, name.ns.svc.cluster.local. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** Splits host names and IP addresses, as a certificate's subjectAltName lists them apart. */
export function servingNames(hosts: readonly string[]): ServingNames {
  return {
    dnsNames: hosts.filter((host) => isIP(host) === 0),
    ipAddresses: hosts.filter((host) => isIP(host) !== 0),
  };
}

function newCertificate(publicKey: forge.pki.PublicKey, days: number): forge.pki.Certificate {
  const certificate = forgeLibrary().pki.createCertificate();
  certificate.publicKey = publicKey;
  // A positive 128-bit serial (RFC 5280 asks for at most 20 octets, positive).
  certificate.serialNumber = `01${randomBytes(16).toString('hex')}`;
  const now = Date.now();
  certificate.validity.notBefore = new Date(now - CLOCK_SKEW_MS);
  certificate.validity.notAfter = new Date(now + days * DAY_MS);
  return certificate;
}

function toPem(certificate: forge.pki.Certificate, privateKey: forge.pki.PrivateKey): KeyPairPem {
  const { pki } = forgeLibrary();
  return { certificate: pki.certificateToPem(certificate), privateKey: pki.privateKeyToPem(privateKey) };
}

/** A self-signed CA that signs serving certificates and nothing else. */
export function makeCertificateAuthority(commonName: string, days: number): KeyPairPem {
  const { pki, md } = forgeLibrary();
  const keys = pki.rsa.generateKeyPair({ bits: RSA_BITS });
  const certificate = newCertificate(keys.publicKey, days);
  const subject = [{ name: 'commonName', value: commonName }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  certificate.sign(keys.privateKey, md.sha256.create());
  return toPem(certificate, keys.privateKey);
}

/** A serverAuth certificate for the given names, signed by the CA. */
export function makeServingCertificate(ca: KeyPairPem, names: ServingNames, days: number): KeyPairPem {
  const { pki, md } = forgeLibrary();
  const caCertificate = pki.certificateFromPem(ca.certificate);
  const caKey = pki.privateKeyFromPem(ca.privateKey);
  const keys = pki.rsa.generateKeyPair({ bits: RSA_BITS });
  const certificate = newCertificate(keys.publicKey, days);
  certificate.setSubject([{ name: 'commonName', value: names.dnsNames[0] ?? names.ipAddresses[0] ?? 'runner-defaults' }]);
  certificate.setIssuer(caCertificate.subject.attributes);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...names.dnsNames.map((value) => ({ type: 2, value })),
        ...names.ipAddresses.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCertificate.generateSubjectKeyIdentifier().getBytes() },
  ]);
  certificate.sign(caKey, md.sha256.create());
  return toPem(certificate, keys.privateKey);
}

/** What a person wants to know about a certificate, for logs: never the key. */
export function describeCertificate(pem: string | Buffer): { subject: string; notAfter: string; fingerprint256: string } {
  const certificate = new X509Certificate(pem);
  return { subject: certificate.subject, notAfter: new Date(certificate.validTo).toISOString(), fingerprint256: certificate.fingerprint256 };
}
