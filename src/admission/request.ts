// Turns a parsed AdmissionReview into the small internal request the rest of the code uses, so
// the rules never see an AdmissionReview and serve, mutate and audit share one core. A body that
// is not an AdmissionReview with a request and a uid is refused with a message saying why.
import { isObject, type Json } from '../json.js';

export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionVersion = (typeof ADMISSION_VERSIONS)[number];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface AdmissionRequest {
  uid: string;
  /** The AdmissionReview version the API server asked in; the answer uses the same. */
  apiVersion: AdmissionVersion;
  operation: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource: string;
  namespace: string;
  name: string;
  dryRun: boolean;
  object: unknown;
}

/** A request we cannot answer at all: the HTTP layer turns it into a 400. */
export class BadReviewError extends Error {}

function optionalString(owner: Json, key: string, path: string): string {
  const value = owner[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new BadReviewError(`${path}.${key} must be a string`);
  return value;
}

/** request.kind or request.resource: group, version and a third string named like the field. */
function groupVersion(owner: Json, key: 'kind' | 'resource'): [group: string, version: string, name: string] {
  const value = owner[key];
  if (value === undefined || value === null) return ['', '', ''];
  if (!isObject(value)) throw new BadReviewError(`request.${key} must be an object`);
  const path = `request.${key}`;
  return [optionalString(value, 'group', path), optionalString(value, 'version', path), optionalString(value, key, path)];
}

export function isAdmissionVersion(value: unknown): value is AdmissionVersion {
  return (ADMISSION_VERSIONS as readonly unknown[]).includes(value);
}

/** Reads an AdmissionReview (already JSON-parsed); throws BadReviewError when it is not one. */
export function readAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new BadReviewError('body must be a JSON object (an AdmissionReview)');
  if (body.kind !== 'AdmissionReview') throw new BadReviewError('kind must be AdmissionReview');
  if (!isAdmissionVersion(body.apiVersion)) {
    throw new BadReviewError(`apiVersion must be one of ${ADMISSION_VERSIONS.join(', ')}`);
  }
  const request = body.request;
  if (!isObject(request)) throw new BadReviewError('request must be an object');
  if (typeof request.uid !== 'string' || request.uid.length === 0) {
    throw new BadReviewError('request.uid must be a non-empty string');
  }
  if (request.dryRun !== undefined && request.dryRun !== null && typeof request.dryRun !== 'boolean') {
    throw new BadReviewError('request.dryRun must be a boolean');
  }
  const operation = optionalString(request, 'operation', 'request');
  const [group, version, kind] = groupVersion(request, 'kind');
  const [resourceGroup, resourceVersion, resource] = groupVersion(request, 'resource');
  return {
    uid: request.uid,
    apiVersion: body.apiVersion,
    operation,
    kind: { group, version, kind },
    resource: { group: resourceGroup, version: resourceVersion, resource },
    subResource: optionalString(request, 'subResource', 'request'),
    namespace: optionalString(request, 'namespace', 'request'),
    name: optionalString(request, 'name', 'request'),
    dryRun: request.dryRun === true,
    object: request.object,
  };
}

/** The request a bare Pod stands for: its creation, as `mutate -f pod.yaml` treats it. */
export function podCreateRequest(pod: Json): AdmissionRequest {
  const metadata = isObject(pod.metadata) ? pod.metadata : {};
  return {
    uid: 'offline',
    apiVersion: 'admission.k8s.io/v1',
    operation: 'CREATE',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    subResource: '',
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
    name: typeof metadata.name === 'string' ? metadata.name : '',
    dryRun: false,
    object: pod,
  };
}
