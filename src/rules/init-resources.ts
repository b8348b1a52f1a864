// The init-resources rule: every init container (native sidecars included) gets each missing
// requests/limits key for cpu and memory from the configured defaults. A value already there is
// never changed, and no request ends above its limit: where a default would put it there, the
// existing value is used for the missing side instead (a 2Gi request with no limit gets 2Gi).
// When the namespace has LimitRanges (context.limitRanges), each key's default is then fitted
// inside them (limit-ranges.ts); a key that nothing fits is left out, and the change says why.
// A resource the pod sets at pod level (spec.resources, PodLevelResources) is left alone: its
// containers share that budget, and the API server refuses a container limit above the pod's.
import type { Config } from '../config.js';
import { boundsFor, constraintsFor, fitPair, hasBounds, podRatioHolds, unitsOf, type LimitRange } from './limit-ranges.js';
import { compareQuantities, formatQuantity, parseQuantity, quantityOrUndefined, type Quantity } from './quantity.js';
import type { Change, Container, LimitRangeAdjustment, Pod, Rule } from './types.js';

const RESOURCES = ['cpu', 'memory'] as const;
type ResourceName = (typeof RESOURCES)[number];
type Amounts = Partial<Record<ResourceName, string | number>>;
interface Additions {
  requests: Amounts;
  limits: Amounts;
}

/**
 * Fitting one init container inside a Pod-type LimitRange looks at every other one (the Pod's
 * effective amounts count the sidecars and the later init containers), so fitting them all grows
 * with the square of their number: 1,000 took 2 s and 100 about 50 ms, and a server answers
 * nothing else meanwhile. A pod with more than this many gets no init-container defaults in a
 * namespace with such a LimitRange; the change says so with a skipped adjustment per resource,
 * for the dry-run warnings, the log line, the metric and audit.
 */
export const MAX_FITTED_INIT_CONTAINERS = 100;

export const initResources: Rule = (pod, { config, limitRanges }) => {
  const defaults = config.initResources;
  if (!defaults.enabled) return undefined;
  const shared = RESOURCES.filter((name) => setAtPodLevel(pod, name));
  // The plain path of every review shares nothing at pod level: no second list to build.
  const names = shared.length === 0 ? RESOURCES : RESOURCES.filter((name) => !shared.includes(name));
  const fitting = limitRanges !== undefined && limitRanges.length > 0;
  if (fitting && tooManyToFit(pod, limitRanges)) return leftOutForCount(pod, defaults, names, shared);
  const details: string[] = sharedDetails(pod, defaults, shared);
  const adjustments: LimitRangeAdjustment[] = [];
  let skipped: LimitRangeAdjustment[] = [];
  let edited = false;
  // With LimitRanges, what one init container gets can make room for another's (a Pod ratio), so
  // go round until a round adds nothing: a second review of the patched pod then adds nothing either.
  for (let round = 0, added = true; added && round < 8; round++) {
    added = false;
    skipped = [];
    (pod.spec?.initContainers ?? []).forEach((container, index) => {
      const plain = plainFor(container, defaults, names);
      // Without LimitRanges this is the plain path of every review: no arrays to fill or filter.
      const found: LimitRangeAdjustment[] | undefined = fitting ? [] : undefined;
      const additions = found ? fitted(pod, index, plain, limitRanges!, found) : plain;
      if (found) skipped.push(...found.filter((adjustment) => adjustment.action === 'skipped'));
      const text = describe(additions);
      if (!text) return;
      added = edited = true;
      const moved = found ? found.filter((adjustment) => adjustment.action === 'adjusted') : [];
      adjustments.push(...moved);
      const target = (container.resources ??= {});
      for (const side of ['limits', 'requests'] as const) {
        if (Object.keys(additions[side]).length === 0) continue;
        const amounts = (target[side] ??= {}) as Amounts;
        Object.assign(amounts, additions[side]);
      }
      details.push(`added ${text} to init container "${container.name}"`);
      for (const move of moved) details.push(`fitted ${move.resource} of init container "${container.name}" to the LimitRange: ${move.reason}`);
    });
    if (!fitting) break;
  }
  adjustments.push(...skipped);
  for (const skip of skipped) details.push(`added no ${skip.resource} to init container "${skip.container}": ${skip.reason}`);
  if (details.length === 0) return undefined;
  return { name: 'init-resources', details, ...(adjustments.length > 0 ? { adjustments } : {}), ...(edited ? {} : { edited: false }) };
};

/** What the defaults would add to an init container for these resources, before any LimitRange. */
const plainFor = ({ resources }: Container, defaults: Config['initResources'], names: readonly ResourceName[]): Additions =>
  missingAmounts(resources?.requests ?? undefined, resources?.limits ?? undefined, defaults, names);

/** Whether the pod sets a request or a limit for this resource at pod level (spec.resources). */
function setAtPodLevel(pod: Pod, name: ResourceName): boolean {
  const resources = pod.spec?.resources as { requests?: Amounts | null; limits?: Amounts | null } | null | undefined;
  return resources?.requests?.[name] != null || resources?.limits?.[name] != null;
}

/** Whether the plain defaults would add some of this resource to some init container. */
function someLack(pod: Pod, defaults: Config['initResources'], name: ResourceName): boolean {
  return (pod.spec?.initContainers ?? []).some((container) => {
    const { requests, limits } = plainFor(container, defaults, [name]);
    return requests[name] !== undefined || limits[name] !== undefined;
  });
}

