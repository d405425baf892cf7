import { describe, expect, it } from '@jest/globals';
import { DATAPLANE_NODE_LABEL, POD_NODE_LABEL, withDataPlaneLabel } from './node-labels.js';

describe('withDataPlaneLabel', () => {
  it("adds the DataPlane's name to the user's labels (undefined members dropped)", () => {
    expect(withDataPlaneLabel({ region: 'eu', gone: undefined }, 'edge')).toEqual({
      region: 'eu',
      [DATAPLANE_NODE_LABEL]: 'edge',
    });
    expect(withDataPlaneLabel(undefined, 'edge')).toEqual({ [DATAPLANE_NODE_LABEL]: 'edge' });
  });

  it('refuses the operator-owned keys with the field to fix', () => {
    for (const key of [DATAPLANE_NODE_LABEL, POD_NODE_LABEL]) {
      expect(() => withDataPlaneLabel({ [key]: 'x' }, 'edge')).toThrow(
        expect.objectContaining({ code: 'INVALID_SPEC', context: { field: `spec.labels.${key}` } }),
      );
    }
  });

  it('refuses a tenth user label: with the operator one the runtime would refuse to start', () => {
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys(withDataPlaneLabel(nine, 'edge'))).toHaveLength(10);
    expect(() => withDataPlaneLabel({ ...nine, k9: 'v' }, 'edge')).toThrow(
      /at most 9 labels can be given \(got 10\)/,
    );
  });
});
