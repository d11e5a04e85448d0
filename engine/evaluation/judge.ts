import type { JsonObject } from '../../core/types.js';
import type { AssertSpec } from './spec.js';
import type { AssertOutcome, JudgeAnswer, JudgeRequest } from './types.js';

// llm-rubric, as promptfoo means it: a judge model reads the answer and the rubric and replies
// { reason, pass, score }. A missing `pass` counts as a pass; with a threshold the score must also
// reach it. The engine only says what to ask and how to read the reply; the runner calls the model.

/** The prompt name judge calls carry, so scripted fixtures can answer them (`when: { prompt: llm-rubric }`). */
export const JUDGE_PROMPT = 'llm-rubric';

const SYSTEM = [
  'You grade an answer against a rubric.',
  'Read the answer between <Output> tags and the rubric between <Rubric> tags, then reply with:',
  'reason (one or two sentences on how the answer meets the rubric or fails it),',
  'pass (true when the answer meets the rubric) and score (from 0 to 1, how well it meets it).',
  'Judge only what the rubric asks for.',
].join(' ');

const GRADE_SCHEMA: JsonObject = {
  type: 'object',
  properties: { reason: { type: 'string' }, pass: { type: 'boolean' }, score: { type: 'number', minimum: 0, maximum: 1 } },
  required: ['reason', 'pass', 'score'],
  additionalProperties: false,
};

/** The judge's reply as an object: its structured output, else JSON in its text. */
function replyOf(answer: JudgeAnswer): JsonObject | undefined {
  if (answer.output) return answer.output;
  const m = /\{[\s\S]*\}/.exec(answer.text);
  if (!m) return undefined;
  try {
    const v = JSON.parse(m[0]) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** Read a judge's reply into an outcome, with the assert's threshold on the score. */
export function gradeReply(a: AssertSpec, answer: JudgeAnswer): AssertOutcome {
  const reply = replyOf(answer);
  if (!reply) return { type: a.type, pass: false, score: 0, reason: `the judge did not reply with { reason, pass, score }: ${answer.text.slice(0, 80)}`, error: true };
  const said = typeof reply.pass === 'boolean' ? reply.pass : undefined;
  const rawScore = typeof reply.score === 'number' && Number.isFinite(reply.score) ? Math.min(1, Math.max(0, reply.score)) : undefined;
  const score = rawScore ?? (said === false ? 0 : 1);
  const reason = typeof reply.reason === 'string' && reply.reason.trim() !== '' ? reply.reason.trim() : 'the judge gave no reason';
  const pass = (said ?? true) && (a.threshold === undefined || score >= a.threshold);
  const why = said !== false && a.threshold !== undefined && score < a.threshold ? `score ${score} is below ${a.threshold}: ${reason}` : reason;
  return { type: a.type, pass, score, reason: why };
}

/** The judge call for one answer and the function that grades the judge's reply. */
export function rubricCheck(a: AssertSpec, rubric: string, output: string): { judge: JudgeRequest; grade(answer: JudgeAnswer): AssertOutcome } {
  const provider = (a.provider ?? {}) as { provider?: string; name?: string };
  const judge: JudgeRequest = {
    provider: String(provider.provider ?? ''),
    request: {
      model: String(provider.name ?? ''),
      prompt: JUDGE_PROMPT,
      system: SYSTEM,
      messages: [{ role: 'user', text: `<Output>\n${output}\n</Output>\n<Rubric>\n${rubric}\n</Rubric>` }],
      maxTokens: 1024,
      temperature: 0,
      output: { name: 'grade', description: 'The grade of the answer against the rubric.', schema: GRADE_SCHEMA },
    },
  };
  return { judge, grade: (answer) => gradeReply(a, answer) };
}
