import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import modelOpsPlugin from '@model-ops/plugin-model-ops/alpha';
import { navModule } from './modules/nav';

export default createApp({
  features: [catalogPlugin, modelOpsPlugin, navModule],
});
