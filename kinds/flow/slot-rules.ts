import { checkCondition } from '../../core/conditions/operators.js';
import { compileRegex } from '../../core/conditions/regex.js';
import { suggestHint } from '../../core/suggest.js';
import type { Json } from '../../core/types.js';
import { parseTemplate } from '../../engine/prompts/template.js';
import { checkSlotValue, compileSlot } from '../../engine/flows/slots.js';
import type { FlowSpec, SlotDecl, SlotType, StepSpec } from '../../engine/flows/spec.js';
import type { RuleProblem } from '../types.js';

type Path = Array<string | number>;

/** A type or action name with its article: `a string`, `an integer`, `an enum`. */
export function aOrAn(word: string): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}

/** A reference to a slot by name somewhere in the spec (offset: inside a template string). */
interface SlotUse {
  slot: string;
  path: Path;
  offset?: number;
  /** The type the use implies (an llm output names it). */
  type?: string;
}

/** Declarations that contradict themselves: enum values, patterns. */
function declProblems(name: string, d: SlotDecl): RuleProblem[] {
  const path = ['slots', name];
  const problems: RuleProblem[] = [];
  if (d.type === 'enum' && d.values === undefined) problems.push({ code: 'enum-values', path: [...path, 'type'], summary: `enum slot "${name}" lists no values`, hint: 'add values: [a, b, c]' });
  if (d.type !== 'enum' && d.values !== undefined) problems.push({ code: 'enum-values', path: [...path, 'values'], summary: `slot "${name}" is ${aOrAn(d.type)}, so values are never used`, hint: 'write type: enum to restrict it to these values, or remove values' });
  if (d.pattern !== undefined) {
    if (d.type !== 'string') problems.push({ code: 'pattern-type', path: [...path, 'pattern'], summary: `slot "${name}" is ${aOrAn(d.type)}; only string slots take a pattern`, hint: 'write type: string, or remove the pattern' });
    const re = compileRegex(d.pattern);
    if (!re.ok) problems.push({ code: 'invalid-pattern', path: [...path, 'pattern'], summary: `pattern of slot "${name}": ${re.message}`, hint: re.hint });
  }
  return problems;
}

/** Every template string of a step, with its path. */
function templatesOf(s: StepSpec, i: number): Array<{ text: string; path: Path }> {
  const out: Array<{ text: string; path: Path }> = [];
  const at = ['steps', i];
  if (typeof s.say === 'string') out.push({ text: s.say, path: [...at, 'say'] });
  if (s.retry !== undefined) out.push({ text: s.retry, path: [...at, 'retry'] });
  for (const [k, v] of Object.entries(s.set ?? {})) if (typeof v === 'string') out.push({ text: v, path: [...at, 'set', k] });
  if (s.tool) {
    out.push({ text: s.tool.url, path: [...at, 'tool', 'url'] });
    for (const [k, v] of Object.entries(s.tool.headers ?? {})) out.push({ text: v, path: [...at, 'tool', 'headers', k] });
    const walk = (v: Json | undefined, path: Path): void => {
      if (typeof v === 'string') out.push({ text: v, path });
      else if (Array.isArray(v)) v.forEach((x, j) => walk(x, [...path, j]));
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(s.tool.body, [...at, 'tool', 'body']);
  }
  return out;
}

/** Attribute names of a condition (first segment of each dot path), which must be slots. */
function conditionUses(cond: unknown, path: Path, out: SlotUse[]): void {
  if (typeof cond !== 'object' || cond === null || Array.isArray(cond)) return;
  for (const [k, v] of Object.entries(cond)) {
    if ((k === '$and' || k === '$or' || k === '$nor') && Array.isArray(v)) v.forEach((c, j) => conditionUses(c, [...path, k, j], out));
    else if (k === '$not') conditionUses(v, [...path, k], out);
    else if (!k.startsWith('$')) out.push({ slot: k.split('.')[0]!, path: [...path, k] });
  }
}

/** Slot names a step reads or writes outside templates. */
function directUses(s: StepSpec, i: number): SlotUse[] {
  const at = ['steps', i];
  const uses: SlotUse[] = [];
  if (s.collect !== undefined) uses.push({ slot: s.collect, path: [...at, 'collect'] });
  for (const k of Object.keys(s.set ?? {})) uses.push({ slot: k, path: [...at, 'set', k] });
  for (const [k, type] of Object.entries(s.llm?.output ?? {})) uses.push({ slot: k, path: [...at, 'llm', 'output', k], type });
  for (const [v, slot] of Object.entries(s.llm?.inputs ?? {})) uses.push({ slot, path: [...at, 'llm', 'inputs', v] });
  if (typeof s.say === 'object') for (const [v, slot] of Object.entries(s.say.inputs ?? {})) uses.push({ slot, path: [...at, 'say', 'inputs', v] });
  for (const k of Object.keys(s.tool?.output ?? {})) uses.push({ slot: k, path: [...at, 'tool', 'output', k] });
  if (Array.isArray(s.next)) s.next.forEach((b, j) => 'if' in b && conditionUses(b.if, [...at, 'next', j, 'if'], uses));
  return uses;
}

/** Whether a value of slot type `from` fits a slot of type `to` when copied by `{{from}}`. */
function copyFits(from: SlotDecl, to: SlotDecl): boolean {
  if (to.type === 'string') return to.pattern === undefined || from.type !== 'string' || from.pattern === to.pattern;
  if (to.type === 'number') return from.type === 'number' || from.type === 'integer';
  if (to.type === 'enum') return from.type === 'enum' && (from.values ?? []).every((v) => (to.values ?? []).includes(v));
  return from.type === to.type;
}

/** Values of `set` that cannot fit their slot: literals checked, a lone `{{slot}}` by type, other text only into text slots. */
function setProblems(s: StepSpec, i: number, slots: Record<string, SlotDecl>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const [name, v] of Object.entries(s.set ?? {})) {
    const decl = Object.hasOwn(slots, name) ? slots[name]! : undefined;
    if (!decl || v === null) continue;
    const path = ['steps', i, 'set', name];
    if (typeof v === 'string' && v.includes('{{')) {
      const t = parseTemplate(v);
      const only = t.segments.length === 1 && 'variable' in t.segments[0]! ? t.segments[0].variable : undefined;
      const source = only !== undefined && Object.hasOwn(slots, only) ? slots[only] : undefined;
      if (only !== undefined ? source !== undefined && !copyFits(source, decl) : decl.type !== 'string') {
        problems.push({ code: 'set-type-mismatch', path, summary: `slot "${name}" is ${aOrAn(decl.type)}, and ${only !== undefined ? `slot "${only}" is ${aOrAn(source!.type)}` : 'this template makes text'}`, hint: `set ${name} from a slot of type ${decl.type}, or a literal ${decl.type} value` });
      }
      continue;
    }
    const c = checkSlotValue(compileSlot(name, decl), v);
    if (!c.ok || (decl.type === 'string' && typeof v !== 'string')) {
      problems.push({ code: 'set-type-mismatch', path, summary: c.ok ? `slot "${name}" takes text, got ${JSON.stringify(v)}` : c.reason, hint: decl.type === 'enum' ? `write one of: ${(decl.values ?? []).join(', ')}` : decl.pattern !== undefined ? `write a quoted text matching ${decl.pattern}` : `write ${aOrAn(decl.type)} value` });
    }
  }
  return problems;
}

