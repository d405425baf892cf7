import { describe, expect, it } from '@jest/globals';
import { parseTable, printedRowProblems } from './status.js';

// kubectl's columns for DataPlanes (crds/hybridgate.dev_dataplanes.yaml); "CONFIG HASH" holds a space.
const TABLE = `NAME          READY   DESIRED   SYNCED   VERSION   CONFIG HASH   AGE
demo-public   2       2         2/2      0.1.0     0123abcd      5m
demo-other    1       2         1/2      0.1.0                   5m
`;

describe('kubectl get dataplanes parsing', () => {
  it('reads columns by the header, including a header with a space and an empty cell', () => {
    const rows = parseTable(TABLE);
    expect(rows[0]).toEqual({
      NAME: 'demo-public',
      READY: '2',
      DESIRED: '2',
      SYNCED: '2/2',
      VERSION: '0.1.0',
      'CONFIG HASH': '0123abcd',
      AGE: '5m',
    });
    expect(rows[1]!['CONFIG HASH']).toBe('');
    expect(parseTable('')).toEqual([]);
  });

  it('names every column that does not show a converged DataPlane', () => {
    const [ok, bad] = parseTable(TABLE);
    const want = { replicas: 2, version: '0.1.0', cpHash: '0123abcd'.padEnd(32, '0') };
    expect(printedRowProblems(ok, { name: 'demo-public', ...want })).toEqual([]);
    expect(printedRowProblems(bad, { name: 'demo-other', ...want })).toEqual([
      'demo-other: READY 1 (want 2)',
      'demo-other: SYNCED 1/2 (want 2/2)',
      'demo-other: CONFIG HASH  (want 0123abcd)',
    ]);
    expect(printedRowProblems(undefined, { name: 'x', ...want })).toEqual(['x: no row']);
    expect(printedRowProblems(ok, { name: 'demo-public', ...want, version: '0.1.1' })).toEqual([
      'demo-public: VERSION 0.1.0 (want 0.1.1)',
    ]);
  });
});
