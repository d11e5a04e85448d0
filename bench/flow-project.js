// The flow the flow benchmark talks to, and what every answer must be. One model call per turn:
// `collect: question`, then `say: { prompt: bench-answer }` on the anthropic provider, then back
// to the question (a `bye` branch only so that the flow has a way to end, as validation requires).

export const FLOW = 'bench-assistant';
export const ASK = 'What else can I help you with?';
/** What bench/llm-server.js answers every request with. */
export const ANSWER = 'Orders ship within two working days, and you can follow yours from the link in your confirmation email.';

/** The project's spec files, path → text. */
export const FILES = {
  'flows/bench-assistant.yaml': `kind: Flow
name: ${FLOW}
slots:
  question: { type: string }
session: { ttl: 30m, maxTurns: 10000 }
steps:
  - id: ask
    collect: question
    say: "${ASK}"
    next:
      - if: { question: bye }
        then: bye
      - else: answer
  - id: answer
    say: { prompt: bench-answer }
    next: ask
  - { id: bye, say: "Goodbye.", next: end }
`,
  'prompts/bench-answer.yaml': `kind: Prompt
name: bench-answer
messages:
  - role: system
    content: You answer customers of Acme about their orders, in one or two sentences.
  - role: user
    content: "{{question}}"
variables:
  question: { type: string }
model: { provider: anthropic, name: claude-bench-1, maxTokens: 300 }
`,
};

/** The n-th user message (never "bye"). */
export const question = (n) => `When will order ${10_000_000 + n} arrive?`;

/** A labctl turn's answer must be the model's text, then the flow asking again. */
export function checkTurn(r) {
  const texts = r.body?.messages?.map((m) => m.text);
  if (r.status !== 200 || texts?.[0] !== ANSWER || texts?.[1] !== ASK) throw new Error(`a turn answered ${r.status}: ${JSON.stringify(r.body).slice(0, 400)}`);
}

/** Requests the model server has answered so far. */
export async function modelCalls(llmUrl) {
  return (await (await fetch(`${llmUrl}/bench/count`)).json()).count;
}
