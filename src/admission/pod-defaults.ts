// What the API server sets on a new pod before any admission webhook sees it, of what the rules
// read: a container that has limits but no request for one of them gets its limit as the request
// (SetDefaults_Pod, Kubernetes' pkg/apis/core/v1/defaults.go, for containers and init containers;
// not for pod templates). A review carries a pod already defaulted; `mutate` on a bare Pod applies
// this first, so that its answer is the cluster's: an init container with limits only gets no
// request from us, because the API server has already given it its limits as requests.
import { isObject, type Json } from '../json.js';

/** A copy of `pod` with the API server's request defaults; parts it cannot read are left as they are. */
export function withApiServerDefaults(pod: Json): Json {
  const copy = structuredClone(pod);
  const spec = copy.spec;
  if (!isObject(spec)) return copy;
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const container of list) {
      const resources = isObject(container) ? container.resources : undefined;
      if (!isObject(resources) || !isObject(resources.limits)) continue;
      if (resources.requests === undefined || resources.requests === null) resources.requests = {};
      const requests = resources.requests;
      if (!isObject(requests)) continue;
      for (const [name, limit] of Object.entries(resources.limits)) {
        // An own property, as JSON.parse makes one: a key such as __proto__ is data here, not a prototype.
        if (!Object.hasOwn(requests, name)) Object.defineProperty(requests, name, { value: limit, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return copy;
}
