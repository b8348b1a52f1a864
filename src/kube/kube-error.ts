// The one error type of the Kubernetes-facing code: the CLI prints its message as one line on
// stderr and exits 1. Kept apart from kubeconfig.ts so the CLI can catch it without loading
// @kubernetes/client-node (a second of start-up) for commands that never talk to a cluster.
export class KubeError extends Error {}
