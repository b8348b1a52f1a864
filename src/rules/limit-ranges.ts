// Fitting an init container's default request and limit inside the namespace's LimitRanges, so
// that what we add never gets the pod rejected by LimitRanger's validation, which runs after us.
// Pure: the LimitRanges are an input (RuleContext.limitRanges), never fetched here.
//
// What LimitRanger enforces (Kubernetes documentation, "Limit Ranges"; and "Effective Pod requests
// and limits" for the Pod type):
// - type Container, for every container and init container, per resource: `min` needs a request
//   at or above it (and a limit, if any, too); `max` needs a limit at or below it (and a request,
//   if any, too); `maxLimitRequestRatio` needs a non-zero request and limit with limit/request at
//   or below it.
// - type Pod: the same three checks on the pod's effective request and limit: the larger of the
//   sum over containers and restartable init containers (sidecars), and, for each other init
//   container, its own value plus the sidecars listed before it.
// Several LimitRanges in a namespace are each enforced, so the tightest bound of each kind wins.
import {
  addQuantities,
  ceilToStep,
  compareQuantities,
  divideQuantities,
  floorToStep,
  formatQuantity,
  isZero,
  maxQuantity,
  minQuantity,
  multiplyQuantities,
  ONE,
  quantityOrUndefined,
  subtractQuantities,
  ZERO,
  type Quantity,
  type QuantityFormat,
} from './quantity.js';
import type { Container, Pod } from './types.js';

export type Amount = string | number;
export type ResourceList = Record<string, Amount | null | undefined>;

/** One entry of a LimitRange's spec.limits, as the API (or a file) gives it. */
export interface LimitRangeItem {
  type?: string;
  min?: ResourceList | null;
  max?: ResourceList | null;
  maxLimitRequestRatio?: ResourceList | null;
  default?: ResourceList | null;
  defaultRequest?: ResourceList | null;
}

/** A LimitRange as plain JSON; only the fields the fitting reads. */
export interface LimitRange {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown } | null;
  spec?: { limits?: LimitRangeItem[] | null } | null;
}

/**
 * The LimitRanges that apply to a pod in `namespace`: those of that namespace, and any without one.
 * A pod with no namespace (a bare Pod file) may go anywhere, so every LimitRange applies to it.
 */
export function limitRangesFor(limitRanges: readonly LimitRange[], namespace: string): LimitRange[] {
  if (!namespace) return [...limitRanges];
  return limitRanges.filter((range) => {
    const own = range.metadata?.namespace;
    return !own || own === namespace;
  });
}

export interface Bound {
  value: Quantity;
  /** Names of the LimitRanges that set it, for messages. */
  from: string;
}

export interface Bounds {
  min?: Bound;
  max?: Bound;
  ratio?: Bound;
}

const KEYS = { min: 'min', max: 'max', ratio: 'maxLimitRequestRatio' } as const;

/** The tightest min, max and ratio that LimitRanges of `type` (Container or Pod) set for a resource. */
export function boundsFor(limitRanges: readonly LimitRange[], type: 'Container' | 'Pod', resource: string): Bounds {
  const bounds: Bounds = {};
  for (const range of limitRanges) {
    const name = range.metadata?.name ?? '(unnamed)';
    for (const item of range.spec?.limits ?? []) {
      if (item?.type !== type) continue;
      for (const kind of ['min', 'max', 'ratio'] as const) {
        const value = quantityOrUndefined(item[KEYS[kind]]?.[resource]);
        if (!value) continue;
        // The API server refuses a ratio below 1; one that gets here anyway (an offline file) bounds nothing.
        if (kind === 'ratio' && compareQuantities(value, ONE) < 0) continue;
        const current = bounds[kind];
        const order = current ? compareQuantities(value, current.value) : 0;
        const tighter = !current || (kind === 'min' ? order > 0 : order < 0);
        if (tighter) bounds[kind] = { value, from: name };
      }
    }
  }
  return bounds;
}

export function hasBounds(bounds: Bounds): boolean {
  return bounds.min !== undefined || bounds.max !== undefined || bounds.ratio !== undefined;
}


