export { ModelOpsPage } from './ModelOpsPage';
