export { ModelSpecCard } from './ModelSpecCard';
export { ModelSpecProblems } from './ModelSpecProblems';
