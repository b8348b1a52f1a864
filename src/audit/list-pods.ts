// Reads pods page by page (`limit` and `continue`), so a cluster with tens of thousands of pods is
// read in bounded memory: the caller turns each page into small rows before the next is fetched.
// A 410 Expired continue token is handled as kubectl and client-go do: when the Status carries a
// fresh token, go on with it (the list is then complete but not one consistent snapshot).
import type { V1PodList } from '@kubernetes/client-node';
import type { Pod } from '../rules/types.js';
import { ApiStatusError, AuditError, type Connection } from '../kube/connection.js';

/**
 * A PodList as the wire carries it. The model's V1ListMeta names the token `_continue` (its
 * serializer maps it); the JSON, which is what we read, says `continue`.
 */
type WirePodList = Omit<V1PodList, 'metadata'> & { metadata?: { continue?: string; resourceVersion?: string } };

export interface PodQuery {
  /** One namespace, or every namespace when undefined. */
  namespace?: string;
  /** The API's labelSelector; empty lists every pod. */
  labelSelector: string;
  /** Pods per page. */
  limit: number;
}

export function podsPath(query: PodQuery, continueToken?: string): string {
  const path = query.namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(query.namespace)}/pods`;
  const params = new URLSearchParams();
  if (query.labelSelector) params.set('labelSelector', query.labelSelector);
  params.set('limit', String(query.limit));
  if (continueToken) params.set('continue', continueToken);
  return `${path}?${params.toString()}`;
}

/** Yields the pods of each page; `note` gets a sentence when the list became inconsistent. */
export async function* listPods(connection: Connection, query: PodQuery, note: (line: string) => void): AsyncGenerator<Pod[]> {
  let token: string | undefined;
  do {
    let page: WirePodList;
    try {
      page = (await connection.get(podsPath(query, token))) as WirePodList;
    } catch (error) {
      const fresh = expiredContinue(error, token);
      if (fresh === undefined) throw error;
      note(
        'the list expired while paging (410 Expired); continuing with the token the API server gave: ' +
          'pods created or deleted meanwhile may be missed or counted twice',
      );
      token = fresh;
      continue;
    }
    if (!Array.isArray(page.items)) throw new AuditError(`the API server at ${connection.server} answered with something that is not a PodList`);
    yield page.items as Pod[];
    token = page.metadata?.continue;
  } while (token);
}

/** The token to go on with after a 410 for an expired continue token; throws when there is none. */
function expiredContinue(error: unknown, sent: string | undefined): string | undefined {
  if (!(error instanceof ApiStatusError) || error.code !== 410 || sent === undefined) return undefined;
  const fresh = error.status?.metadata?.continue;
  if (fresh) return fresh;
  throw new AuditError(
    `the list expired while paging (410 Expired) at ${error.server} and the API server gave no token to go on with; run the audit again, or with a larger --chunk-size`,
  );
}
