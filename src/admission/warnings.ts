// Dry-run warnings: what was applied, in words. `kubectl create --dry-run=server` prints them.
// The API server asks that each stay under 120 characters and drops any with control characters.
import type { Decision } from './decide.js';

const PREFIX = 'runner-defaults: ';
const MAX_LENGTH = 119;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Words for what was applied, or for why a pod we were asked about was left alone. A pod that
 * already had every default gets none (on reinvocation that would contradict the first pass),
 * except the defaults a LimitRange leaves no room for, which are said each time.
 */
export function warningsFor(decision: Decision): string[] {
  const explain = (decision.outcome === 'skipped' || decision.outcome === 'error') && decision.reason;
  const sentences = decision.outcome === 'patched' || decision.outcome === 'unchanged' ? decision.details : explain ? [`nothing added: ${explain}`] : [];
  return sentences.map(toWarning);
}

function toWarning(sentence: string): string {
  const text = PREFIX + sentence.replace(CONTROL, '?');
  return text.length <= MAX_LENGTH ? text : `${text.slice(0, MAX_LENGTH - 3)}...`;
}
