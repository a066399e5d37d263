import fs from 'node:fs';
import path from 'node:path';
import { parseExposition, parseFloatValue } from './exposition';

const fixture = fs.readFileSync(
  path.join(__dirname, '__fixtures__', 'model-server-metrics.txt'),
  'utf8',
);

describe('parseExposition', () => {
  it('reads a real model server scrape (prom-client) into series by sample name', () => {
    const parsed = parseExposition(fixture);
    expect(parsed.get('model_requests_total')).toEqual([
      { labels: { status: '200' }, value: 1 },
      { labels: { status: '400' }, value: 1 },
      { labels: { status: '500' }, value: 0 },
    ]);
    const buckets = parsed.get('model_request_duration_seconds_bucket')!;
    expect(buckets).toHaveLength(14);
    expect(buckets[buckets.length - 1]).toEqual({
      labels: { le: '+Inf' },
      value: 2,
    });
    expect(parsed.get('model_request_duration_seconds_count')).toEqual([
      { labels: {}, value: 2 },
    ]);
    expect(parsed.get('process_cpu_seconds_total')).toEqual([
      { labels: {}, value: 0.025771 },
    ]);
    expect(parsed.get('process_resident_memory_bytes')![0].value).toBe(
      97538048,
    );
    expect(parsed.get('model_info')).toEqual([
      {
        labels: { model_id: 'sentiment-classifier', version: '1.1.0' },
        value: 1,
      },
    ]);
  });

  it('keeps every label set of a labelled histogram (the parser alone would fold them)', () => {
    const parsed = parseExposition(
      [
        '# HELP d Durations.',
        '# TYPE d histogram',
        'd_bucket{route="a",le="0.1"} 1',
        'd_bucket{route="a",le="+Inf"} 2',
        'd_sum{route="a"} 0.3',
        'd_count{route="a"} 2',
        'd_bucket{route="b",le="0.1"} 5',
        'd_bucket{route="b",le="+Inf"} 7',
        'd_sum{route="b"} 1.5',
        'd_count{route="b"} 7',
        '# TYPE up gauge',
        'up 1',
      ].join('\n'),
    );
    expect(parsed.get('d_bucket')).toEqual([
      { labels: { route: 'a', le: '0.1' }, value: 1 },
      { labels: { route: 'a', le: '+Inf' }, value: 2 },
      { labels: { route: 'b', le: '0.1' }, value: 5 },
      { labels: { route: 'b', le: '+Inf' }, value: 7 },
    ]);
    expect(parsed.get('d_count')).toEqual([
      { labels: { route: 'a' }, value: 2 },
      { labels: { route: 'b' }, value: 7 },
    ]);
    expect(parsed.get('up')).toEqual([{ labels: {}, value: 1 }]);
  });

  it('reads escapes, timestamps and special floats', () => {
    const parsed = parseExposition(
      [
        'a{path="C:\\\\DIR",msg="say \\"hi\\"\\n"} 1.5e3 1395066363000',
        'b +Inf',
        'c NaN',
        'd -Inf',
      ].join('\r\n'),
    );
    expect(parsed.get('a')).toEqual([
      { labels: { path: 'C:\\DIR', msg: 'say "hi"\n' }, value: 1500 },
    ]);
    expect(parsed.get('b')![0].value).toBe(Infinity);
    expect(parsed.get('c')![0].value).toBeNaN();
    expect(parsed.get('d')![0].value).toBe(-Infinity);
    expect(parseFloatValue(undefined)).toBeNaN();
  });

  it('throws on a malformed line', () => {
    expect(() => parseExposition('a{b=c} 1')).toThrow();
  });
});
