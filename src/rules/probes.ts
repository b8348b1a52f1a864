// The readiness and liveness rules: an httpGet probe on the runner container where that probe
// is absent. An existing probe is never touched, not even partly.
import type { Config, ProbeSettings } from '../config.js';
import { probePort } from './probe-port.js';
import { findRunnerContainer } from './runner-container.js';
import type { ChangeName, Rule } from './types.js';

function probeRule(field: 'readinessProbe' | 'livenessProbe', name: ChangeName, pick: (config: Config) => ProbeSettings): Rule {
  return (pod, { config }) => {
    const settings = pick(config);
    const runner = findRunnerContainer(pod, config);
    if (!settings.enabled || !runner || runner[field] != null) return undefined;
    const port = probePort(runner, config.port);
    runner[field] = {
      httpGet: { path: settings.path, port },
      initialDelaySeconds: settings.initialDelaySeconds,
      periodSeconds: settings.periodSeconds,
      timeoutSeconds: settings.timeoutSeconds,
      failureThreshold: settings.failureThreshold,
    };
    return { name, details: [`added ${field} GET ${settings.path} on port ${port} to container "${runner.name}"`] };
  };
}

export const readinessProbe = probeRule('readinessProbe', 'readiness-probe', (config) => config.readinessProbe);
export const livenessProbe = probeRule('livenessProbe', 'liveness-probe', (config) => config.livenessProbe);
