import { describe, expect, it } from '@jest/globals';
import { normalizePath } from './normalize-path.js';

describe('normalizePath (Kong 3.x router normalisation)', () => {
  it('returns plain paths untouched (the same string)', () => {
    const p = '/api/v1/users';
    expect(normalizePath(p)).toBe(p);
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('/a.b/c..d/.e')).toBe('/a.b/c..d/.e');
  });

  it('decodes escaped unreserved characters and upper-cases the other escapes', () => {
    expect(normalizePath('/%61dmin')).toBe('/admin');
    expect(normalizePath('/a%7Eb%2d%5F%2E')).toBe('/a~b-_.');
    expect(normalizePath('/a%2fb')).toBe('/a%2Fb');
    expect(normalizePath('/caf%c3%a9')).toBe('/caf%C3%A9');
    expect(normalizePath('/100%25')).toBe('/100%25');
  });

  it('resolves dot segments, never above the root, and merges slashes', () => {
    expect(normalizePath('/public/../admin')).toBe('/admin');
    expect(normalizePath('/a/./b/../c')).toBe('/a/c');
    expect(normalizePath('/../../etc')).toBe('/etc');
    expect(normalizePath('//admin//x')).toBe('/admin/x');
    expect(normalizePath('/a/b/..')).toBe('/a/');
    expect(normalizePath('/a/.')).toBe('/a/');
    expect(normalizePath('/a/b/')).toBe('/a/b/');
    expect(normalizePath('/..')).toBe('/');
  });

  it('decodes before resolving, so escaped dots cannot hide a traversal', () => {
    expect(normalizePath('/public/%2e%2e/admin')).toBe('/admin');
    expect(normalizePath('/public/.%2E/admin')).toBe('/admin');
    // An escaped slash is data, not a separator: nothing to resolve.
    expect(normalizePath('/public/..%2fadmin')).toBe('/public/..%2Fadmin');
  });

  it('refuses malformed escapes', () => {
    expect(normalizePath('/a%zz')).toBeNull();
    expect(normalizePath('/a%4')).toBeNull();
    expect(normalizePath('/a%')).toBeNull();
  });
});
