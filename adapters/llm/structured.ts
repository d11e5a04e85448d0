/**
 * Structured output, whichever provider produced it: parse it, then check it against the request's
 * schema. A model that ignores the forced tool (some OpenAI-compatible servers do) may still have
 * answered with the JSON as text; that is accepted when it matches the schema.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonObject } from '../../core/json.js';
import { LlmError, type LlmStructuredOutput } from '../../core/llm.js';

// Schemas come from flows (the slots to fill); keywords ajv does not know are the provider's business.
const ajv = new Ajv2020({ strict: false, allErrors: true });
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 500;

function validatorFor(schema: JsonObject): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** `{…}` or a fenced ```json block, as a model answering in text writes it; undefined otherwise. */
function jsonInText(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const candidate = (fenced ? fenced[1]! : text).trim();
  if (!candidate.startsWith('{')) return undefined;
  try {
    return JSON.parse(candidate);
  } catch {
    return undefined;
  }
}

export interface OutputSource {
  provider: string;
  attempts: number;
  /** The tool call's input: an object (Anthropic) or a JSON string (OpenAI); undefined without a call. */
  toolInput: unknown;
  text: string;
}

/** The structured output, parsed and validated; LlmError `invalid_output` saying what is wrong otherwise. */
export function checkedOutput(spec: LlmStructuredOutput, src: OutputSource): JsonObject {
  const fail = (problem: string, hint: string) => new LlmError(`${src.provider} returned no usable structured output "${spec.name}": ${problem}`, { code: 'invalid_output', provider: src.provider, attempts: src.attempts, hint, transient: false });
  let value: unknown = src.toolInput;
  if (typeof value === 'string') {
    const args = value;
    try {
      value = JSON.parse(args);
    } catch {
      throw fail(`the arguments are not JSON: ${args.slice(0, 200)}`, 'use a model that supports tool calling, or give the prompt an example of the answer');
    }
  }
  if (value === undefined) value = jsonInText(src.text);
  if (value === undefined) throw fail(`the model did not call the tool "${spec.name}"`, 'use a model (or server) that supports forced tool calls');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail('the output is not a JSON object', 'check the schema: its top level must be an object');
  const validate = validatorFor(spec.schema);
  if (!validate(value as JsonObject)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
    throw fail(`it does not match the schema: ${problems.join('; ')}`, 'describe the expected values in the prompt, or loosen the slot types');
  }
  return value as JsonObject;
}
