// Finds the runner container (by its configured name) in a pod's regular containers.
import type { Config } from '../config.js';
import type { PodDraft } from './types.js';

export function findRunnerContainer(pod: PodDraft, config: Config) {
  return pod.spec?.containers?.find((container) => container.name === config.runnerContainer);
}
