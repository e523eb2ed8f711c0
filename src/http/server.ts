import { createServer, type RequestListener, type Server } from 'node:http';

/** Node's own default for `headersTimeout`. */
const HEADERS_TIMEOUT_MS = 60_000;

export interface HttpServerSettings {
  /** A connection that sends and receives nothing for this long is closed (IDLE_TIMEOUT_SECONDS). */
  idleTimeoutSeconds: number;
}

/**
 * The HTTP server for the app. Node's default `requestTimeout` (300 s for a whole request) would cut
 * off any upload slower than 34 MB/s for 10 GiB, so a request may take as long as its bytes keep
 * coming: only a connection that stalls is closed. Headers still have Node's 60 s to arrive.
 */
export function createHttpServer(handler: RequestListener, settings: HttpServerSettings): Server {
  // Without a request timeout Node would drop the header timeout too, and let a client that sends
  // its headers a byte a minute hold a connection for ever.
  const server = createServer({ requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS }, handler);
  // With no 'timeout' listener, Node destroys a socket idle for this long.
  server.setTimeout(settings.idleTimeoutSeconds * 1000);
  return server;
}
