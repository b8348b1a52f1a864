// Which port the runner's probes call: the named container port (so a port change in the
// runtime registry keeps working), else a literal AGUI_PORT env value, else the first
// container port, else the configured fallback.
import type { Config } from '../config.js';
import type { Container } from './types.js';

type Readable<T> = { readonly [K in keyof T]: T[K] };

export function probePort(container: Readable<Container>, port: Config['port']): number | string {
  const ports = container.ports ?? [];
  if (ports.some((entry) => entry?.name === port.name)) return port.name;
  // The last definition of a name is the one the container gets, as the kubelet builds its env.
  const env = container.env?.findLast((entry) => entry?.name === port.env);
  const fromEnv = env && env.valueFrom == null ? portNumber(env.value) : undefined;
  if (fromEnv !== undefined) return fromEnv;
  for (const entry of ports) {
    const number = portNumber(entry?.containerPort);
    if (number !== undefined) return number;
  }
  return port.fallback;
}

/** A TCP port number, from a number or from digits only (so "$(PORT)" and "80a" are not ports). */
function portNumber(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(number) && number >= 1 && number <= 65535 ? number : undefined;
}