type Side = 'requests' | 'limits';
const amountOf = (container: Container | undefined, side: Side, resource: string): Quantity | undefined =>
  quantityOrUndefined((container?.resources?.[side] as ResourceList | undefined)?.[resource]);
const isSidecar = (container: Container) => container.restartPolicy === 'Always';
const sum = (values: (Quantity | undefined)[]) => values.reduce<Quantity>((total, value) => addQuantities(total, value ?? ZERO), ZERO);

/**
 * The pod's effective request or limit for a resource ("Effective Pod requests and limits"), or
 * undefined when no container states one (LimitRanger then finds none).
 */
export function podEffective(pod: Pod, side: Side, resource: string): Quantity | undefined {
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const stated = [...containers, ...inits].some((container) => amountOf(container, side, resource) !== undefined);
  if (!stated) return undefined;
  let total = sum(containers.map((container) => amountOf(container, side, resource)));
  let sidecars = ZERO;
  let initPhase = ZERO;
  for (const init of inits) {
    const own = amountOf(init, side, resource) ?? ZERO;
    initPhase = maxQuantity(initPhase, addQuantities(own, sidecars));
    if (isSidecar(init)) sidecars = addQuantities(sidecars, own);
  }
  total = addQuantities(total, sidecars);
  return maxQuantity(total, initPhase);
}

/**
 * What the rest of the pod already puts into every effective-value term that init container
 * `index` adds to: the most this container may have is a Pod `max` minus this. For a plain init
 * container, the sidecars started before it; for a sidecar, the larger of the running phase
 * (containers and the other sidecars) and each later init container with the sidecars before it.
 */
function podBase(pod: Pod, index: number, side: Side, resource: string): Quantity {
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const value = (container: Container | undefined) => amountOf(container, side, resource) ?? ZERO;
  const sidecarsBefore = (end: number) => sum(inits.slice(0, end).map((init, at) => (isSidecar(init) && at !== index ? value(init) : ZERO)));
  const focus = inits[index];
  if (!focus || !isSidecar(focus)) return sidecarsBefore(index);
  // One pass, with the other sidecars started so far kept as a running sum (linear in the init containers).
  let sidecars = ZERO;
  let laterPeak: Quantity | undefined;
  inits.forEach((init, at) => {
    if (at === index) return;
    if (isSidecar(init)) sidecars = addQuantities(sidecars, value(init));
    else if (at > index) laterPeak = maxQuantity(laterPeak ?? ZERO, addQuantities(value(init), sidecars));
  });
  const running = addQuantities(sum(containers.map(value)), sidecars);
  return laterPeak ? maxQuantity(running, laterPeak) : running;
}

/** How one resource of one init container is constrained: by its Container bounds and the room the Pod bounds leave. */
export interface Constraints {
  container: Bounds;
  /** The Pod-type bounds, with max turned into what this container may still add. */
  pod: { requestCap?: Bound; limitCap?: Bound; limitFloor?: Bound; ratio?: Bound };
}

export function constraintsFor(pod: Pod, index: number, resource: string, limitRanges: readonly LimitRange[]): Constraints | undefined {
  const container = boundsFor(limitRanges, 'Container', resource);
  const podBounds = boundsFor(limitRanges, 'Pod', resource);
  if (!hasBounds(container) && !hasBounds(podBounds)) return undefined;
  const room = (side: Side): Bound | undefined =>
    podBounds.max && { value: subtractQuantities(podBounds.max.value, podBase(pod, index, side, resource)), from: podBounds.max.from };
  // A Pod min on limits only binds when a limit exists; the limit we add may be the pod's first.
  const limitFloor = podBounds.min && podEffective(pod, 'limits', resource) === undefined ? podBounds.min : undefined;
  return { container, pod: { requestCap: room('requests'), limitCap: room('limits'), limitFloor, ratio: podBounds.ratio } };
}

export interface Pair {
  request: Quantity;
  limit: Quantity;
}

export type Fit = { ok: true; request: Quantity; limit: Quantity } | { ok: false; reason: string };

