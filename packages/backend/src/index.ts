/*
 * The portal's backend: the Backstage plugins a platform team needs around Model Ops (catalog,
 * scaffolder, auth, permissions, notifications, signals) and the Model Ops plugin itself.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

// Serves the built frontend in production; in development the frontend has its own server.
backend.add(import('@backstage/plugin-app-backend'));

// Sign-in. The guest provider is enabled by config for local development only.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// The catalog: models are catalog entities carrying Model Ops annotations.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// Templates that create a model deployment.
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);

// Permissions, with the portal's policy (see portal.permissionPolicy).
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./modules/permissionPolicy'));

backend.add(import('@backstage/plugin-user-settings-backend'));

// Alerts reach users as Backstage notifications; live updates travel over signals.
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@model-ops/plugin-model-ops-backend'));

backend.start();
