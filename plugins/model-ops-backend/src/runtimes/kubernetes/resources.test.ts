import { versionLabel } from './resources';

describe('versionLabel', () => {
  it('keeps valid versions and cleans the others', () => {
    expect(versionLabel('1.2.3')).toBe('1.2.3');
    expect(versionLabel('1.2.3+build.7')).toBe('1.2.3_build.7');
    expect(versionLabel('v'.repeat(80))).toHaveLength(63);
    expect(versionLabel('++')).toBe('unknown');
  });
});
