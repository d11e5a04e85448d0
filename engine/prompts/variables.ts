/** Declared type of a prompt variable. */
export type VariableType = 'string' | 'number' | 'boolean' | 'json';

export interface VariableDecl {
  type: VariableType;
  required: boolean;
  default?: unknown;
  description?: string;
}

/** A variable the caller got wrong: missing, or of the wrong type (HTTP 422). */
export class VariableError extends Error {
  constructor(readonly variable: string, readonly reason: 'missing' | 'wrong_type', message: string) {
    super(message);
    this.name = 'VariableError';
  }
}

function typeOk(type: VariableType, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return v !== undefined;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Values as text, after defaults and checks; throws VariableError naming the first bad variable. */
export function resolveVariables(decls: Readonly<Record<string, VariableDecl>>, given: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, d] of Object.entries(decls)) {
    // A required variable must be given: its default is never used (the rule required-with-default warns).
    const v = Object.prototype.hasOwnProperty.call(given, name) && given[name] !== undefined ? given[name] : d.required ? undefined : d.default;
    if (v === undefined) {
      if (d.required) throw new VariableError(name, 'missing', `variable "${name}" is required`);
      out[name] = '';
      continue;
    }
    if (!typeOk(d.type, v)) throw new VariableError(name, 'wrong_type', `variable "${name}" must be a ${d.type}, got ${describe(v)}`);
    out[name] = d.type === 'json' ? JSON.stringify(v) : String(v);
  }
  return out;
}
