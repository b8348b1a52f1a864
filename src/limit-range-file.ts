// Reads LimitRanges for `mutate --limit-ranges FILE`: one LimitRange, a List or LimitRangeList of
// them (`kubectl get limitranges -o yaml` output as it is), or several YAML documents of any of
// these. A file that holds something else, or a LimitRange the API server would refuse for a
// bad quantity, a negative one or a ratio below 1, is an InputError with a one-line reason.
import { InputError, readDocuments, sourceName } from './read-document.js';
import { compareQuantities, isQuantity, ONE, parseQuantity, ZERO } from './rules/quantity.js';
import type { LimitRange } from './rules/limit-ranges.js';
import { isObject } from './json.js';

const BOUNDS = ['min', 'max', 'maxLimitRequestRatio', 'default', 'defaultRequest'] as const;

export function loadLimitRanges(file: string): LimitRange[] {
  const list = readDocuments(file);
  const source = sourceName(file);
  const ranges: LimitRange[] = [];
  list.forEach((value, index) => {
    if (value === null || value === undefined) return; // an empty document, such as after a trailing ---
    const where = list.length > 1 ? `${source}: document ${index + 1}` : source;
    ranges.push(...limitRangesIn(value, where));
  });
  return ranges;
}

function limitRangesIn(value: unknown, where: string): LimitRange[] {
  const kind = isObject(value) ? value.kind : undefined;
  if (isObject(value) && (kind === 'List' || kind === 'LimitRangeList')) {
    if (!Array.isArray(value.items)) throw new InputError(`${where}: a ${kind} needs an items list`);
    return value.items.map((item, index) => checked(item, `${where}: items[${index}]`, true));
  }
  return [checked(value, where, false)];
}

function checked(value: unknown, where: string, inList: boolean): LimitRange {
  const kind = isObject(value) ? value.kind : undefined;
  if (!isObject(value) || (kind !== 'LimitRange' && !(inList && kind === undefined))) {
    const found = typeof kind === 'string' ? kind : 'missing';
    throw new InputError(`${where}: not a LimitRange, a List or a LimitRangeList (kind: ${found})`);
  }
  const name = isObject(value.metadata) && typeof value.metadata.name === 'string' ? ` "${value.metadata.name}"` : '';
  const spec = value.spec;
  const limits = isObject(spec) ? spec.limits : undefined;
  if (spec !== undefined && spec !== null && !isObject(spec)) throw new InputError(`${where}: LimitRange${name}: spec is not an object`);
  if (limits !== undefined && limits !== null && !Array.isArray(limits)) throw new InputError(`${where}: LimitRange${name}: spec.limits is not a list`);
  (Array.isArray(limits) ? limits : []).forEach((item: unknown, index) => {
    const path = `spec.limits[${index}]`;
    if (!isObject(item)) throw new InputError(`${where}: LimitRange${name}: ${path} is not an object`);
    for (const key of BOUNDS) {
      const bounds = item[key];
      if (bounds === undefined || bounds === null) continue;
      if (!isObject(bounds)) throw new InputError(`${where}: LimitRange${name}: ${path}.${key} is not a map of quantities`);
      for (const [resource, amount] of Object.entries(bounds)) {
        if ((typeof amount !== 'string' && typeof amount !== 'number') || !isQuantity(amount)) {
          throw new InputError(`${where}: LimitRange${name}: ${path}.${key}.${resource} is not a quantity`);
        }
        const [floor, problem] = key === 'maxLimitRequestRatio' ? [ONE, 'is below 1'] : [ZERO, 'is negative'];
        if (compareQuantities(parseQuantity(amount), floor) < 0) {
          throw new InputError(`${where}: LimitRange${name}: ${path}.${key}.${resource} ${problem}, which the API server refuses`);
        }
      }
    }
  });
  return value as LimitRange;
}
