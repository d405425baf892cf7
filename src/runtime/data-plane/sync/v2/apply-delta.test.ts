import { describe, it, expect } from '@jest/globals';
import { applyDeltaChanges, DeltaApplyError } from './apply-delta.js';

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const base = {
  _format_version: '3.0',
  _transform: false,
  services: [{ id: id(1), name: 's' }],
  routes: [
    { id: id(2), name: 'a' },
    { id: id(4), name: 'c' },
  ],
};

describe('applyDeltaChanges', () => {
  it('upserts, deletes and inserts in id order, in the export family order, without touching the base', () => {
    const frozen = structuredClone(base);
    const out = applyDeltaChanges(base, [
      { op: 'upsert', family: 'routes', id: id(3), entity: { id: id(3), name: 'b' } },
      { op: 'delete', family: 'routes', id: id(4), entity: null },
      { op: 'upsert', family: 'consumers', id: id(5), entity: { id: id(5), username: 'u' } },
      { op: 'delete', family: 'services', id: id(1), entity: null },
    ]);
    expect(out).toEqual({
      _format_version: '3.0',
      _transform: false,
      routes: [
        { id: id(2), name: 'a' },
        { id: id(3), name: 'b' },
      ],
      consumers: [{ id: id(5), username: 'u' }],
    });
    expect(Object.keys(out)).toEqual(['_format_version', '_transform', 'routes', 'consumers']);
    expect(base).toEqual(frozen);
    // Untouched families are shared, not copied.
    const again = applyDeltaChanges(base, [{ op: 'delete', family: 'routes', id: id(9), entity: null }]);
    expect(again.services).toBe(base.services);
  });

  it('refuses an unknown family and an entity whose id is not the change id, naming the change', () => {
    const bad = () =>
      applyDeltaChanges(base, [
        { op: 'upsert', family: 'routes', id: id(3), entity: { id: id(3) } },
        { op: 'upsert', family: 'nope', id: id(3), entity: { id: id(3) } },
      ]);
    expect(bad).toThrow(DeltaApplyError);
    expect(bad).toThrow('changes[1]: unknown entity family "nope"');
    expect(() =>
      applyDeltaChanges(base, [{ op: 'upsert', family: 'routes', id: id(3), entity: { id: id(4) } }]),
    ).toThrow(/changes\[0\]: routes entity id does not match/);
  });
});
