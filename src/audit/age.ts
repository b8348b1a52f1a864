// Ages as `kubectl get` prints them (apimachinery's duration.HumanDuration): 45s, 5m30s, 12m,
// 3h20m, 20h, 2d5h, 12d, 2y30d. Admins compare the audit with kubectl, so the figures must match.

export function humanAge(createdMs: number | undefined, nowMs: number): string {
  if (createdMs === undefined) return '<unknown>';
  const seconds = Math.trunc((nowMs - createdMs) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return withRest(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return withRest(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return withRest(days, 'd', hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return withRest(years, 'y', days % 365, 'd');
  return `${years}y`;
}

const withRest = (whole: number, unit: string, rest: number, restUnit: string) =>
  rest === 0 ? `${whole}${unit}` : `${whole}${unit}${rest}${restUnit}`;
