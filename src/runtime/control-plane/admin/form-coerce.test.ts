import { describe, expect, it } from '@jest/globals';
import { parseForm } from './body-parsers.js';
import { kongEntityModel } from './entity-model.js';
import { coerceFormBody } from './form-coerce.js';

const model = kongEntityModel(['rate-limiting', 'key-auth']);
const coerce = (family: Parameters<typeof coerceFormBody>[0], form: string) =>
  coerceFormBody(family, parseForm(form), model.fieldKind);

describe('form coercion', () => {
  it('turns strings into the schema types Kong forms mean', () => {
    expect(coerce('services', 'port=8080&retries=0&enabled=false&tags=one')).toEqual({
      port: 8080,
      retries: 0,
      enabled: false,
      tags: ['one'],
    });
    expect(coerce('routes', 'paths[]=/a&paths[]=/b&hosts[1]=x&strip_path=true&regex_priority=-2')).toEqual({
      paths: ['/a', '/b'],
      hosts: ['x'],
      strip_path: true,
      regex_priority: -2,
    });
    expect(coerce('routes', 'paths[1500]=/far')).toEqual({ paths: ['/far'] });
    expect(coerce('plugins', 'name=rate-limiting&config.minute=5&config.policy=local')).toEqual({
      name: 'rate-limiting',
      config: { minute: 5, policy: 'local' },
    });
  });

  it('leaves what does not convert for validation to name, and empties non-strings to null', () => {
    expect(coerce('services', 'port=eighty&enabled=maybe')).toEqual({ port: 'eighty', enabled: 'maybe' });
    expect(coerce('services', 'port=&path=&tags=')).toEqual({ port: null, path: '', tags: [] });
    expect(coerce('plugins', 'name=nope&config.minute=5')).toEqual({ name: 'nope', config: { minute: '5' } });
  });
});
