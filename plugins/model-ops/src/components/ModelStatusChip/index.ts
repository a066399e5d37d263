export { ModelStatusChip } from './ModelStatusChip';
