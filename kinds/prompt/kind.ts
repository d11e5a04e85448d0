import { promptRoutes } from './routes.js';
import { promptTable } from './table.js';
import { contentOf, promptText, promptVersion } from '../../engine/prompts/content.js';
import { parseTemplate } from '../../engine/prompts/template.js';
import type { JsonObject, Resource } from '../../core/types.js';
import { normaliseHeader, setIf } from '../common.js';
import { versionDiff } from '../version-diff.js';
import type { KindDef, RuleProblem } from '../types.js';

function normalise(doc: JsonObject): JsonObject {
  const out = normaliseHeader(doc);
  setIf(out, 'tags', doc.tags);
  out.type = doc.messages !== undefined ? 'chat' : 'text';
  setIf(out, 'template', doc.template);
  setIf(out, 'messages', doc.messages);
  const variables: JsonObject = {};
  for (const [name, raw] of Object.entries((doc.variables ?? {}) as Record<string, JsonObject>)) {
    const v: JsonObject = { type: (raw.type as string | undefined) ?? 'string', required: (raw.required as boolean | undefined) ?? raw.default === undefined };
    setIf(v, 'default', raw.default);
    setIf(v, 'description', raw.description);
    variables[name] = v;
  }
  out.variables = variables;
  setIf(out, 'model', doc.model);
  const mlflow = doc.mlflow as JsonObject | undefined;
  if (mlflow?.mirror) out.mlflow = { mirror: true, alias: (mlflow.alias as string | undefined) ?? 'production' };
  out.version = promptVersion(contentOf(out));
  return out;
}

/** Every template string of a prompt with its path in the document. */
function templates(spec: JsonObject): Array<{ path: Array<string | number>; text: string }> {
  if (typeof spec.template === 'string') return [{ path: ['template'], text: spec.template }];
  return ((spec.messages ?? []) as Array<{ content: string }>).map((m, i) => ({ path: ['messages', i, 'content'], text: m.content }));
}

function rules(r: Resource): RuleProblem[] {
  const s = r.spec;
  const problems: RuleProblem[] = [];
  if ((s.template === undefined) === (s.messages === undefined)) {
    problems.push({ code: 'prompt-body', path: [], summary: 'a prompt needs exactly one of template (text) or messages (chat)', hint: 'keep template: for a text prompt, or messages: for a chat prompt' });
    return problems;
  }
  const declared = (s.variables ?? {}) as Record<string, JsonObject>;
  const used = new Set<string>();
  for (const t of templates(s)) {
    const parsed = parseTemplate(t.text);
    for (const p of parsed.problems) problems.push({ code: 'invalid-placeholder', path: t.path, offset: p.offset, summary: p.message, hint: p.hint });
    for (const name of parsed.placeholders) {
      used.add(name);
      if (!Object.hasOwn(declared, name)) {
        problems.push({ code: 'undeclared-variable', path: t.path, offset: parsed.firstUse.get(name), summary: `placeholder {{${name}}} is not declared under variables`, hint: `add variables: { ${name}: { type: string } }, or write \\{{ for a literal {{` });
      }
    }
  }
  for (const [name, v] of Object.entries(declared)) {
    if (!used.has(name)) problems.push({ severity: 'warning', code: 'unused-variable', path: ['variables', name], summary: `variable "${name}" is declared but no template uses it`, hint: `use {{${name}}} or remove the declaration` });
    const okDefault =
      v.default === undefined ||
      (v.type === 'string' && typeof v.default === 'string') ||
      (v.type === 'number' && typeof v.default === 'number') ||
      (v.type === 'boolean' && typeof v.default === 'boolean') ||
      v.type === 'json';
    if (!okDefault) {
      problems.push({ code: 'invalid-default', path: ['variables', name, 'default'], summary: `the default of variable "${name}" is not a ${String(v.type)}`, hint: `write a ${String(v.type)} default, or change the type` });
    }
    if (v.default !== undefined && v.required === true) {
      problems.push({ severity: 'warning', code: 'required-with-default', path: ['variables', name], summary: `variable "${name}" is required but has a default, which is then never used`, hint: 'drop required: true, or the default' });
    }
  }
  return problems;
}

/** A unified diff of the template text, shown under an update in the plan. */
function describeChange(before: JsonObject, after: JsonObject): string | undefined {
  return versionDiff({ version: before.version, text: promptText(before) }, { version: after.version, text: promptText(after) });
}

export const promptKind: KindDef = {
  kind: 'Prompt',
  schemaFile: 'prompt.schema.json',
  table: promptTable,
  routes: promptRoutes,
  normalise,
  rules,
  describeChange,
};
