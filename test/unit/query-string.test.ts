// forEachQueryParam must read every query string exactly as URLSearchParams does: it replaced
// URLSearchParams on the assignment hot path for speed only.
import { describe, expect, it } from 'vitest';
import { forEachQueryParam } from '../../core/query-string.js';

function ours(q: string): [string, string][] {
  const out: [string, string][] = [];
  forEachQueryParam(q, (k, v) => out.push([k, v]));
  return out;
}

const theirs = (q: string): [string, string][] => [...new URLSearchParams(q)];

describe('forEachQueryParam', () => {
  it.each([
    '',
    'user_id=u1&country=NL',
    'a=1&a=2&b',
    '&&a=1&&',
    '=x&=&a==b',
    'email=ann%40example.com&q=a+b%2Bc',
    'name=%C3%A9t%C3%A9&emoji=%F0%9F%98%80',
    'bad=%E0%A4%A&x=1',
    'half=%&pct=%%41&z=%zz',
    'notutf8=%FF%FE&ok=1',
    'surrogate=%ED%A0%80',
    '?a=1',
    '??a=1',
    'raw=été&b=😀',
    'lone=\uD800x',
    'a+b=c+d&+=+',
    '__proto__=x&constructor=y',
  ])('reads %j as URLSearchParams does', (q) => {
    expect(ours(q)).toEqual(theirs(q));
  });

  it('agrees with URLSearchParams on 20,000 random strings over a hostile alphabet', () => {
    const alphabet = ['a', 'b', '=', '&', '%', '+', '2', 'B', 'F', 'f', '0', 'C', '3', 'A', '9', 'é', '😀', '\uD800', '\uDC00', '?', ' ', '#'];
    // A fixed linear congruential sequence: the same strings every run, so a failure reproduces.
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 20_000; i++) {
      const n = next() % 24;
      let q = '';
      for (let j = 0; j < n; j++) q += alphabet[next() % alphabet.length];
      expect(ours(q), JSON.stringify(q)).toEqual(theirs(q));
    }
  });
});