const below = (a: Quantity, b: Bound | undefined) => !b || compareQuantities(a, b.value) <= 0;
const atLeast = (a: Quantity, b: Bound | undefined) => !b || compareQuantities(a, b.value) >= 0;
const lower = (...bounds: (Bound | undefined)[]) => bounds.reduce<Bound | undefined>((a, b) => (!a ? b : !b ? a : compareQuantities(a.value, b.value) >= 0 ? a : b), undefined);
const upper = (...bounds: (Bound | undefined)[]) => bounds.reduce<Bound | undefined>((a, b) => (!a ? b : !b ? a : compareQuantities(a.value, b.value) <= 0 ? a : b), undefined);
const clamp = (value: Quantity, low: Bound | undefined, high: Bound | undefined) =>
  high && compareQuantities(value, high.value) > 0 ? high.value : low && compareQuantities(value, low.value) < 0 ? low.value : value;

/** The largest int64 whose thousandfold is still an int64, as Kubernetes' resource.MaxMilliValue. */
const MAX_MILLI_VALUE = 9_223_372_036_854_775n;
/** ceil(q × scale) for q ≥ 0: Quantity.Value() (scale 1) and MilliValue() (scale 1000). */
const ceilScaled = (q: Quantity, scale: bigint): bigint => {
  const scaled = q.num * scale;
  return scaled / q.den + (scaled % q.den > 0n ? 1n : 0n);
};

/**
 * limit/request <= ratio as LimitRanger long checked it, and an older API server still does (newer
 * ones compare exactly): each amount rounded up to whole thousandths (or units, when an amount is
 * too large), then a float64 quotient. At a fitted pair's edge that quotient can come out one
 * rounding above the bound, and the pod is refused (403m over 200m against 2.015 gives
 * 2015.0000000000002 > 2015), so a pair must pass both this and the exact check.
 */
function floatRatioFits(request: Quantity, limit: Quantity, ratio: Quantity): boolean {
  const enforced = ceilScaled(ratio, 1n);
  const milli = ceilScaled(request, 1n) <= MAX_MILLI_VALUE && ceilScaled(limit, 1n) <= MAX_MILLI_VALUE && enforced <= MAX_MILLI_VALUE;
  const scale = milli ? 1000n : 1n;
  const observed = Number(ceilScaled(limit, scale)) / Number(ceilScaled(request, scale));
  return enforced <= MAX_MILLI_VALUE ? observed * 1000 <= Number(ceilScaled(ratio, 1000n)) : observed <= Number(enforced);
}

const ratioFits = (request: Quantity, limit: Quantity, ratio: Bound | undefined) =>
  !ratio ||
  (!isZero(request) && !isZero(limit) && compareQuantities(divideQuantities(limit, request), ratio.value) <= 0 && floatRatioFits(request, limit, ratio.value));

/** A few steps at most: the float check is off by one rounding, far less than a step. */
const EDGE_STEPS = 3;

/** The largest limit on the step grid, at least `request`, whose ratio to `request` fits (or `request`). */
function largestLimit(request: Quantity, ratio: Bound, step: Quantity): Quantity {
  let limit = floorToStep(multiplyQuantities(request, ratio.value), step);
  for (let tries = 0; tries < EDGE_STEPS && compareQuantities(limit, request) > 0 && !ratioFits(request, limit, ratio); tries++) {
    limit = subtractQuantities(limit, step);
  }
  return maxQuantity(request, limit);
}

/** The smallest request on the step grid, at most `limit`, whose ratio from `limit` fits (or `limit`). */
function smallestRequest(limit: Quantity, ratio: Bound, step: Quantity): Quantity {
  let request = ceilToStep(divideQuantities(limit, ratio.value), step);
  for (let tries = 0; tries < EDGE_STEPS && compareQuantities(request, limit) < 0 && !ratioFits(request, limit, ratio); tries++) {
    request = addQuantities(request, step);
  }
  return minQuantity(limit, request);
}
const own = (value: Quantity): Bound => ({ value, from: '' });
/** Amounts are never negative, whatever room a Pod max leaves. */
const NONE: Bound = own(ZERO);

/**
 * A request and limit for one resource of one init container, filling only what is missing and
 * keeping request <= limit, inside every bound; or why none exists. The plain defaults are moved
 * as little as the bounds require: clamped into min/max, then, for the ratio, the request raised
 * to limit/ratio or else the limit lowered to request×ratio, whichever keeps both inside min/max.
 */
