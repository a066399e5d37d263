import { RuleSet } from '@model-ops/plugin-model-ops-common';
import { HealthLimits } from './TrafficSwitching';

// What a rule set that says nothing about a metric is held to: the seed's warning levels.
const FALLBACK: HealthLimits = { maxErrorRatePct: 5, maxP95Ms: 5000 };

/**
 * The limits the watch after a switch (and a canary's analysis) holds traffic to: the warning
 * levels of the `>` rules on errorRate and responseTimeP95 of the named rule set, or of the
 * `default` set when there is no such set.
 *
 * @internal
 */
export function healthLimitsOf(
  ruleSets: ReadonlyMap<string, RuleSet>,
  rules: string,
): HealthLimits {
  const set = ruleSets.get(rules) ?? ruleSets.get('default');
  const level = (metric: string, fallback: number) =>
    set?.rules.find(r => r.metric === metric && r.operator === '>')?.warning ??
    fallback;
  return {
    maxErrorRatePct: level('errorRate', FALLBACK.maxErrorRatePct),
    maxP95Ms: level('responseTimeP95', FALLBACK.maxP95Ms),
  };
}
