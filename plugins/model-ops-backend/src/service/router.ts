import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import { createOpenApiRouter } from '../schema/openapi/generated/router';
import { ModelsService } from './ModelsService';

/**
 * Maps HTTP to the plugin's services; no logic lives here.
 *
 * @internal
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  models: ModelsService;
}): Promise<express.Router> {
  const { httpAuth, models } = options;
  const router = await createOpenApiRouter();

  router.get('/models', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    res.json({ items: await models.listModels(credentials) });
  });

  router.get('/entities/:kind/:namespace/:name', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { kind, namespace, name } = req.params;
    res.json(await models.getModel({ kind, namespace, name }, credentials));
  });

  return router;
}
