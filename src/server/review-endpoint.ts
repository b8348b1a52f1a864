// POST /mutate: AdmissionReview in, AdmissionReview out, on plain node:http objects. This path
// skips express on purpose: routing a review through express 5 costs about 45% of the
// throughput a bare node:https server gets (DESIGN.md, "Fast"), and a review needs none of its
// machinery. Bad requests get a 4xx with a message that says what was wrong, never a stack.
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { BadReviewError, readAdmissionReview, type AdmissionRequest } from '../admission/request.js';
import { encodeAnswer } from '../admission/response.js';
import { review } from '../admission/review.js';
import type { Decision } from '../admission/decide.js';
import type { RuleContext } from '../rules/types.js';
import { requestDeadlineMs } from './request-deadline.js';
import { turnBatch } from './turn-batch.js';

/** What happened to one request, for the log line and the metrics. */
export interface ReviewRecord {
  status: number;
  request?: AdmissionRequest;
  decision?: Decision;
  /** Our own words for a refused request; never a value from the body. */
  error?: string;
  /** For a 500 only, what failed, for the log line, never the answer (see failureCause). */
  cause?: string;
}

export interface ReviewEndpointOptions {
  /** The rules' inputs for a request (the config, and later the namespace's LimitRanges). */
  context: (request: AdmissionRequest) => RuleContext;
  maxBodyBytes: number;
  maxDurationMs: number;
}

/**
 * A failure's type and message, cut before the first quote: an engine message can quote a value
 * ("Cannot create property 'x' on string '...'"), and a value may be a credential from the pod.
 */
function failureCause(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
  const quote = text.search(/['"`]/);
  return quote < 0 ? text : `${text.slice(0, quote).trimEnd()} …`;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Sends text, not a Buffer: node:http joins a string body to the headers and writes once. */
function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** application/json in any case, with or without parameters (`; charset=utf-8`). */
const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_TYPE.test(contentType);
}

/**
 * Reads the body within the size limit and the deadline. A refused body is read on and thrown
 * away, so the client can finish sending and read our answer (closing at once would reset the
 * connection under it); the deadline still bounds how long that may take.
 */
function readBody(req: IncomingMessage, options: ReviewEndpointOptions, deadlineMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) req.socket.destroy();
      else reject(new RequestError(408, `the body did not arrive within ${deadlineMs / 1000}s`));
      settled = true;
    }, deadlineMs);
    req.once('close', () => clearTimeout(timer));
    // Decoded as it arrives; a leading byte order mark is dropped (RFC 8259 lets a parser ignore it).
    getRawBody(req, { limit: options.maxBodyBytes, length: req.headers['content-length'], encoding: 'utf8' }, (error, body) => {
      if (settled) return;
      settled = true;
      if (!error) {
        clearTimeout(timer);
        return resolve(body);
      }
      req.resume();
      if (error.type === 'entity.too.large') reject(new RequestError(413, `body larger than ${options.maxBodyBytes} bytes`));
      else if (error.type === 'request.size.invalid') reject(new RequestError(400, 'body length does not match Content-Length'));
      else if (error.type === 'request.aborted') reject(new RequestError(400, 'the client closed the request before the body ended'));
      else reject(new RequestError(400, 'the body could not be read'));
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // The engine's message quotes the body, which may hold credentials: keep only the position.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new RequestError(400, `body is not valid JSON${position ? ` (at byte ${position})` : ''}`);
  }
}

/** A body waiting for its turn's batch, and how to hand its request its answer. */
interface QueuedReview {
  body: string;
  resolve: (reviewed: ReviewedBody) => void;
  reject: (error: unknown) => void;
}

interface ReviewedBody {
  request: AdmissionRequest;
  decision: Decision;
  /** The answer's text, ready to send. */
  text: string;
}

/**
 * Parses, reviews and encodes one body of the batch. Sending is left to each request's own
 * continuation, which runs once the whole batch is done: first every review, then every answer.
 */
function reviewQueued(options: ReviewEndpointOptions): (queued: QueuedReview) => void {
  return ({ body, resolve, reject }: QueuedReview): void => {
    try {
      const request = readAdmissionReview(parseJson(body));
      const { decision, answer } = review(request, options.context(request));
      resolve({ request, decision, text: encodeAnswer(answer) });
    } catch (error) {
      reject(error);
    }
  };
}

/**
 * The review endpoint. A body, once read, waits for the end of the event loop's turn and is
 * reviewed with the others read in it (turn-batch.ts says why); alone, it waits only for the
 * turn's other callbacks.
 */
export function reviewEndpoint(options: ReviewEndpointOptions) {
  const reviews = turnBatch(reviewQueued(options));
  return async function handleReview(req: IncomingMessage, res: ServerResponse): Promise<ReviewRecord> {
    try {
      if (req.method !== 'POST') throw new RequestError(405, `method ${req.method} is not allowed on /mutate; use POST`);
      if (!isJson(req.headers['content-type'])) {
        throw new RequestError(415, `content type must be application/json, not ${req.headers['content-type'] ?? 'missing'}`);
      }
      const body = await readBody(req, options, requestDeadlineMs(req.url, options.maxDurationMs));
      const { request, decision, text } = await new Promise<ReviewedBody>((resolve, reject) => reviews.add({ body, resolve, reject }));
      send(res, 200, text);
      return { status: 200, request, decision };
    } catch (error) {
      const status = error instanceof RequestError ? error.status : error instanceof BadReviewError ? 400 : 500;
      const message = status === 500 ? 'internal error' : (error as Error).message;
      const headers: Record<string, string> = status === 405 ? { allow: 'POST' } : {};
      // A body that stopped arriving leaves the connection in an unknown state: do not reuse it.
      if (status === 408) headers.connection = 'close';
      if (!res.headersSent) send(res, status, JSON.stringify({ error: message }), headers);
      return status === 500 ? { status, error: message, cause: failureCause(error) } : { status, error: message };
    }
  };
}
