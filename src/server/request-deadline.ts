// How long a review may take: the API server appends `?timeout=10s` (a Go duration) to the
// webhook URL and gives up after it, so there is no point holding a request longer than that,
// nor longer than the server's own cap (30 s, the most a webhook's timeoutSeconds allows).

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/gy;

/** Parses a Go duration ("10s", "1m30s", "500ms"); undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    end = PART.lastIndex;
  }
  return end === text.length && end > 0 ? total : undefined;
}

/** The deadline for one request, from its URL's query string and the server's cap. */
export function requestDeadlineMs(url: string | undefined, capMs: number): number {
  const query = url?.indexOf('?') ?? -1;
  if (query < 0) return capMs;
  const timeout = new URLSearchParams(url!.slice(query + 1)).get('timeout');
  const requested = timeout === null ? undefined : parseGoDuration(timeout);
  return requested === undefined || requested <= 0 ? capMs : Math.min(requested, capMs);
}
