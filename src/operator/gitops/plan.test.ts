import { describe, expect, it } from '@jest/globals';
import { entityCount, managedHash } from './managed-hash.js';
import { decide, describeChanges, type GitOpsStatus } from './plan.js';

const observed = [{ name: 'cm', resourceVersion: '5' }];
const prev: GitOpsStatus = { appliedHash: 'h1', managedTag: 't', observedConfigMaps: observed, entities: 2 };

describe('decide', () => {
  it('does nothing while files, tag and the managed entities are as applied', () => {
    expect(decide(prev, true, 't', [{ name: 'cm', resourceVersion: '5' }], 'h1')).toEqual({ kind: 'none' });
  });
  it('applies on a new ConfigMap version, a new tag, a first run or after a failure', () => {
    expect(decide(prev, true, 't', [{ name: 'cm', resourceVersion: '6' }], 'h1').kind).toBe('apply');
    expect(decide(prev, true, 'u', observed, 'h1').kind).toBe('apply');
    expect(decide(undefined, true, 't', observed, 'h1').kind).toBe('apply');
    expect(decide(prev, false, 't', observed, 'h1').kind).toBe('apply');
  });
  it('repairs when only the control plane side changed', () => {
    expect(decide(prev, true, 't', observed, 'h2')).toEqual({ kind: 'repair' });
  });
});

describe('managedHash', () => {
  it('ignores timestamps and key order, sees any other change', () => {
    const a = { _format_version: '3.0', services: [{ id: '1', name: 's', created_at: 1, updated_at: 2 }] };
    const b = { services: [{ updated_at: 9, name: 's', id: '1' }], _format_version: '3.0' };
    expect(managedHash(a)).toBe(managedHash(b));
    expect(managedHash({ ...a, services: [{ id: '1', name: 't' }] })).not.toBe(managedHash(a));
    expect(entityCount({ _format_version: '3.0', services: [{}, {}], routes: [{}] })).toBe(3);
  });
});

describe('describeChanges', () => {
  it('names entities per family and counts the rest', () => {
    expect(
      describeChanges([
        { op: 'update', family: 'routes', id: 'r', name: 'echo' },
        { op: 'delete', family: 'services', id: 's', name: 'gone' },
        { op: 'create', family: 'plugins', id: 'p-1' },
      ]),
    ).toBe('routes: echo (updated); services: gone (deleted); plugins: p-1 (created)');
    expect(describeChanges([], 1)).toBe('no changes');
    const many = Array.from({ length: 3 }, (_, i) => ({
      op: 'create' as const,
      family: 'services',
      id: `${i}`,
    }));
    expect(describeChanges(many, 2)).toBe('services: 0 (created), 1 (created); and 1 more');
  });
});
