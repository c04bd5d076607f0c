// The Prometheus exposition: counters and cumulative histogram buckets, escaped labels.
import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics';

describe('Metrics', () => {
  it('renders counters and cumulative histograms', () => {
    const metrics = new Metrics();
    metrics.observeRequest('POST', '/v1/enrich', 200, 0.004);
    metrics.observeRequest('POST', '/v1/enrich', 200, 0.2);
    metrics.observeProviderCall('openai', 'ok', 0.03);
    const text = metrics.render();
    expect(text).toContain('# TYPE byok_http_requests_total counter');
    expect(text).toContain('byok_http_requests_total{method="POST",route="/v1/enrich",status="200"} 2');
    expect(text).toContain('byok_http_request_duration_seconds_bucket{method="POST",route="/v1/enrich",status="200",le="0.005"} 1');
    expect(text).toContain('byok_http_request_duration_seconds_bucket{method="POST",route="/v1/enrich",status="200",le="0.25"} 2');
    expect(text).toContain('byok_http_request_duration_seconds_bucket{method="POST",route="/v1/enrich",status="200",le="+Inf"} 2');
    expect(text).toContain('byok_http_request_duration_seconds_count{method="POST",route="/v1/enrich",status="200"} 2');
    expect(text).toContain('byok_provider_calls_total{provider="openai",outcome="ok"} 1');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('escapes label values', () => {
    const metrics = new Metrics();
    metrics.observeRequest('GET', 'a"b\\c', 404, 0.001);
    expect(metrics.render()).toContain('route="a\\"b\\\\c"');
  });

  it('renders sampled families with the values read at that moment', () => {
    const metrics = new Metrics();
    let waiting = 3;
    metrics.sample('byok_test_waiting', 'gauge', 'Waiting now.', () => [{ labels: {}, value: waiting }]);
    metrics.sample('byok_test_waits_total', 'counter', 'Waits by result.', () => [{ labels: { result: 'busy' }, value: 2 }]);
    expect(metrics.render()).toContain('# TYPE byok_test_waiting gauge\nbyok_test_waiting 3\n');
    waiting = 0;
    const text = metrics.render();
    expect(text).toContain('byok_test_waiting 0\n');
    expect(text).toContain('# TYPE byok_test_waits_total counter\nbyok_test_waits_total{result="busy"} 2\n');
  });
});