/** A sentence for each pod-level resource that some init container would otherwise have got. */
function sharedDetails(pod: Pod, defaults: Config['initResources'], shared: readonly ResourceName[]): string[] {
  return shared
    .filter((name) => someLack(pod, defaults, name))
    .map((name) => `added no ${name} to init containers: the pod sets ${name} in spec.resources, which its containers share`);
}

function tooManyToFit(pod: Pod, limitRanges: readonly LimitRange[]): boolean {
  const count = pod.spec?.initContainers?.length ?? 0;
  return count > MAX_FITTED_INIT_CONTAINERS && RESOURCES.some((name) => hasBounds(boundsFor(limitRanges, 'Pod', name)));
}

/** The report of a pod with too many init containers to fit: each resource some of them lack, skipped for all. */
function leftOutForCount(pod: Pod, defaults: Config['initResources'], names: readonly ResourceName[], shared: readonly ResourceName[]): Change | undefined {
  const inits = pod.spec?.initContainers ?? [];
  const lacking = names.filter((name) => someLack(pod, defaults, name));
  const details = sharedDetails(pod, defaults, shared);
  if (lacking.length === 0 && details.length === 0) return undefined;
  const reason = `${inits.length} init containers, over the ${MAX_FITTED_INIT_CONTAINERS} fitted to a Pod LimitRange`;
  const adjustments = lacking.map((resource): LimitRangeAdjustment => ({ action: 'skipped', resource, reason }));
  details.push(...lacking.map((resource) => `added no ${resource} to init containers: ${reason}`));
  return { name: 'init-resources', details, ...(adjustments.length > 0 ? { adjustments } : {}), edited: false };
}

/** The plain additions moved inside the LimitRanges, key by key; a key nothing fits is dropped and reported. */
function fitted(pod: Pod, index: number, plain: Additions, limitRanges: readonly LimitRange[], report: LimitRangeAdjustment[]): Additions {
  const container = pod.spec?.initContainers?.[index] as Container;
  const result: Additions = { requests: {}, limits: {} };
  for (const name of RESOURCES) {
    const plainRequest = plain.requests[name];
    const plainLimit = plain.limits[name];
    if (plainRequest === undefined && plainLimit === undefined) continue;
    const constraints = constraintsFor(pod, index, name, limitRanges);
    const existing = {
      request: quantityOrUndefined(container.resources?.requests?.[name]),
      limit: quantityOrUndefined(container.resources?.limits?.[name]),
    };
    const wanted = {
      request: existing.request ?? parseQuantity(plainRequest as string | number),
      limit: existing.limit ?? parseQuantity(plainLimit as string | number),
    };
    const keep = () => {
      if (plainRequest !== undefined) result.requests[name] = plainRequest;
      if (plainLimit !== undefined) result.limits[name] = plainLimit;
    };
    if (!constraints) {
      keep();
      continue;
    }
    const { step, format } = unitsOf(name);
    const fit = fitPair(existing, wanted, constraints, step);
    const skip = (reason: string) => report.push({ action: 'skipped', resource: name, container: container.name, reason });
    if (!fit.ok) {
      skip(fit.reason);
      continue;
    }
    // The trial pod copies the init containers: built only when a Pod ratio has to be checked on it.
    if (constraints.pod.ratio && !podRatioHolds(withAmounts(pod, index, name, fit.request, fit.limit), name, constraints.pod.ratio)) {
      skip(`the pod's limit/request would exceed ${formatQuantity(constraints.pod.ratio.value)} (LimitRange ${constraints.pod.ratio.from})`);
      continue;
    }
    const moves: string[] = [];
    // The plain text stays where the fit kept its value; a moved value is written canonically.
    const text = (label: string, value: Quantity, plainValue: Quantity, plainText: string | number) => {
      if (compareQuantities(value, plainValue) === 0) return plainText;
      moves.push(`${label} ${plainText} -> ${formatQuantity(value, format)}`);
      return formatQuantity(value, format);
    };
    if (plainRequest !== undefined) result.requests[name] = text('request', fit.request, wanted.request, plainRequest);
    if (plainLimit !== undefined) result.limits[name] = text('limit', fit.limit, wanted.limit, plainLimit);
    if (moves.length > 0) report.push({ action: 'adjusted', resource: name, container: container.name, reason: moves.join(', ') });
  }
  return result;
}

/** A pod that differs from `pod` only in init container `index` having this request and limit (for the Pod-ratio check). */
function withAmounts(pod: Pod, index: number, name: string, request: Quantity, limit: Quantity): Pod {
  const inits = [...(pod.spec?.initContainers ?? [])];
  const container = inits[index] as Container;
  const resources = container.resources ?? {};
  inits[index] = {
    ...container,
    resources: {
      ...resources,
      requests: { ...resources.requests, [name]: formatQuantity(request) },
      limits: { ...resources.limits, [name]: formatQuantity(limit) },
    },
  };
  return { ...pod, spec: { ...pod.spec, containers: pod.spec?.containers ?? [], initContainers: inits } };
}

/** What to add for each resource, given what the container already says. */
export function missingAmounts(
  requests: Readonly<Amounts> | undefined,
  limits: Readonly<Amounts> | undefined,
  defaults: Config['initResources'],
  names: readonly ResourceName[],
): Additions {
  const additions: Additions = { requests: {}, limits: {} };
  for (const name of names) {
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

function describe(additions: Additions): string {
  const side = (label: string, amounts: Amounts) => {
    const entries = Object.entries(amounts).map(([name, value]) => `${name}=${value}`);
    return entries.length > 0 ? `${label} ${entries.join(' ')}` : '';
  };
  return [side('requests', additions.requests), side('limits', additions.limits)].filter(Boolean).join(', ');
}
