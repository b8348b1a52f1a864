// `runner-defaults mutate`: the webhook's decision offline, for a Pod or an AdmissionReview in
// YAML or JSON. It calls the same admission code as `serve`, so the two answers cannot differ.
import { stringify } from 'yaml';
import { loadConfig } from '../config.js';
import { podCreateRequest, readAdmissionReview, type AdmissionRequest } from '../admission/request.js';
import { review } from '../admission/review.js';
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

export function requestFromDocument(document: unknown, source: string): AdmissionRequest {
  const kind = typeof document === 'object' && document !== null ? (document as { kind?: unknown }).kind : undefined;
  if (kind === 'AdmissionReview') {
    try {
      return readAdmissionReview(document);
    } catch (error) {
      throw new InputError(`${source}: ${(error as Error).message}`);
    }
  }
  if (kind === 'Pod') return podCreateRequest(document as Record<string, unknown>);
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
        : stringify(decision.patched, { lineWidth: 0 }).trimEnd();
  return { stdout: `${stdout}\n`, notes };
}
