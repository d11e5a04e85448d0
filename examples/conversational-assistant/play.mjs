// play.mjs: play a few support conversations against a running `labctl serve`, print each
// transcript as the server recorded it, and send a conversation_resolved event for each
// conversation that ended resolved (the experiment's metric).
//
//   node play.mjs [BASE_URL]        default: $LABCTL_URL, else http://127.0.0.1:8080
//
// Node 20 or later, no dependencies. Each customer answers whatever step the session waits at,
// so the same customer can talk to either variant of the experiment.

const base = (process.argv[2] ?? process.env.LABCTL_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const EXPERIMENT = 'support-flow';

/** The customers, and what each answers at the steps that wait for a message (in order, for re-asks). */
const customers = [
  { user: 'ana', answers: { 'ask-topic': ['billing'], ask: ['Where can I find my invoices?'], check: ['yes'] } },
  { user: 'ben', answers: { ask: ['The app crashes when I upload a photo'], check: ['no'], contact: ['ben@example', 'ben@example.com'] } },
  { user: 'carla', answers: { ask: ['How do I download an invoice?'], check: ['yes'] } },
  { user: 'dan', answers: { 'ask-topic': ['account'] } },
];

async function call(method, path, body) {
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...(process.env.LABCTL_INGEST_TOKEN ? { authorization: `Bearer ${process.env.LABCTL_INGEST_TOKEN}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new Error(`cannot reach labctl serve at ${base} (${e.cause?.code ?? e.message}); start it with npx labctl serve`);
  }
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status} ${json.error?.code}: ${json.error?.message}`);
  return json;
}

/** One conversation: start a session through the experiment, answer until it stops, return the recorded session. */
async function converse(customer) {
  const left = Object.fromEntries(Object.entries(customer.answers).map(([step, texts]) => [step, [...texts]]));
  let turn = await call('POST', '/v1/flows/support-chat/sessions', { experiment: EXPERIMENT, attributes: { user_id: customer.user } });
  const id = turn.session;
  while (turn.state === 'awaiting_input') {
    const text = left[turn.step]?.shift();
    if (text === undefined) throw new Error(`${customer.user} has no answer for step ${turn.step}`);
    turn = await call('POST', `/v1/sessions/${encodeURIComponent(id)}/messages`, { text });
  }
  if (turn.slots.resolved === true) {
    const sent = await call('POST', '/v1/events', { events: [{ id: `resolved-${id}`, event: 'conversation_resolved', attributes: { user_id: customer.user } }] });
    if (sent.accepted + sent.duplicates !== 1) throw new Error(`the event was rejected: ${JSON.stringify(sent.rejected)}`);
  }
  return call('GET', `/v1/sessions/${encodeURIComponent(id)}`);
}

function print(customer, s) {
  const calls = s.usage.calls === 1 ? '1 model call' : `${s.usage.calls} model calls`;
  console.log(`${customer.user} → variant ${s.experiment.variant}: flow ${s.root.flow} ${s.root.version.slice(0, 12)}`);
  for (const m of s.transcript) console.log(`  ${m.role === 'user' ? customer.user.padEnd(9) : 'assistant'}  ${m.text}`);
  const how = s.state === 'handoff' ? `handed off to ${s.outcome.target}` : `ended (${s.outcome.reason})`;
  console.log(`  · ${how} at ${s.flow}/${s.step} · resolved: ${s.slots.resolved ?? '-'} · ${calls}, ${s.usage.inputTokens} tokens in, ${s.usage.outputTokens} out · ${s.events.length} steps logged\n`);
}

const byVariant = new Map();
try {
  for (const customer of customers) {
    const s = await converse(customer);
    print(customer, s);
    const v = byVariant.get(s.experiment.variant) ?? { conversations: 0, resolved: 0, handoff: 0 };
    v.conversations += 1;
    if (s.slots.resolved === true) v.resolved += 1;
    if (s.state === 'handoff') v.handoff += 1;
    byVariant.set(s.experiment.variant, v);
  }
} catch (e) {
  console.error(`play.mjs: ${e.message}`);
  process.exit(1);
}
console.log('variant  conversations  resolved  handed off');
for (const [variant, v] of byVariant) console.log(`${variant.padEnd(8)} ${String(v.conversations).padStart(13)} ${String(v.resolved).padStart(9)} ${String(v.handoff).padStart(11)}`);
