import { RE2JS } from 're2js';

// `$regex` patterns come from specs, but the strings they are matched against come from anyone
// who can call the runtime. A backtracking engine (JavaScript's RegExp) can take exponential time
// on a pattern such as `^(a+)+$`: one request would freeze a replica. RE2's automata match in time
// linear in the input whatever the pattern, so every spec regex runs on re2js. The price is RE2's
// syntax: no lookarounds and no backreferences (the constructs that need backtracking).

export type RegexCompile = { ok: true; test: (s: string) => boolean } | { ok: false; message: string; hint: string };

const UNSUPPORTED_HINT =
  'labctl matches regexes in linear time with RE2 syntax, which has no lookarounds ((?=, (?!, (?<=, (?<!) and no backreferences (\\1): rewrite the pattern without them, e.g. as two conditions under $and or $not';

/** Compile a spec's `$regex` for linear-time matching, or say why it cannot be. */
export function compileRegex(pattern: string): RegexCompile {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    const reason = (e as Error).message.replace(/^error parsing regexp: /, '');
    const unsupported = /unsupported Perl syntax|invalid escape sequence: `\\[1-9]|invalid named capture: `\(\?<[=!]/.test(reason);
    return { ok: false, message: `invalid regular expression: ${reason}`, hint: unsupported ? UNSUPPORTED_HINT : 'fix the pattern (RE2 syntax, as in Go and re2; the same as JavaScript for classes, anchors, groups and quantifiers)' };
  }
  return { ok: true, test: (s) => re.test(s) };
}
