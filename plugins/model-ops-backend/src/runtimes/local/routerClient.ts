import { ModelEntry } from './modelStates';
import { isAlive, requestJson } from './processes';
import { RouteTable, sameRoutes } from './routes';
import { RouteEntry } from './state';
import { ROUTER_TOKEN_HEADER } from './token';

const ROUTER_ADMIN_TIMEOUT_MS = 5_000;

/**
 * The admin API of a model's router (`/__model-ops/*` of `assets/local-router.cjs`), guarded by
 * the router token: its health and its route table.
 *
 * @internal
 */
export class RouterClient {
  readonly #token: () => string;

  /** `token` answers the router token, which is only known once the state folder is open. */
  constructor(options: { token: () => string }) {
    this.#token = options.token;
  }

  /** Whether the recorded router answers its health check as the router of this model. */
  async answers(entry: ModelEntry): Promise<boolean> {
    try {
      const answer = await this.#request(entry, 'GET', 'healthz');
      return answer.status === 200 && answer.body?.modelId === entry.modelId;
    } catch {
      return false;
    }
  }

  /** The table the router applies, or undefined when it does not tell. */
  async readRoutes(
    entry: ModelEntry,
  ): Promise<Partial<Record<string, RouteEntry>> | undefined> {
    try {
      const answer = await this.#request(entry, 'GET', 'routes');
      return answer.status === 200 ? answer.body?.upstreams ?? {} : undefined;
    } catch {
      return undefined;
    }
  }

  /** Replaces the router's table; fails unless the router applied exactly this table. */
  async putRoutes(entry: ModelEntry, routes: RouteTable): Promise<void> {
    const answer = await this.#request(entry, 'PUT', 'routes', {
      upstreams: routes,
    });
    if (answer.status !== 200) {
      throw new Error(
        `The router of ${entry.modelId} refused the routes: ${answer.status} ${
          answer.body?.error ?? answer.text
        }`,
      );
    }
    if (!sameRoutes(answer.body?.upstreams, routes)) {
      throw new Error(
        `The router of ${entry.modelId} applied other routes than sent: ${answer.text}`,
      );
    }
  }

  /** {@link RouterClient.putRoutes} when the model's router runs; nothing otherwise. */
  async putRoutesIfRunning(
    entry: ModelEntry,
    routes: RouteTable,
  ): Promise<void> {
    const router = entry.state.router;
    if (router && isAlive(router.pid)) {
      await this.putRoutes(entry, routes);
    }
  }

  async #request(
    entry: ModelEntry,
    method: string,
    what: 'routes' | 'healthz',
    body?: unknown,
  ) {
    const router = entry.state.router;
    if (!router) {
      throw new Error(`The router of ${entry.modelId} is not running`);
    }
    return requestJson({
      url: `http://127.0.0.1:${router.port}/__model-ops/${what}`,
      method,
      body,
      headers: { [ROUTER_TOKEN_HEADER]: this.#token() },
      timeoutMs: ROUTER_ADMIN_TIMEOUT_MS,
    });
  }
}
