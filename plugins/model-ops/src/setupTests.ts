import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// The unit phase runs every package's suites side by side on two cores, next to backend suites
// that start real model servers. A render that takes 0.3 s alone can take several seconds there,
// so the bounds are wide: a test that waits for an answer waits up to 10 s (`findBy*`,
// `waitFor`), and a whole test up to 60 s. Nothing here sleeps; a passing test is as fast as
// before, only a failing one takes longer to report.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(60_000);
