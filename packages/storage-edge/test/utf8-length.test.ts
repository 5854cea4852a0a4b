import { describe, expect, it } from 'vitest';
import { utf8Length } from '../src/sql/json-text.js';

describe('utf8Length', () => {
  const encoded = (text: string) => new TextEncoder().encode(text).length;
  it.each([
    { text: '', what: 'empty' },
    { text: '{"_id":"a","title":"plain ASCII"}', what: 'ASCII only' },
    { text: 'é at the start', what: 'two-byte character first' },
    { text: 'ends with €', what: 'three-byte character last' },
    { text: 'mixed: café, 日本語, 😀 and 🇫🇷 flags', what: 'one- to four-byte characters' },
    { text: '😀😀😀', what: 'surrogate pairs only' },
    { text: '\u007f\u0080\u07ff\u0800\uffff', what: 'the boundaries of each length' },
    // The encoder writes into a 64 KiB scratch buffer: longer texts take several calls.
    { text: 'x'.repeat(200_000), what: 'ASCII longer than the scratch buffer' },
    { text: `${'a'.repeat(65_535)}😀${'é'.repeat(40_000)}`, what: 'a surrogate pair across the end of the scratch buffer' },
    { text: '日本語'.repeat(30_000), what: 'three-byte characters over several buffers' },
  ])('counts the UTF-8 bytes: $what', ({ text }) => {
    expect(utf8Length(text)).toBe(encoded(text));
  });
});
