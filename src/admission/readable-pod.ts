// Decides whether an object is a pod the rules can read safely: the parts they look at or edit
// have the JSON types a Pod has. Anything else is "a pod we cannot read", allowed unchanged.
//
// Hand-written rather than a schema library's parse: those build a copy of what they check,
// and the review path must not copy the pod (DESIGN.md, "Fast"). Only the touched parts are checked.
import type { Pod } from '../rules/types.js';
import { isObject, type Json } from '../json.js';

export class UnreadablePodError extends Error {}

const absent = (value: unknown) => value === undefined || value === null;

/** `path.key` for a plain key, `path["odd key"]` for any other, so a path is never ambiguous. */
const child = (path: string, key: string) => (/^[A-Za-z_][\w-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

function fail(path: string, expected: string): never {
  throw new UnreadablePodError(`${path} is not ${expected}`);
}

function optionalObject(value: unknown, path: string): Json | undefined {
  if (absent(value)) return undefined;
  return isObject(value) ? value : fail(path, 'an object');
}

function optionalObjects(value: unknown, path: string): Json[] {
  if (absent(value)) return [];
  if (!Array.isArray(value)) fail(path, 'a list');
  value.forEach((item, index) => isObject(item) || fail(`${path}[${index}]`, 'an object'));
  return value as Json[];
}

function stringMap(value: unknown, path: string): void {
  const map = optionalObject(value, path);
  for (const key in map) if (typeof map[key] !== 'string') fail(child(path, key), 'a string');
}

function quantityMap(value: unknown, path: string): void {
  const map = optionalObject(value, path);
  for (const key in map) {
    const amount = map[key];
    if (typeof amount !== 'string' && typeof amount !== 'number' && !absent(amount)) fail(child(path, key), 'a quantity');
  }
}

function checkContainer(container: Json, path: string): void {
  if (typeof container.name !== 'string') fail(`${path}.name`, 'a string');
  optionalObjects(container.ports, `${path}.ports`);
  optionalObjects(container.env, `${path}.env`);
  const resources = optionalObject(container.resources, `${path}.resources`);
  quantityMap(resources?.requests, `${path}.resources.requests`);
  quantityMap(resources?.limits, `${path}.resources.limits`);
}

/** Throws UnreadablePodError, naming the first offending path, when the rules could not read the pod. */
export function assertReadablePod(object: unknown): asserts object is Pod {
  if (!isObject(object)) fail('object', 'an object');
  if (object.kind !== undefined && object.kind !== 'Pod') fail('object.kind', 'Pod');
  const metadata = optionalObject(object.metadata, 'metadata');
  stringMap(metadata?.labels, 'metadata.labels');
  stringMap(metadata?.annotations, 'metadata.annotations');
  optionalObjects(metadata?.ownerReferences, 'metadata.ownerReferences');
  const spec = isObject(object.spec) ? object.spec : fail('spec', 'an object');
  if (!absent(spec.restartPolicy) && typeof spec.restartPolicy !== 'string') fail('spec.restartPolicy', 'a string');
  optionalObjects(spec.containers, 'spec.containers').forEach((container, index) =>
    checkContainer(container, `spec.containers[${index}]`),
  );
  optionalObjects(spec.initContainers, 'spec.initContainers').forEach((container, index) =>
    checkContainer(container, `spec.initContainers[${index}]`),
  );
}
