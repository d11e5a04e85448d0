
// Numbers shown side by side in a gate's line, with as many decimals as tell them apart.

/** Decimals of the shortest exact spelling of v (`0.8425` → 4; `1e-7` → 7). */
function exactDecimals(v: number): number {
  const [mantissa, exp] = String(Math.abs(v)).split('e');
  const frac = (mantissa!.split('.')[1] ?? '').length;
  return Math.max(0, frac - Number(exp ?? 0));
}

/**
 * Numbers shown together in one line: integers as written, others with a shared number of
 * decimals: 3, or as many as a short number needs to be shown exactly (a threshold of 0.8425 shows
 * as 0.8425, up to 6 decimals), or more when fewer would hide a difference or show a non-zero as 0.
 */
export function formatNumbers(values: readonly number[]): string[] {
  const fractional = values.filter((v) => Number.isFinite(v) && !Number.isInteger(v));
  let decimals = Math.max(3, ...fractional.map(exactDecimals).filter((d) => d <= 6));
  const clash = (d: number) => {
    const seen = new Map<string, number>();
    for (const v of fractional) {
      const s = v.toFixed(d);
      if (Number(s) === 0 && v !== 0) return true;
      const prev = seen.get(s);
      if (prev !== undefined && prev !== v) return true;
      seen.set(s, v);
    }
    // A fractional value must not round onto an integer it is compared with.
    for (const v of values) if (Number.isInteger(v) && fractional.some((f) => Number(f.toFixed(d)) === v)) return true;
    return false;
  };
  while (decimals < 12 && clash(decimals)) decimals++;
  return values.map((v) => {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
    if (Number.isInteger(v)) return Math.abs(v) < 1e21 ? String(v) : v.toExponential(3);
    if (Math.abs(v) >= 1e21) return v.toExponential(3);
    return v.toFixed(decimals);
  });
}