/**
 * Slot problems: declarations, every use of an undeclared slot (collect, set, llm output and
 * inputs, tool output, conditions, `{{placeholders}}`), output types that differ from the slot's,
 * `set` values that do not fit, and conditions that do not compile.
 */
export function slotProblems(f: FlowSpec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const [name, d] of Object.entries(f.slots)) problems.push(...declProblems(name, d));
  const declared = Object.keys(f.slots);
  const undeclared = (u: SlotUse): RuleProblem => ({
    code: 'undeclared-slot',
    path: u.path,
    ...(u.offset !== undefined ? { offset: u.offset } : {}),
    summary: `slot "${u.slot}" is not declared`,
    hint: suggestHint(u.slot, declared, `declare it under slots: ${u.slot}: { type: ${u.type ?? 'string'} }`),
  });
  f.steps.forEach((s, i) => {
    for (const u of directUses(s, i)) if (!Object.hasOwn(f.slots, u.slot)) problems.push(undeclared(u));
    for (const t of templatesOf(s, i)) {
      const parsed = parseTemplate(t.text);
      for (const p of parsed.problems) problems.push({ code: 'invalid-placeholder', path: t.path, offset: p.offset, summary: p.message, hint: p.hint });
      for (const name of parsed.placeholders) if (!Object.hasOwn(f.slots, name)) problems.push(undeclared({ slot: name, path: t.path, offset: parsed.firstUse.get(name) }));
    }
    for (const [name, type] of Object.entries(s.llm?.output ?? {}) as Array<[string, SlotType]>) {
      const decl = Object.hasOwn(f.slots, name) ? f.slots[name] : undefined;
      if (decl && decl.type !== type) problems.push({ code: 'output-type-mismatch', path: ['steps', i, 'llm', 'output', name], summary: `slot "${name}" is declared as ${decl.type}, but the output names ${type}`, hint: `write ${name}: ${decl.type}, or change the slot's type` });
    }
    problems.push(...setProblems(s, i, f.slots));
    if (Array.isArray(s.next)) {
      s.next.forEach((b, j) => {
        if (!('if' in b)) return;
        for (const p of checkCondition(b.if)) problems.push({ code: 'invalid-condition', path: ['steps', i, 'next', j, 'if', ...p.path], summary: `condition: ${p.message}`, hint: p.hint });
      });
    }
  });
  return problems;
}