export function fitPair(existing: Partial<Pair>, plain: Pair, constraints: Constraints, step: Quantity): Fit {
  const { container: bounds, pod } = constraints;
  const reqLow = lower(bounds.min, NONE);
  const reqHigh = upper(bounds.max, pod.requestCap);
  const limLow = lower(bounds.min, pod.limitFloor, NONE);
  const limHigh = upper(bounds.max, pod.limitCap);
  const ratio = bounds.ratio;
  let { request, limit } = plain;
  if (existing.request && existing.limit) return { ok: true, request: existing.request, limit: existing.limit };
  if (existing.request) {
    request = existing.request;
    const ratioHigh = ratio && own(largestLimit(request, ratio, step));
    limit = clamp(maxQuantity(plain.limit, request), lower(limLow, own(request)), upper(limHigh, ratioHigh));
  } else if (existing.limit) {
    limit = existing.limit;
    const ratioLow = ratio && own(smallestRequest(limit, ratio, step));
    request = clamp(minQuantity(plain.request, limit), lower(reqLow, ratioLow), upper(reqHigh, own(limit)));
  } else {
    request = clamp(request, reqLow, reqHigh);
    limit = clamp(limit, limLow, limHigh);
    if (compareQuantities(request, limit) > 0) request = limit;
    if (ratio && !ratioFits(request, limit, ratio)) {
      const raised = smallestRequest(limit, ratio, step);
      const lowered = largestLimit(request, ratio, step);
      if (below(raised, reqHigh) && atLeast(raised, reqLow) && ratioFits(raised, limit, ratio)) request = raised;
      else if (below(lowered, limHigh) && atLeast(lowered, limLow) && ratioFits(request, lowered, ratio)) limit = lowered;
      else {
        // Both must move: the largest request allowed leaves the widest range for the limit.
        const top = upper(reqHigh, limHigh);
        if (top && !isZero(top.value)) {
          request = top.value;
          limit = clamp(limit, lower(limLow, own(request)), upper(limHigh, own(largestLimit(request, ratio, step))));
        }
      }
    }
  }
  const fits =
    atLeast(request, reqLow) && below(request, reqHigh) && atLeast(limit, limLow) && below(limit, limHigh) &&
    compareQuantities(request, limit) <= 0 && ratioFits(request, limit, ratio);
  return fits ? { ok: true, request, limit } : { ok: false, reason: describeConstraints(existing, constraints) };
}

/** The bounds in play, in words: "min 2, max 1, limit/request <= 4 (LimitRange team-limits)". */
function describeConstraints(existing: Partial<Pair>, { container, pod }: Constraints): string {
  const parts: string[] = [];
  const names = new Set<string>();
  const add = (label: string, bound: Bound | undefined, text = (value: Quantity) => formatQuantity(value)) => {
    if (!bound) return;
    parts.push(`${label} ${text(bound.value)}`);
    names.add(bound.from);
  };
  add('min', container.min);
  add('max', container.max);
  add('limit/request <=', container.ratio);
  add('Pod room for the request', pod.requestCap);
  add('Pod room for the limit', pod.limitCap);
  add('Pod min', pod.limitFloor);
  if (existing.request) parts.push(`existing request ${formatQuantity(existing.request)}`);
  if (existing.limit) parts.push(`existing limit ${formatQuantity(existing.limit)}`);
  return `no value fits ${parts.join(', ')} (LimitRange ${[...names].join(', ')})`;
}

/** Whether the Pod-type limit/request ratio still holds with the pod as edited. */
export function podRatioHolds(pod: Pod, resource: string, ratio: Bound | undefined): boolean {
  if (!ratio) return true;
  const request = podEffective(pod, 'requests', resource);
  const limit = podEffective(pod, 'limits', resource);
  return request !== undefined && limit !== undefined && ratioFits(request, limit, ratio);
}

/** How finely a computed amount is rounded, and the canonical form it is written in. */
export function unitsOf(resource: string): { step: Quantity; format: QuantityFormat } {
  return resource === 'memory' || resource.endsWith('storage')
    ? { step: { num: 1n, den: 1n }, format: 'BinarySI' }
    : { step: { num: 1n, den: 1000n }, format: 'DecimalSI' };
}
