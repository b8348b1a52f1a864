// Loads the fixture pods and reviews (copied from shared/fixtures, in the API server's exact form)
// and applies patches the strict way the API server does.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import type { Pod } from '../../src/rules/types.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const POD_FIXTURES = ['runner-legacy', 'runner-current', 'runner-no-persistence', 'runner-custom-port', 'runner-opted-out', 'non-runner'] as const;
export const REVIEW_FIXTURES = ['create-runner-legacy', 'create-runner-current', 'create-non-runner', 'dry-run-runner-legacy'] as const;

export function fixturePath(kind: 'pods' | 'admission', name: string): string {
  return `${FIXTURES}${kind}/${name}.json`;
}

export function loadPod(name: (typeof POD_FIXTURES)[number]): Pod {
  return JSON.parse(readFileSync(fixturePath('pods', name), 'utf8')) as Pod;
}

export interface ReviewFixture {
  apiVersion: string;
  kind: string;
  request: { uid: string; object: Pod; dryRun?: boolean; [key: string]: unknown };
}

export function loadReview(name: (typeof REVIEW_FIXTURES)[number]): ReviewFixture {
  return JSON.parse(readFileSync(fixturePath('admission', name), 'utf8')) as ReviewFixture;
}

export function reviewText(name: (typeof REVIEW_FIXTURES)[number]): string {
  return readFileSync(fixturePath('admission', name), 'utf8');
}

/**
 * A deep copy that shares no object, as a document read off the wire shares none (a generated
 * pod may use one object twice), but keeps -0, which a JSON round trip turns into 0 although the
 * patch never touched it. Written out because structuredClone keeps shared objects shared.
 */
function unsharedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unsharedCopy);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, unsharedCopy(item)]));
  return value;
}

/**
 * Applies a JSON patch to a deep copy, validating every operation: `add` needs its parent and
 * `replace` its key, as evanphx/json-patch v4 in the API server does. Throws on any bad operation.
 */
export function applyStrict<T>(document: T, patch: readonly Operation[]): T {
  return fastJsonPatch.applyPatch(unsharedCopy(document) as T, unsharedCopy(patch) as Operation[], true, true).newDocument;
}

/** Decodes an AdmissionReview response's base64 patch. */
export function decodePatch(patch: string | undefined): Operation[] {
  if (patch === undefined) return [];
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as Operation[];
}

export const READINESS = (port: string | number) => ({
  httpGet: { path: '/health', port },
  initialDelaySeconds: 3,
  periodSeconds: 5,
  timeoutSeconds: 2,
  failureThreshold: 3,
});

export const LIVENESS = (port: string | number) => ({
  httpGet: { path: '/health', port },
  initialDelaySeconds: 20,
  periodSeconds: 30,
  timeoutSeconds: 5,
  failureThreshold: 3,
});

export const INIT_RESOURCES = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } };
export const APPLIED = 'runner-defaults.ambient-code.io/applied';
