export { ModelSpecCard } from './ModelSpecCard';
export { ModelSpecProblems, isBlockingProblem } from './ModelSpecProblems';
