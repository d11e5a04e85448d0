// `labctl chat` as a person uses it: in a real terminal (tmux), typing answers and pressing Enter,
// reading what the screen shows. In-process from the sample specs, and against a spawned serve.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { BIN, cli } from '../helpers/cli.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PG = await requirePostgres();
const HAS_TMUX = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('tmux is required in CI for the chat test (apt-get install tmux)');
    return false;
  }
})();

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

/** A terminal running one command; type() sends keys, screen() is what a person sees. */
function terminal(name: string, cwd: string, command: string[]) {
  // The pane stays after the command ends, showing its exit code, so the last screen can be read.
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '50', '-c', cwd, 'sh', '-c', `NO_COLOR=1 ${quoted}; echo "[exit $?]"; sleep 600`);
  return {
    type: (text: string) => {
      tmux('send-keys', '-t', name, '-l', text);
      tmux('send-keys', '-t', name, 'Enter');
    },
    screen: () => tmux('capture-pane', '-p', '-t', name, '-S', '-100'),
    async waitFor(text: string | RegExp, timeoutMs = 15_000): Promise<string> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const s = this.screen();
        if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
        if (Date.now() > until) throw new Error(`the terminal never showed ${String(text)}; it shows:\n${s}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    kill: () => {
      try {
        tmux('kill-session', '-t', name);
      } catch {
        // already gone
      }
    },
  };
}

/** The refund conversation, typed line by line, each answer awaited on screen. */
async function refundConversation(t: ReturnType<typeof terminal>): Promise<string> {
  await t.waitFor('What is your 8-digit order number?');
  await t.waitFor('you ›');
  t.type('1234');
  await t.waitFor('An order number has exactly 8 digits');
  t.type('12345678');
  await t.waitFor('· step ask-reason · slots: order_id=12345678');
  t.type('not-delivered');
  return t.waitFor(/ended at step confirm .*approved=true/);
}

describe.skipIf(!HAS_TMUX)('labctl chat in a terminal', () => {
  let dir: string;
  beforeAll(() => {
    assertFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'labctl-chat-'));
    for (const f of ['flows', 'prompts', 'fixtures']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('in-process from --dir: answers, re-asks bad input, shows the step and slots, ends the session', async () => {
    const t = terminal(`labctl-chat-${process.pid}-a`, dir, [process.execPath, BIN, 'chat', 'refund-request']);
    try {
      const screen = await refundConversation(t);
      expect(screen).toContain('Your refund for order 12345678 is approved.');
      expect(screen).toMatch(/labctl chat: refund-request \(in-process from \.\)/);
      // The conversation over, chat exits by itself, successfully.
      await t.waitFor('[exit 0]', 5000);
    } finally {
      t.kill();
    }
  });

  describe.skipIf(!PG)('against labctl serve', () => {
    let serve: ServeProcess;
    let db: { url: string; drop: () => Promise<void> };
    beforeAll(async () => {
      db = await createTestDatabase();
      const r = await cli(['apply'], { cwd: dir, env: { DATABASE_URL: db.url, LABCTL_ACTOR: 'test' } });
      expect(r.code, r.stderr).toBe(0);
      serve = await spawnServe({ cwd: dir, env: { DATABASE_URL: db.url } });
    });
    afterAll(async () => {
      await serve?.stop();
      await db?.drop();
    });

    it('streams the same conversation over HTTP, and the session is on the server afterwards', async () => {
      const t = terminal(`labctl-chat-${process.pid}-b`, dir, [process.execPath, BIN, 'chat', 'refund-request', '--url', serve.url]);
      try {
        const screen = await refundConversation(t);
        expect(screen).toContain(`(${serve.url})`);
        await t.waitFor('[exit 0]', 5000);
        const id = /session ([0-9a-f-]{36})/.exec(screen)![1]!;
        const got = (await (await fetch(`${serve.url}/v1/sessions/${id}`)).json()) as { state: string; slots: Record<string, unknown>; turns: number };
        expect(got).toMatchObject({ state: 'ended', turns: 3, slots: { order_id: '12345678', reason: 'not-delivered', approved: true } });
      } finally {
        t.kill();
      }
    });
  });
});
