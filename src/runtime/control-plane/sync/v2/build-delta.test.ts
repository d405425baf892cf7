import { describe, it, expect } from '@jest/globals';
import type { Entity } from '../../../config/entities/definition.js';
import type { ChangeEvent } from '../../store/store.js';
import { buildDeltaChanges } from './build-delta.js';
import type { VersionedExport } from './delta-source.js';

const route = (id: string): Entity => ({ id, name: id }) as Entity;
const event = (version: number, id: string, op: 'create' | 'delete' = 'create'): ChangeEvent => ({
  version,
  changes: [
    {
      op,
      family: 'routes',
      id,
      entity: op === 'delete' ? null : route(id),
      previous: op === 'delete' ? route(id) : null,
    },
  ],
});
const target = (version: number, routes: Entity[]): VersionedExport => ({
  version,
  config: { _format_version: '3.0', routes },
  hashes: {} as VersionedExport['hashes'],
  store: { _format_version: '3.0', routes },
});

describe('buildDeltaChanges', () => {
  it('lists each touched entity once, at its last position, as the export has it at the target', () => {
    const events = [event(5, 'a'), event(6, 'b'), event(7, 'a', 'delete'), event(8, 'c')];
    expect(buildDeltaChanges(events, 4, target(8, [route('b'), route('c')]))).toEqual([
      { op: 'upsert', family: 'routes', id: 'b', entity: route('b') },
      { op: 'delete', family: 'routes', id: 'a', entity: null },
      { op: 'upsert', family: 'routes', id: 'c', entity: route('c') },
    ]);
  });

  it('ignores events outside the range and returns null on a gap or a log that stops short', () => {
    const events = [event(5, 'a'), event(6, 'b'), event(8, 'c')];
    expect(buildDeltaChanges(events, 5, target(6, [route('b')]))).toHaveLength(1);
    expect(buildDeltaChanges(events, 5, target(8, []))).toBeNull();
    expect(buildDeltaChanges(events, 4, target(9, []))).toBeNull();
    expect(buildDeltaChanges(events, 6, target(6, []))).toBeNull();
  });
});
