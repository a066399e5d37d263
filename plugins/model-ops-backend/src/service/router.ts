import { AuditorService, HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import type { AlertingService } from '../alerting';
import type { CapacityService } from '../capacity';
import type { DeploymentsService } from '../deployments';
import type { EnvironmentsService } from '../environments';
import type { ModelsService } from '../models';
import type { MonitoringService } from '../monitoring';
import { createOpenApiRouter, spec } from '../schema/openapi/generated';
import { unknownFieldsNamed } from './unknownFields';

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Maps HTTP to the plugin's services; no logic lives here.
 *
 * @internal
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  models: ModelsService;
  deployments: DeploymentsService;
  environments: EnvironmentsService;
  monitoring: MonitoringService;
  alerting: AlertingService;
  capacity: CapacityService;
}): Promise<express.Router> {
  const {
    httpAuth,
    auditor,
    models,
    deployments,
    environments,
    monitoring,
    alerting,
    capacity,
  } = options;
  const router = await createOpenApiRouter({
    // Backstage's default body parser, then the name of any property a closed body refuses.
    middleware: [express.json(), unknownFieldsNamed(spec)],
  });
  // Typed by what httpAuth accepts, so that every route's typed request fits.
  const credentialsOf = (req: Parameters<HttpAuthService['credentials']>[0]) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  router.get('/models', async (req, res) => {
    const { q, owner, status, sort, order, offset, limit } = req.query;
    res.json(
      await models.listModels(await credentialsOf(req), {
        q,
        owner,
        status,
        sort,
        order,
        offset,
        limit,
      }),
    );
  });

  router.get('/entities/:kind/:namespace/:name', async (req, res) => {
    const { kind, namespace, name } = req.params;
    res.json(
      await models.getModel(
        { kind, namespace, name },
        await credentialsOf(req),
      ),
    );
  });

  router.post('/deployments', async (req, res) => {
    const credentials = await credentialsOf(req);
    const run = await deployments.create(req.body, {
      credentials,
      request: req,
    });
    res.status(202).json(run);
  });

  router.get('/deployments/:id', async (req, res) => {
    res.json(await deployments.get(req.params.id, await credentialsOf(req)));
  });

  router.post('/deployments/:id/cancel', async (req, res) => {
    const credentials = await credentialsOf(req);
    res
      .status(202)
      .json(
        await deployments.cancel(req.params.id, { credentials, request: req }),
      );
  });

  router.post('/deployments/:id/promote', async (req, res) => {
    const credentials = await credentialsOf(req);
    res.status(202).json(
      await deployments.canaryCommand(req.params.id, 'promote', {
        credentials,
        request: req,
      }),
    );
  });

  router.post('/deployments/:id/abort', async (req, res) => {
    const credentials = await credentialsOf(req);
    res.status(202).json(
      await deployments.canaryCommand(req.params.id, 'abort', {
        credentials,
        request: req,
      }),
    );
  });

  router.get(
    '/entities/:kind/:namespace/:name/deployments',
    async (req, res) => {
      const { kind, namespace, name } = req.params;
      res.json(
        await deployments.list(
          { kind, namespace, name },
          { limit: req.query.limit, cursor: req.query.cursor },
          await credentialsOf(req),
        ),
      );
    },
  );

  router.post('/entities/:kind/:namespace/:name/rollback', async (req, res) => {
    const { kind, namespace, name } = req.params;
    const credentials = await credentialsOf(req);
    const run = await deployments.rollback(
      { kind, namespace, name },
      req.body ?? {},
      { credentials, request: req },
    );
    res.status(202).json(run);
  });

  router.get('/entities/:kind/:namespace/:name/artifacts', async (req, res) => {
    const { kind, namespace, name } = req.params;
    res.json({
      items: await deployments.availableVersions(
        { kind, namespace, name },
        await credentialsOf(req),
      ),
    });
  });

  router.get(
    '/entities/:kind/:namespace/:name/slots/:slot/logs',
    async (req, res) => {
      const { kind, namespace, name, slot } = req.params;
      const lines = req.query.lines ?? 100;
      res.json(
        await deployments.slotLogs(
          { kind, namespace, name },
          slot,
          lines,
          await credentialsOf(req),
        ),
      );
    },
  );

  router.get(
    '/entities/:kind/:namespace/:name/environments',
    async (req, res) => {
      const { kind, namespace, name } = req.params;
      res.json(
        await environments.get(
          { kind, namespace, name },
          await credentialsOf(req),
        ),
      );
    },
  );

  router.post(
    '/entities/:kind/:namespace/:name/environments/switch',
    async (req, res) => {
      const { kind, namespace, name } = req.params;
      const credentials = await credentialsOf(req);
      res.json(
        await environments.switch({ kind, namespace, name }, req.body ?? {}, {
          credentials,
          request: req,
        }),
      );
    },
  );

  router.post(
    '/entities/:kind/:namespace/:name/environments/rollback-switch',
    async (req, res) => {
      const { kind, namespace, name } = req.params;
      const credentials = await credentialsOf(req);
      const result = await environments.rollbackSwitch(
        { kind, namespace, name },
        req.body ?? {},
        { credentials, request: req },
      );
      // A redeploy through the pipeline is accepted for later, like any run.
      res.status('stages' in result ? 202 : 200).json(result);
    },
  );

  router.get('/entities/:kind/:namespace/:name/metrics', async (req, res) => {
    const { kind, namespace, name } = req.params;
    res.json(
      await monitoring.series(
        { kind, namespace, name },
        req.query,
        await credentialsOf(req),
      ),
    );
  });

  router.get('/entities/:kind/:namespace/:name/status', async (req, res) => {
    const { kind, namespace, name } = req.params;
    res.json(
      await monitoring.status(
        { kind, namespace, name },
        await credentialsOf(req),
      ),
    );
  });

  router.get('/entities/:kind/:namespace/:name/capacity', async (req, res) => {
    const { kind, namespace, name } = req.params;
    res.json(
      await capacity.report(
        { kind, namespace, name },
        { period: req.query.period },
        await credentialsOf(req),
      ),
    );
  });

  router.get('/entities/:kind/:namespace/:name/alerts', async (req, res) => {
    const { kind, namespace, name } = req.params;
    res.json({
      items: await monitoring.listAlerts(
        { kind, namespace, name },
        req.query.state,
        await credentialsOf(req),
      ),
    });
  });

  router.post(
    '/entities/:kind/:namespace/:name/alerts/:alertId/acknowledge',
    async (req, res) => {
      const { kind, namespace, name, alertId } = req.params;
      const credentials = await credentialsOf(req);
      res.json(
        await alerting.acknowledge(
          { kind, namespace, name },
          alertId,
          req.body ?? {},
          { credentials, request: req },
        ),
      );
    },
  );

  router.post(
    '/entities/:kind/:namespace/:name/alerts/:alertId/resolve',
    async (req, res) => {
      const { kind, namespace, name, alertId } = req.params;
      const credentials = await credentialsOf(req);
      res.json(
        await alerting.resolve(
          { kind, namespace, name },
          alertId,
          req.body ?? {},
          {
            credentials,
            request: req,
          },
        ),
      );
    },
  );

  router.post('/alertmanager/webhook', async (req, res) => {
    const credentials = await credentialsOf(req);
    res.json(
      await alerting.ingestAlertmanager(req.body, {
        credentials,
        request: req,
      }),
    );
  });

  router.get(
    '/entities/:kind/:namespace/:name/alerts/:alertId/deliveries',
    async (req, res) => {
      const { kind, namespace, name, alertId } = req.params;
      res.json({
        items: await alerting.deliveries(
          { kind, namespace, name },
          alertId,
          await credentialsOf(req),
        ),
      });
    },
  );

  router.get('/entities/:kind/:namespace/:name/silences', async (req, res) => {
    const { kind, namespace, name } = req.params;
    res.json({
      items: await alerting.listSilences(
        { kind, namespace, name },
        await credentialsOf(req),
      ),
    });
  });

  router.post('/entities/:kind/:namespace/:name/silences', async (req, res) => {
    const { kind, namespace, name } = req.params;
    const credentials = await credentialsOf(req);
    res.status(201).json(
      await alerting.createSilence({ kind, namespace, name }, req.body, {
        credentials,
        request: req,
      }),
    );
  });

  router.post(
    '/entities/:kind/:namespace/:name/silences/:silenceId/expire',
    async (req, res) => {
      const { kind, namespace, name, silenceId } = req.params;
      const credentials = await credentialsOf(req);
      res.json(
        await alerting.expireSilence({ kind, namespace, name }, silenceId, {
          credentials,
          request: req,
        }),
      );
    },
  );

  router.get('/entities/:kind/:namespace/:name/incidents', async (req, res) => {
    const { kind, namespace, name } = req.params;
    res.json({
      items: await alerting.listIncidents(
        { kind, namespace, name },
        await credentialsOf(req),
      ),
    });
  });

  router.get(
    '/entities/:kind/:namespace/:name/incidents/:incidentId',
    async (req, res) => {
      const { kind, namespace, name, incidentId } = req.params;
      res.json(
        await alerting.getIncident(
          { kind, namespace, name },
          incidentId,
          await credentialsOf(req),
        ),
      );
    },
  );

  router.get(
    '/entities/:kind/:namespace/:name/incidents/:incidentId/report',
    async (req, res) => {
      const { kind, namespace, name, incidentId } = req.params;
      const report = await alerting.incidentReport(
        { kind, namespace, name },
        incidentId,
        await credentialsOf(req),
      );
      // The typed router knows JSON bodies only; the report is Markdown.
      (res as unknown as express.Response)
        .type('text/markdown; charset=utf-8')
        .setHeader(
          'Content-Disposition',
          `attachment; filename="incident-${incidentId}.md"`,
        )
        .send(report);
    },
  );

  router.get('/incidents', async (req, res) => {
    res.json({
      items: await alerting.openIncidents(await credentialsOf(req)),
    });
  });

  router.get('/alerts', async (req, res) => {
    res.json({ items: await alerting.openAlerts(await credentialsOf(req)) });
  });

  // The credentials barrier, kept here rather than in the backend's default one (the plugin
  // marks its routes unauthenticated for that) so that a refused mutation is audited like a
  // refused permission. Ahead of the schema's validation: no credentials, no other answer.
  const barrier = express.Router();
  barrier.use((req, _res, next) => {
    credentialsOf(req).then(
      () => next(),
      async error => {
        if (MUTATING_METHODS.has(req.method)) {
          try {
            const event = await auditor.createEvent({
              eventId: 'request-unauthenticated',
              severityLevel: 'medium',
              request: req,
              meta: { method: req.method, path: req.path },
            });
            await event.fail({ error: error as Error });
          } catch {
            // The 401 stands even when the audit log cannot be written.
          }
        }
        next(error);
      },
    );
  });
  barrier.use(router);
  return barrier;
}
