// Everything the server answers besides reviews, on express 5: health, readiness, metrics, and
// clear 404/405 answers. Errors answer with a message, never a stack trace.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Metrics } from './metrics.js';

export interface ServerState {
  /** The serving certificate is loaded and the listener is open. */
  listening: boolean;
  /** SIGTERM or SIGINT was received: readiness fails so no new traffic is sent. */
  draining: boolean;
}

const ENDPOINTS = ['/healthz', '/readyz', '/metrics'];

/** `reportWaiting` counts the answered reviews still waiting for their batch before a scrape (see observe.ts). */
export function createApp(state: ServerState, metrics: Metrics, reportWaiting: () => void): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('strict routing', true);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    if (state.draining) res.status(503).type('text/plain').send('shutting down\n');
    else if (!state.listening) res.status(503).type('text/plain').send('not listening yet\n');
    else res.type('text/plain').send('ok\n');
  });
  app.get('/metrics', async (_req, res) => {
    reportWaiting();
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.all(ENDPOINTS, (req, res) => {
    res.status(405).set('allow', 'GET, HEAD').json({ error: `method ${req.method} is not allowed on ${req.path}; use GET` });
  });
  app.use((req, res) => {
    res.status(404).json({ error: `no endpoint at ${req.path}; the webhook answers POST /mutate, GET /healthz, /readyz and /metrics` });
  });
  app.use((error: { status?: number; statusCode?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status ?? error.statusCode ?? 500;
    res.status(status >= 400 && status < 600 ? status : 500).json({ error: status < 500 ? 'bad request' : 'internal error' });
  });
  return app;
}
