// `runner-defaults mutate`: the webhook's decision offline, for a Pod or an AdmissionReview in
// YAML or JSON. It calls the same admission code as `serve`, so the two answers cannot differ.
import { Scalar, stringify, type ToStringOptions, type DocumentOptions, type SchemaOptions } from 'yaml';
import { loadConfig } from '../config.js';
import { withApiServerDefaults } from '../admission/pod-defaults.js';
import { podCreateRequest, readAdmissionReview, type AdmissionRequest } from '../admission/request.js';
import { review } from '../admission/review.js';
import { isObject, type Json } from '../json.js';
import { InputError, readDocument } from '../read-document.js';
import { loadLimitRanges } from '../limit-range-file.js';
import { limitRangesFor } from '../rules/limit-ranges.js';

export const OUTPUT_FORMATS = ['yaml', 'json', 'patch'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface MutateOptions {
  file: string;
  config?: string;
  output: OutputFormat;
  /** A file of LimitRanges; those of the pod's namespace (or with none) apply, as in the cluster. */
  limitRanges?: string;
}

export interface MutateResult {
  /** What goes to standard output. */
  stdout: string;
  /** Notes for the person at the terminal: what was added, or why nothing was. */
  notes: string[];
}

/**
 * YAML that kubectl reads back as written. kubectl reads YAML 1.1, where `on`, `yes` and `no` are
 * booleans, so strings are quoted by 1.1's rules; `0o17`, an integer in YAML 1.2, is quoted too, so
 * that 1.2 readers (yq, or this command) also get the string back.
 */
const YAML_OUTPUT: DocumentOptions & SchemaOptions & ToStringOptions = {
  version: '1.1',
  customTags: (tags) => [...tags, 'intOct'],
  lineWidth: 0,
};

/**
 * kubectl's YAML reader (go-yaml) also takes as an integer what Go's strconv.ParseInt reads with
 * base 0, which neither YAML schema has: a sign before 0x, 0o or 0b, and those prefixes in capitals
 * (`0X1F`, `+0o17`). Such strings are written double-quoted.
 */
const GO_INTEGER_PREFIX = /^[-+]?0[xXoObB]/;
const quoteGoIntegers = (_key: unknown, value: unknown): unknown =>
  typeof value === 'string' && GO_INTEGER_PREFIX.test(value) ? Object.assign(new Scalar(value), { type: Scalar.QUOTE_DOUBLE }) : value;

/**
 * The request a document stands for: an AdmissionReview's own, which must carry the pod, or a bare
 * Pod's creation, with the defaults the API server sets before any webhook (pod-defaults.ts).
 */
export function requestFromDocument(document: unknown, source: string): AdmissionRequest {
  if (document === null) throw new InputError(`${source}: is empty; give a Pod or an AdmissionReview`);
  const kind = typeof document === 'object' ? (document as { kind?: unknown }).kind : undefined;
  if (kind === 'AdmissionReview') {
    let request: AdmissionRequest;
    try {
      request = readAdmissionReview(document);
    } catch (error) {
      throw new InputError(`${source}: ${(error as Error).message}`);
    }
    if (!isObject(request.object)) throw new InputError(`${source}: request.object holds no pod to review`);
    return request;
  }
  if (kind === 'Pod') return podCreateRequest(withApiServerDefaults(document as Json));
  throw new InputError(`${source}: not a Pod or an AdmissionReview (kind: ${typeof kind === 'string' ? kind : 'missing'})`);
}

export function runMutate(options: MutateOptions): MutateResult {
  const config = loadConfig(options.config);
  const limitRanges = options.limitRanges === undefined ? undefined : loadLimitRanges(options.limitRanges);
  const source = options.file === '-' ? 'standard input' : options.file;
  const request = requestFromDocument(readDocument(options.file), source);
  const { decision } = review(request, { config, limitRanges: limitRanges && limitRangesFor(limitRanges, request.namespace) });
  const notes = decision.outcome === 'patched' ? decision.details : [`nothing added: ${decision.reason}`, ...decision.details];
  const stdout =
    options.output === 'patch'
      ? JSON.stringify(decision.patch, null, 2)
      : options.output === 'json'
        ? JSON.stringify(decision.patched, null, 2)
        : stringify(decision.patched, quoteGoIntegers, YAML_OUTPUT).trimEnd();
  return { stdout: `${stdout}\n`, notes };
}
