export { StatusCard } from './StatusCard';
