// The shape core's HTTP server expects of the /v1 API: answer a request under its prefix, or pass.
// The gateway (createGateway) is the one implementation.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Router {
  /** true when the request was under the router's prefix and has been answered. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}
