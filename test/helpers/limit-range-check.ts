// The test oracle for LimitRanges: given a pod and the LimitRanges of its namespace, the
// violations LimitRanger's validation would report, written from the Kubernetes documentation
// ("Limit Ranges", "Effective Pod requests and limits") and independently of src/rules/, so the
// rule tests can fail. Like LimitRanger, it compares whole milli-units (a value is rounded up to
// the next 1m) and reports each failed check as a sentence:
// - Container: each container and init container; `min` wants a request >= min (and a limit, if
//   any, >= min); `max` wants a limit <= max (and a request, if any, <= max);
//   `maxLimitRequestRatio` wants a non-zero request and limit with limit/request <= ratio, both
//   exactly and in float64 (how LimitRanger long computed it).
// - Pod: the same on the pod's effective request and limit: max(sum of containers and sidecars,
//   each init container plus the sidecars listed before it).
import { parseQuantity } from '../../src/rules/quantity.js';

type List = Record<string, string | number | null | undefined> | null | undefined;
interface CheckContainer {
  name: string;
  restartPolicy?: string;
  resources?: { requests?: List; limits?: List } | null;
}
export interface CheckPod {
  spec: { containers?: CheckContainer[]; initContainers?: CheckContainer[] };
}
export interface CheckLimitRange {
  metadata?: { name?: string } | null;
  spec?: { limits?: { type?: string; min?: List; max?: List; maxLimitRequestRatio?: List }[] | null } | null;
}

/** A quantity in whole milli-units, rounded up (apimachinery's MilliValue). */
function milli(value: string | number): bigint {
  const { num, den } = parseQuantity(value);
  const scaled = num * 1000n;
  return scaled >= 0n ? (scaled + den - 1n) / den : scaled / den;
}

type Values = Map<string, bigint>;

function listOf(list: List): Values {
  const values: Values = new Map();
  for (const [key, value] of Object.entries(list ?? {})) if (value !== null && value !== undefined) values.set(key, milli(value));
  return values;
}

const show = (value: bigint) => `${value}m`;

function check(where: string, item: { min?: List; max?: List; maxLimitRequestRatio?: List }, requests: Values, limits: Values): string[] {
  const found: string[] = [];
  for (const [resource, bound] of listOf(item.min)) {
    const request = requests.get(resource);
    const limit = limits.get(resource);
    if (request === undefined) found.push(`${where}: minimum ${resource} is ${show(bound)}, no request is specified`);
    else if (request < bound) found.push(`${where}: minimum ${resource} is ${show(bound)}, but request is ${show(request)}`);
    if (limit !== undefined && limit < bound) found.push(`${where}: minimum ${resource} is ${show(bound)}, but limit is ${show(limit)}`);
  }
  for (const [resource, bound] of listOf(item.max)) {
    const request = requests.get(resource);
    const limit = limits.get(resource);
    if (limit === undefined) found.push(`${where}: maximum ${resource} is ${show(bound)}, no limit is specified`);
    else if (limit > bound) found.push(`${where}: maximum ${resource} is ${show(bound)}, but limit is ${show(limit)}`);
    if (request !== undefined && request > bound) found.push(`${where}: maximum ${resource} is ${show(bound)}, but request is ${show(request)}`);
  }
  for (const [resource, ratioMilli] of listOf(item.maxLimitRequestRatio)) {
    const request = requests.get(resource);
    const limit = limits.get(resource);
    if (!request) found.push(`${where}: ${resource} limit/request ratio needs a non-zero request`);
    else if (!limit) found.push(`${where}: ${resource} limit/request ratio needs a non-zero limit`);
    // limit / request > ratio, in integers: limit * 1000 > ratioMilli * request; or in float64, as
    // LimitRanger long computed it (and older API servers still do): (limit / request) * 1000 > ratioMilli.
    else if (limit * 1000n > ratioMilli * request || (Number(limit) / Number(request)) * 1000 > Number(ratioMilli)) {
      found.push(`${where}: ${resource} limit/request is ${limit}/${request}, above ${show(ratioMilli)}`);
    }
  }
  return found;
}

/** The pod's effective request or limit per resource; a resource no container states is absent. */
function effective(pod: CheckPod, side: 'requests' | 'limits'): Values {
  const add = (into: Values, from: Values) => {
    for (const [key, value] of from) into.set(key, (into.get(key) ?? 0n) + value);
  };
  const running: Values = new Map();
  for (const container of pod.spec.containers ?? []) add(running, listOf(container.resources?.[side]));
  const startedSidecars: Values = new Map();
  const initPhase: Values = new Map();
  for (const init of pod.spec.initContainers ?? []) {
    const own = listOf(init.resources?.[side]);
    // While this init container runs, the sidecars before it run too.
    const during: Values = new Map(startedSidecars);
    add(during, own);
    for (const [key, value] of during) if (value > (initPhase.get(key) ?? -1n)) initPhase.set(key, value);
    if (init.restartPolicy === 'Always') add(startedSidecars, own);
  }
  add(running, startedSidecars);
  const result: Values = new Map(running);
  for (const [key, value] of initPhase) if (value > (result.get(key) ?? -1n)) result.set(key, value);
  return result;
}

/** Every violation LimitRanger's validation would report for the pod; empty when it would admit it. */
export function limitRangeViolations(pod: CheckPod, limitRanges: readonly CheckLimitRange[]): string[] {
  const found: string[] = [];
  for (const range of limitRanges) {
    const name = range.metadata?.name ?? '(unnamed)';
    for (const item of range.spec?.limits ?? []) {
      if (item.type === 'Container') {
        const all = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];
        for (const container of all) {
          found.push(...check(`${name}: container ${container.name}`, item, listOf(container.resources?.requests), listOf(container.resources?.limits)));
        }
      } else if (item.type === 'Pod') {
        found.push(...check(`${name}: pod`, item, effective(pod, 'requests'), effective(pod, 'limits')));
      }
    }
  }
  return found;
}
