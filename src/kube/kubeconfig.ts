// Which cluster the commands that talk to Kubernetes (certs --apply, audit) use, and how their API
// failures read: a --kubeconfig file, or kubectl's loading rules ($KUBECONFIG, ~/.kube/config, then
// the in-cluster service account); and an API error turned into one line naming the object and the cause.
import { ApiException, KubeConfig, type Cluster } from '@kubernetes/client-node';
import { KubeError, firstLine, statusOf } from './kube-error.js';

/** The kubeconfig to use and its current cluster; a KubeError saying why not otherwise. */
export function loadKubeConfig(file?: string): { config: KubeConfig; cluster: Cluster } {
  const config = new KubeConfig();
  const source = file ? `the kubeconfig ${file}` : 'the kubeconfig';
  try {
    if (file) config.loadFromFile(file);
    else config.loadFromDefault();
  } catch (error) {
    // The library reads an empty or shapeless file by dereferencing what is not there.
    const reason = error instanceof TypeError ? 'it is not a kubeconfig (no clusters, users and contexts)' : firstLine((error as Error).message);
    throw new KubeError(`cannot load ${source}: ${reason}`);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new KubeError(`${source} has no current context with a cluster`);
  // With no kubeconfig anywhere and no service account, the library settles for this placeholder.
  if (!file && cluster.name === 'cluster' && cluster.server === 'http://localhost:8080' && config.getCurrentUser()?.name === 'user') {
    throw new KubeError('no kubeconfig found: give --kubeconfig, set $KUBECONFIG, write ~/.kube/config, or run in a pod with a service account token');
  }
  return { config, cluster };
}

/**
 * One line for a failed call: `<doing> <object>: <cause>`, for example
 * `cannot read Secret ns/name: forbidden (403): secrets "name" is forbidden: ...`.
 */
export function describeKubeFailure(error: unknown, doing: string, object: string, server: string): KubeError {
  if (error instanceof ApiException) {
    const code = (error as ApiException<unknown>).code;
    const status = statusOf((error as ApiException<unknown>).body);
    const detail = status?.message ? `: ${firstLine(status.message)}` : '';
    if (code === 401) return new KubeError(`${doing} ${object}: the API server at ${server} refused the credentials (401 Unauthorized)`);
    if (code === 403) return new KubeError(`${doing} ${object}: forbidden (403)${detail}`);
    if (code === 404) return new KubeError(`${doing} ${object}: not found (404)${detail}`);
    return new KubeError(`${doing} ${object}: the API server answered ${code}${status?.reason ? ` ${status.reason}` : ''}${detail}`);
  }
  return new KubeError(`${doing} ${object}: cannot reach the API server at ${server}: ${firstLine((error as Error).message)}`);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && (error as ApiException<unknown>).code === 404;
}
