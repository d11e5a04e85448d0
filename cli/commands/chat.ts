import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { createColors } from 'picocolors';
import type { JsonObject } from '../../core/types.js';
import { snapshotFromDir, SpecsInvalidError } from '../../reconciler/load/snapshot.js';
import { renderDiagnosticsText } from '../../reconciler/render/diagnostics.js';
import type { TurnAnswer, TurnHooks } from '../../runtime/flows/index.js';
import { InProcessChatBackend } from '../chat/backend.js';
import { HttpChatBackend } from '../chat/http-backend.js';
import { RuntimeAnswerError, type ChatBackend } from '../chat/types.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';

export interface ChatFlags {
  url?: string;
  dir?: string;
  experiment?: string;
  attributes?: string;
  slots?: string;
}

function jsonObject(flag: string, text: string | undefined, example: string): JsonObject | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${flag} is not valid JSON: ${(e as Error).message}`, `write ${flag} '${example}'`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError(`${flag} must be a JSON object`, `write ${flag} '${example}'`);
  return v as JsonObject;
}

async function backendFor(io: CliIO, flags: ChatFlags): Promise<ChatBackend> {
  if (flags.url !== undefined) {
    let url: URL;
    try {
      url = new URL(flags.url);
    } catch {
      throw new CliError(`--url "${flags.url}" is not a URL`, 'pass the address labctl serve prints, e.g. --url http://127.0.0.1:8080');
    }
    return new HttpChatBackend(url.toString().replace(/\/$/, ''));
  }
  const dir = resolve(io.cwd, flags.dir ?? '.');
  try {
    return new InProcessChatBackend(await snapshotFromDir(dir), dir, io.env, flags.dir ?? '.');
  } catch (e) {
    if (e instanceof SpecsInvalidError) {
      io.stderr.write(renderDiagnosticsText(e.diagnostics, { color: useColor(io, 'stderr') }));
      throw new CliError('the specs are invalid', 'fix the errors above (labctl validate shows them too)');
    }
    throw e;
  }
}

function slotsText(slots: JsonObject): string {
  const parts = Object.entries(slots).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(' ') : 'none yet';
}

/**
 * labctl chat FLOW: talk to a flow in the terminal — against a running serve (--url) or in this
 * process from the specs in --dir — with the step and the slots shown after every turn.
 */
export async function chatCommand(io: CliIO, flow: string, flags: ChatFlags): Promise<number> {
  const attributes = jsonObject('--attributes', flags.attributes, '{"user_id":"u1"}');
  const slots = jsonObject('--slots', flags.slots, '{"order_id":"12345678"}');
  const c = createColors(useColor(io));
  const backend = await backendFor(io, flags);
  const out = (s: string) => io.stdout.write(s);
  let open = false;
  const hooks: TurnHooks = {
    onText: (delta) => {
      if (!open) out(c.cyan('assistant › '));
      open = true;
      out(delta);
    },
    onMessage: () => {
      out('\n');
      open = false;
    },
  };
  const status = (a: TurnAnswer) => {
    const where = a.state === 'awaiting_input' ? `step ${a.step}` : a.state === 'handoff' ? `handed off${a.outcome?.target ? ` to ${a.outcome.target}` : ''} at step ${a.step}` : `ended at step ${a.step}${a.outcome ? ` (${a.outcome.reason}: ${a.outcome.message})` : ''}`;
    out(c.dim(`  · ${where} · slots: ${slotsText(a.slots)}\n`));
  };
  const failed = (e: unknown) => {
    if (!(e instanceof RuntimeAnswerError)) throw e;
    if (open) out('\n');
    open = false;
    io.stderr.write(`${c.red('error')}: ${e.message} [${e.code}]\n`);
  };

  out(c.dim(`labctl chat: ${flow} (${backend.where}); Ctrl-D leaves\n`));
  let answer: TurnAnswer;
  try {
    answer = await backend.start(flow, { attributes, slots, experiment: flags.experiment }, hooks);
  } catch (e) {
    failed(e);
    await backend.close();
    return EXIT.error;
  }
  out(c.dim(`  · session ${answer.session}, version ${answer.version.slice(0, 12)}${answer.experiment ? `, variant ${answer.experiment.variant} of ${answer.experiment.name}` : ''}\n`));
  status(answer);

  const rl = createInterface({ input: io.stdin ?? process.stdin, output: io.stdout, terminal: Boolean(io.stdout.isTTY) });
  rl.setPrompt(c.green('you › '));
  const lines = rl[Symbol.asyncIterator]();
  try {
    while (answer.state === 'awaiting_input') {
      rl.prompt();
      const next = await lines.next();
      if (next.done) {
        out(`\n${c.dim(`left the conversation at step ${answer.step}; session ${answer.session}`)}\n`);
        return EXIT.ok;
      }
      const text = next.value.trim();
      // Piped input is not echoed by a terminal: show it, so the transcript reads as a conversation.
      if (!io.stdout.isTTY) out(`${next.value}\n`);
      if (text === '') continue;
      try {
        answer = await backend.message(answer.session, text, hooks);
        status(answer);
      } catch (e) {
        failed(e);
      }
    }
    return EXIT.ok;
  } finally {
    rl.close();
    await backend.close();
  }
}
