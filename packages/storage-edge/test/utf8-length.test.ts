import { describe, expect, it } from 'vitest';
import { utf8Length } from '../src/sql/json-text.js';

describe('utf8Length', () => {
  const encoded = (text: string) => new TextEncoder().encode(text).length;
  it.each([
    ['', 'empty'],
    ['{"_id":"a","title":"plain ASCII"}', 'ASCII only'],
    ['é at the start', 'two-byte character first'],
    ['ends with €', 'three-byte character last'],
    ['mixed: café, 日本語, 😀 and 🇫🇷 flags', 'one- to four-byte characters'],
    ['😀😀😀', 'surrogate pairs only'],
    ['\u007f\u0080\u07ff\u0800\uffff', 'the boundaries of each length'],
  ])('counts the UTF-8 bytes of %j (%s)', (text) => {
    expect(utf8Length(text)).toBe(encoded(text));
  });
});
