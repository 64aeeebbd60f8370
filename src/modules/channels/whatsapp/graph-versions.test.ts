import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../platform/config.ts';
import { graphEndOfLife, graphVersionWarning, NEWEST_GRAPH_VERSION } from './graph-versions.ts';

describe('Graph API versions (Meta changelog, November 2026)', () => {
  const now = new Date('2026-11-25T09:00:00Z');
  it('defaults to the newest version Meta documents', () => {
    assert.equal(NEWEST_GRAPH_VERSION, 'v26.0');
    assert.equal(loadConfig({}).metaGraphVersion, 'v26.0');
  });
  it('warns for a version past its end of life, or within 30 days of it, and not otherwise', () => {
    assert.equal(graphEndOfLife('v20.0'), '2026-09-24');
    assert.match(graphVersionWarning('v20.0', now) ?? '', /past its end of life \(2026-09-24/);
    assert.match(graphVersionWarning('v9.0', now) ?? '', /past its end of life/);
    assert.match(
      graphVersionWarning('v21.0', new Date('2027-01-01T00:00:00Z')) ?? '',
      /reaches its end of life on 2027-01-21/,
    );
    assert.equal(graphVersionWarning('v21.0', now), undefined);
    assert.equal(graphVersionWarning('v26.0', now), undefined);
    assert.equal(graphVersionWarning('v27.0', now), undefined);
  });
});
