// Kubernetes label selectors: does a pod's label set match the configured runner selector, and
// the same selector in the query-string form that the API server's labelSelector takes (for audit).
import type { LabelSelector } from '../config.js';

export function matchesSelector(labels: Readonly<Record<string, unknown>> | null | undefined, selector: LabelSelector): boolean {
  const has = (key: string) => labels !== undefined && labels !== null && Object.hasOwn(labels, key);
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (!has(key) || labels?.[key] !== value) return false;
  }
  for (const { key, operator, values } of selector.matchExpressions) {
    const value = has(key) ? labels?.[key] : undefined;
    const found = typeof value === 'string';
    const listed = found && values.includes(value);
    const ok =
      operator === 'In' ? listed : operator === 'NotIn' ? !listed : operator === 'Exists' ? found : !found;
    if (!ok) return false;
  }
  return true;
}

/** The selector as `kubectl get -l` and the API's labelSelector parameter write it. */
export function selectorToString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values } of selector.matchExpressions) {
    if (operator === 'Exists') parts.push(key);
    else if (operator === 'DoesNotExist') parts.push(`!${key}`);
    else parts.push(`${key} ${operator === 'In' ? 'in' : 'notin'} (${values.join(',')})`);
  }
  return parts.join(',');
}
