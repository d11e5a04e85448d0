/** A parsed template: literal text and placeholders, in order. */
export type Segment = { text: string } | { variable: string };

export interface TemplateProblem {
  /** Character offset in the template. */
  offset: number;
  message: string;
  hint: string;
}

export interface ParsedTemplate {
  segments: Segment[];
  /** Placeholder names in order of first use. */
  placeholders: string[];
  /** Offset of each placeholder's first use in the template. */
  firstUse: ReadonlyMap<string, number>;
  problems: TemplateProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parse `{{name}}` placeholders (spaces inside the braces allowed). `\{{` writes a literal `{{`.
 * Nothing else is special: no expressions, no code, no filters.
 */
export function parseTemplate(text: string): ParsedTemplate {
  const segments: Segment[] = [];
  const placeholders: string[] = [];
  const firstUse = new Map<string, number>();
  const problems: TemplateProblem[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      literal += '{{';
      i += 3;
      continue;
    }
    if (!text.startsWith('{{', i)) {
      literal += text[i];
      i++;
      continue;
    }
    const close = text.indexOf('}}', i + 2);
    if (close === -1) {
      problems.push({ offset: i, message: 'unclosed placeholder: "{{" without "}}"', hint: 'close it as {{name}}, or write \\{{ for a literal {{' });
      literal += text.slice(i);
      break;
    }
    const name = text.slice(i + 2, close).trim();
    if (!NAME.test(name)) {
      problems.push({ offset: i, message: `invalid placeholder "{{${text.slice(i + 2, close)}}}"`, hint: 'placeholders are {{name}} with letters, digits and _ (no expressions); write \\{{ for a literal {{' });
    } else {
      if (literal) segments.push({ text: literal });
      literal = '';
      segments.push({ variable: name });
      if (!placeholders.includes(name)) {
        placeholders.push(name);
        firstUse.set(name, i);
      }
    }
    i = close + 2;
  }
  if (literal) segments.push({ text: literal });
  return { segments, placeholders, firstUse, problems };
}

/** Render parsed segments with string values (all placeholders must have a value). */
export function renderSegments(segments: readonly Segment[], values: Readonly<Record<string, string>>): string {
  let out = '';
  for (const s of segments) out += 'text' in s ? s.text : values[s.variable]!;
  return out;
}
