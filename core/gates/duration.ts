import { skipSpaces } from './text.js';
import type { DurationParse } from './types.js';

// Durations of the gate language (`minAge: 1h30m`): parsed, and printed canonically.

const UNIT_SECONDS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
const DURATION_HINT = 'write a whole number with a unit, e.g. 30m, 1h, 2d or 1h30m (units: s, m, h, d, w)';

/** Parse `1h`, `90m`, `1h30m`, `2d`, `1w`, `45s` (whole numbers; several parts add up) into seconds. */
export function parseDuration(text: string): DurationParse {
  let i = skipSpaces(text, 0);
  if (i >= text.length) return { ok: false, offset: i, message: 'empty duration', hint: DURATION_HINT };
  let seconds = 0;
  while (i < text.length) {
    const m = /^(\d+)(\.\d+)?\s*([A-Za-z]*)/.exec(text.slice(i));
    if (!m || m[0] === '') return { ok: false, offset: i, message: `unexpected ${JSON.stringify(text.slice(i).trim().slice(0, 20))} in duration`, hint: DURATION_HINT };
    if (m[2]) return { ok: false, offset: i, message: `fractional duration "${m[0].trim()}"`, hint: 'use whole numbers of a smaller unit: 90m instead of 1.5h' };
    const unit = m[3]!;
    if (unit === '') return { ok: false, offset: i + m[1]!.length, message: `duration "${m[1]}" has no unit`, hint: `add a unit: ${m[1]}s, ${m[1]}m, ${m[1]}h or ${m[1]}d` };
    const factor = UNIT_SECONDS[unit];
    if (factor === undefined) {
      const first = unit[0]!.toLowerCase();
      const guess = Object.hasOwn(UNIT_SECONDS, first) ? first : 'h';
      return { ok: false, offset: i + m[0].length - unit.length, message: `unknown duration unit "${unit}"`, hint: `units are s, m, h, d and w: write ${m[1]}${guess}` };
    }
    seconds += Number(m[1]) * factor;
    i = skipSpaces(text, i + m[0].length);
  }
  if (!Number.isSafeInteger(seconds)) return { ok: false, offset: 0, message: 'duration is too long', hint: 'write at most a few years, e.g. 52w' };
  return { ok: true, seconds };
}

/**
 * The canonical form of a duration: days, hours, minutes, seconds, largest first, zero parts
 * left out (`90m` → `1h30m`, `24h` → `1d`, `1w` → `7d`, `0s` → `0s`).
 */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.floor(seconds));
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** An age for people: the two largest parts (`3h12m`, `2d4h`, `45s`). */
export function formatAge(seconds: number): string {
  const full = formatDuration(seconds);
  const parts = full.match(/\d+[a-z]/g) ?? ['0s'];
  return parts.slice(0, 2).join('');
}
