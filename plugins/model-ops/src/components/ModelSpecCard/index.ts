export { ModelSpecCard, ModelSpecProblems } from './ModelSpecCard';
