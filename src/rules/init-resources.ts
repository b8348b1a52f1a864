// The init-resources rule: every init container (native sidecars included) gets each missing
// requests/limits key for cpu and memory from the configured defaults. A value already there is
// never changed, and no request ends above its limit: where a default would put it there, the
// existing value is used for the missing side instead (a 2Gi request with no limit gets 2Gi).
import type { Config } from '../config.js';
import { compareQuantities, parseQuantity, type Quantity } from './quantity.js';
import type { Rule } from './types.js';

const RESOURCES = ['cpu', 'memory'] as const;
type ResourceName = (typeof RESOURCES)[number];
type Amounts = Partial<Record<ResourceName, string | number>>;
interface Additions {
  requests: Amounts;
  limits: Amounts;
}

export const initResources: Rule = (pod, { config }) => {
  const defaults = config.initResources;
  if (!defaults.enabled) return undefined;
  const details: string[] = [];
  for (const container of pod.spec?.initContainers ?? []) {
    const resources = container.resources;
    const additions = missingAmounts(resources?.requests ?? undefined, resources?.limits ?? undefined, defaults);
    const added = describe(additions);
    if (!added) continue;
    const target = (container.resources ??= {});
    for (const side of ['limits', 'requests'] as const) {
      if (Object.keys(additions[side]).length === 0) continue;
      const amounts = (target[side] ??= {}) as Amounts;
      Object.assign(amounts, additions[side]);
    }
    details.push(`added ${added} to init container "${container.name}"`);
  }
  return details.length > 0 ? { name: 'init-resources', details } : undefined;
};

/** What to add for each resource, given what the container already says. */
export function missingAmounts(
  requests: Readonly<Amounts> | undefined,
  limits: Readonly<Amounts> | undefined,
  defaults: Config['initResources'],
): Additions {
  const additions: Additions = { requests: {}, limits: {} };
  for (const name of RESOURCES) {
    const request = requests?.[name] ?? undefined;
    const limit = limits?.[name] ?? undefined;
    if (request !== undefined && limit !== undefined) continue;
    if (request === undefined && limit === undefined) {
      additions.requests[name] = defaults.requests[name];
      additions.limits[name] = defaults.limits[name];
    } else if (request !== undefined) {
      const existing = quantityOrUndefined(request);
      if (!existing) continue; // unreadable: the API server will reject it; nothing safe to add
      additions.limits[name] = compareQuantities(existing, parseQuantity(defaults.limits[name])) > 0 ? request : defaults.limits[name];
    } else if (limit !== undefined) {
      const existing = quantityOrUndefined(limit);
      if (!existing) continue;
      additions.requests[name] = compareQuantities(parseQuantity(defaults.requests[name]), existing) > 0 ? limit : defaults.requests[name];
    }
  }
  return additions;
}

function quantityOrUndefined(value: string | number): Quantity | undefined {
  try {
    return parseQuantity(value);
  } catch {
    return undefined;
  }
}

function describe(additions: Additions): string {
  const side = (label: string, amounts: Amounts) => {
    const entries = Object.entries(amounts).map(([name, value]) => `${name}=${value}`);
    return entries.length > 0 ? `${label} ${entries.join(' ')}` : '';
  };
  return [side('requests', additions.requests), side('limits', additions.limits)].filter(Boolean).join(', ');
}
