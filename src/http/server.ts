import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** Node's own default for `headersTimeout`. */
const HEADERS_TIMEOUT_MS = 60_000;

export interface HttpServerSettings {
  /** A connection that sends and receives nothing for this long is closed (IDLE_TIMEOUT_SECONDS). */
  idleTimeoutSeconds: number;
}

/**
 * Requests and responses made with the app's own prototypes from the start. Express otherwise
 * swaps the prototype of both objects of every request (`Object.setPrototypeOf`), which sends
 * Node's HTTP code down its slow paths for the rest of the request: measured here, that alone cost
 * about 60 µs of CPU a request, twice what a bare Node server spends on a whole one. Given objects
 * that already have them, its swap changes nothing.
 */
function requestClassesOf(app: Express) {
  function AppRequest(this: IncomingMessage, socket: Socket) {
    Reflect.apply(IncomingMessage, this, [socket]);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, request: IncomingMessage, options: object) {
    Reflect.apply(ServerResponse, this, [request, options]);
  }
  AppResponse.prototype = app.response;
  return {
    IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof ServerResponse,
  };
}

/**
 * The HTTP server for the app. Node's default `requestTimeout` (300 s for a whole request) would cut
 * off any upload slower than 34 MB/s for 10 GiB, so a request may take as long as its bytes keep
 * coming: only a connection that stalls is closed. Headers still have Node's 60 s to arrive.
 */
export function createHttpServer(app: Express, settings: HttpServerSettings): Server {
  // Without a request timeout Node would drop the header timeout too, and let a client that sends
  // its headers a byte a minute hold a connection for ever.
  const server = createServer(
    { requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS, ...requestClassesOf(app) },
    app,
  );
  // With no 'timeout' listener, Node destroys a socket idle for this long.
  server.setTimeout(settings.idleTimeoutSeconds * 1000);
  return server;
}
