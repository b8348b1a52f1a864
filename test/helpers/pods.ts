// Small hand-built runner pods for rule tables: only the fields a case is about.
import type { Container, Pod } from '../../src/rules/types.js';

export function runnerPod(overrides: { runner?: Partial<Container>; spec?: Partial<NonNullable<Pod['spec']>>; metadata?: Pod['metadata'] } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'session-1-runner', namespace: 'team', labels: { app: 'ambient-code-runner' }, ...overrides.metadata },
    spec: {
      containers: [{ name: 'ambient-code-runner', image: 'runner', ...overrides.runner }],
      restartPolicy: 'Never',
      ...overrides.spec,
    },
  };
}

export function initContainer(resources?: Container['resources'], extra: Partial<Container> = {}): Container {
  return { name: 'init', image: 'init', ...(resources === undefined ? {} : { resources }), ...extra };
}
