// Scanning helpers shared by the gate parsers.

/** The index of the first non-space character at or after i. */
export function skipSpaces(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}
