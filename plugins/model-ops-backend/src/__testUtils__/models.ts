import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ModelSpecContext } from '@model-ops/plugin-model-ops-common';
import { DefaultModelIndex } from '../models/ModelIndex';

/**
 * The real model index over an in-memory catalog of the given entities, for tests of the
 * capabilities that read models.
 */
export function testModelIndex(
  entities: Entity[],
  specContext: ModelSpecContext = {},
): DefaultModelIndex {
  return DefaultModelIndex.create({
    catalog: catalogServiceMock({ entities }),
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
    specContext: () => specContext,
    options: {
      maxAgeMs: 60_000,
      schedule: { frequency: { seconds: 30 }, timeout: { minutes: 1 } },
    },
  });
}
