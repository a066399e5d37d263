export { CapacityContent } from './CapacityContent';
