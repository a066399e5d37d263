export { EnvironmentsPanel } from './EnvironmentsPanel';
