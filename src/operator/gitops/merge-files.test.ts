import { describe, expect, it } from '@jest/globals';
import { filesFromConfigMaps, type KubeConfigMap } from './config-map-files.js';
import { ConfigFilesError, locateInFiles, mergeDeclarativeFiles } from './merge-files.js';

function failure(fn: () => unknown): ConfigFilesError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFilesError);
    return err as ConfigFilesError;
  }
  throw new Error('expected a ConfigFilesError');
}

const A = `_format_version: "3.0"
services:
  - name: a
    host: a.internal
    routes: [{ name: ra, paths: [/a] }]
`;
const B = JSON.stringify({
  _format_version: '3.0',
  _comment: 'json',
  services: [{ name: 'b', host: 'b.internal' }],
  upstreams: [{ name: 'u' }],
});

describe('mergeDeclarativeFiles', () => {
  it('concatenates families in file order and remembers where each entry came from', () => {
    const merged = mergeDeclarativeFiles([
      { source: 'cm/a.yaml', text: A },
      { source: 'cm/b.json', text: B },
    ]);
    expect(merged.document).toEqual({
      _format_version: '3.0',
      services: [
        { name: 'a', host: 'a.internal', routes: [{ name: 'ra', paths: ['/a'] }] },
        { name: 'b', host: 'b.internal' },
      ],
      upstreams: [{ name: 'u' }],
    });
    expect(merged.origins.services).toEqual([
      { source: 'cm/a.yaml', index: 0 },
      { source: 'cm/b.json', index: 0 },
    ]);
    // The hash follows content, not key order or formatting.
    const again = mergeDeclarativeFiles([
      {
        source: 'cm/a.yaml',
        text: `{_format_version: "3.0", services: [{host: a.internal, name: a, routes: [{paths: [/a], name: ra}]}]}`,
      },
      { source: 'cm/b.json', text: B },
    ]);
    expect(again.sourceHash).toBe(merged.sourceHash);
    expect(mergeDeclarativeFiles([{ source: 'x', text: A }]).sourceHash).not.toBe(merged.sourceHash);
  });

  it('reports parse errors with the file and the line', () => {
    const e = failure(() =>
      mergeDeclarativeFiles([
        { source: 'cm/ok.yaml', text: A },
        { source: 'cm/bad.yaml', text: '_format_version: "3.0"\nservices:\n  - name: [unclosed\n' },
      ]),
    );
    expect(e.code).toBe('CONFIG_FILE_UNPARSABLE');
    expect(e.message).toMatch(/^cm\/bad\.yaml: .*\(line \d+, column \d+\)$/);
    expect(e.context.line).toBeGreaterThanOrEqual(3);
    const json = failure(() =>
      mergeDeclarativeFiles([{ source: 'cm/x.json', text: '{"_format_version": "3.0",\n "services": [}' }]),
    );
    expect(json.message).toMatch(/^cm\/x\.json: .*line 2/);
  });

  it('requires _format_version 3.0, mappings and lists', () => {
    expect(failure(() => mergeDeclarativeFiles([{ source: 'f', text: 'services: []' }])).message).toBe(
      'f: _format_version must be "3.0" (found null)',
    );
    expect(failure(() => mergeDeclarativeFiles([{ source: 'f', text: '- 1' }])).code).toBe(
      'CONFIG_FILE_INVALID',
    );
    expect(
      failure(() =>
        mergeDeclarativeFiles([{ source: 'f', text: '_format_version: "3.0"\nservices: {a: 1}' }]),
      ).message,
    ).toBe('f: services must be a list');
    expect(failure(() => mergeDeclarativeFiles([])).code).toBe('CONFIG_FILES_EMPTY');
  });

  it('refuses an entity declared in two files, nested ones too, naming both files', () => {
    const dup = failure(() =>
      mergeDeclarativeFiles([
        { source: 'one/a.yaml', text: A },
        { source: 'two/b.yaml', text: '_format_version: "3.0"\nservices: [{ name: a, host: x.internal }]' },
      ]),
    );
    expect(dup.message).toBe("services 'a' is declared in both one/a.yaml and two/b.yaml");
    const nested = failure(() =>
      mergeDeclarativeFiles([
        { source: 'one/a.yaml', text: A },
        {
          source: 'two/b.yaml',
          text: '_format_version: "3.0"\nroutes: [{ name: ra, paths: [/x], service: b }]',
        },
      ]),
    );
    expect(nested.context.sources).toEqual(['one/a.yaml', 'two/b.yaml']);
  });
});

describe('locateInFiles', () => {
  it('turns merged paths back into file paths', () => {
    const { origins } = mergeDeclarativeFiles([
      { source: 'cm/a.yaml', text: A },
      { source: 'cm/b.json', text: B },
    ]);
    expect(
      locateInFiles(
        'declarative config is invalid: services[1].host: bad; services[0].routes[0].paths[0]: worse',
        origins,
      ),
    ).toBe(
      'declarative config is invalid: cm/b.json: services[0].host: bad; cm/a.yaml: services[0].routes[0].paths[0]: worse',
    );
  });
});

describe('filesFromConfigMaps', () => {
  const cms: Record<string, KubeConfigMap> = {
    one: { metadata: { name: 'one', resourceVersion: '7' }, data: { 'z.yaml': 'z', 'a.yaml': 'a' } },
    two: { metadata: { name: 'two', resourceVersion: '9' }, data: { k: 'k' }, binaryData: { bin: 'AA==' } },
  };
  const get = (_ns: string, name: string) => cms[name];

  it('reads every key in sorted order, or the one key named', () => {
    expect(filesFromConfigMaps([{ name: 'one' }, { name: 'two', key: 'k' }], 'ns', get)).toEqual({
      files: [
        { source: 'one/a.yaml', text: 'a' },
        { source: 'one/z.yaml', text: 'z' },
        { source: 'two/k', text: 'k' },
      ],
      observed: [
        { name: 'one', resourceVersion: '7' },
        { name: 'two', resourceVersion: '9' },
      ],
    });
  });

  it('names a missing ConfigMap or key', () => {
    expect(failure(() => filesFromConfigMaps([{ name: 'gone' }], 'ns', get)).message).toBe(
      'ConfigMap ns/gone not found',
    );
    expect(failure(() => filesFromConfigMaps([{ name: 'two', key: 'bin' }], 'ns', get)).message).toBe(
      'ConfigMap ns/two has no key bin (it is in binaryData; files must be text in data)',
    );
  });
});
