// The one error type of the Kubernetes-facing code, and the reading of API server answers it is
// made from: the CLI prints its message as one line on
// stderr and exits 1. Kept apart from kubeconfig.ts so the CLI can catch it without loading
// @kubernetes/client-node (a second of start-up) for commands that never talk to a cluster.
export class KubeError extends Error {}

/** The first line of a message: API servers, exec plugins and the library all write several. */
export const firstLine = (text: string) => text.split('\n')[0] ?? '';

/** The Kubernetes Status body an API server sends with a failure. */
export interface KubeStatus {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  metadata?: { continue?: string };
}

/** The Status in a response body (parsed, or JSON text), if it holds one. */
export function statusOf(body: unknown): KubeStatus | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && (value as KubeStatus).kind === 'Status' ? (value as KubeStatus) : undefined;
}
