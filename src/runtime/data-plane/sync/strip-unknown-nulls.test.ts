import { describe, it, expect } from '@jest/globals';
import { z } from 'zod';
import type { EntityDefinition } from '../../config/entities/definition.js';
import { knownFieldsFromDefinitions, stripUnknownNulls } from './strip-unknown-nulls.js';

describe('stripUnknownNulls', () => {
  const defs = [
    {
      name: 'services',
      schema: z.strictObject({ id: z.string(), host: z.string(), tls_verify: z.boolean().nullable() }),
    },
    {
      name: 'routes',
      schema: z.strictObject({ id: z.string(), paths: z.array(z.string()) }).transform((r) => r),
    },
  ] as unknown as EntityDefinition[];
  const known = knownFieldsFromDefinitions(defs);

  it('drops null fields the schema does not know, nested too, and keeps everything else', () => {
    const input = {
      _format_version: '3.0',
      services: [
        {
          id: 's',
          host: 'h',
          tls_verify: null,
          future_field: null,
          other_future: 'set',
          routes: [{ id: 'r', paths: ['/'], new_null: null }],
        },
      ],
      consumers: [{ id: 'c', unknown_family_field: null }],
    };
    expect(stripUnknownNulls(input, known)).toEqual({
      _format_version: '3.0',
      services: [
        { id: 's', host: 'h', tls_verify: null, other_future: 'set', routes: [{ id: 'r', paths: ['/'] }] },
      ],
      consumers: [{ id: 'c', unknown_family_field: null }],
    });
    expect(input.services[0]).toHaveProperty('future_field', null);
  });
});
