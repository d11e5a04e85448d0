import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { BIN } from './cli.js';
import { parseCurl, sendCurl } from './doc-curl.js';
import { createTestDatabase } from './postgres.js';

/**
 * A small shell for the commands a page shows, run in temporary projects: `labctl …` (or `npx
 * labctl …`) with the built CLI, `curl …` through doc-curl, `echo`, `export`, `;`, `&&`, a `|`
 * into a shell command, and anything else through bash. `labctl serve`, `up`, `watch` and a
 * trailing `&` keep running; their documented `--port N` becomes a free port, and N is put back
 * in every output and put in for N in later commands. stdout and stderr go to one file, so they
 * interleave as on a terminal.
 */
export interface DocRun {
  output: string;
  code: number;
}

interface Project {
  dir: string;
  env: Record<string, string | undefined>;
  drop?: () => Promise<void>;
  /** What the page writes for this project's directory and database, and what they really are. */
  aliases: Array<[documented: string, actual: string]>;
}

interface Running {
  child: ChildProcess;
  exited: Promise<number>;
  file: string;
  project: Project;
  documented?: number;
}

const LONG_RUNNING = /^(serve|up|watch)$/;

// Output files of every shell of this process (pages run side by side).
let outputs = 0;
const outputFile = () => join(tmpdir(), `labctl-docs-out-${process.pid}-${outputs++}`);

// Never leave a server behind when the test process ends.
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of alive) c.kill('SIGKILL');
});

// Commits made in a project (by the runner or by a page's git commands) get fixed names and dates,
// so their SHAs are the same on every run.
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Ada',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
  GIT_AUTHOR_DATE: '2026-11-26T08:00:00Z',
  GIT_COMMITTER_DATE: '2026-11-26T08:00:00Z',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

export class DocShell {
  private readonly projects = new Map<string, Project>();
  private current: Project | undefined;
  private readonly running: Running[] = [];
  /** Documented port → the port this run got. */
  private readonly ports = new Map<number, number>();
  private status = 0;

  constructor(
    readonly root: string,
    private readonly base: Record<string, string | undefined> = {},
  ) {}

  /** The current project's directory (a default empty project until a page names one). */
  get dir(): string {
    return this.project().dir;
  }

  /** Switch to project NAME, creating it from the directive's words on first use. */
  async use(name: string, words: string[] = []): Promise<void> {
    let p = this.projects.get(name);
    if (!p) {
      const dir = mkdtempSync(join(tmpdir(), 'labctl-docs-'));
      p = { dir, env: { DATABASE_URL: undefined }, aliases: [] };
      for (const w of words) {
        const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(w);
        const named = /^(postgres|dir)=(.+)$/.exec(w);
        if (assignment) p.env[assignment[1]!] = assignment[2]!;
        else if (w === 'postgres' || named?.[1] === 'postgres') {
          const db = await createTestDatabase();
          p.env.DATABASE_URL = db.url;
          p.drop = db.drop;
          if (named) p.aliases.push([named[2]!, db.url]);
        } else if (named?.[1] === 'dir') p.aliases.push([named[2]!, dir]);
        else if (w !== 'git') cpSync(join(this.root, w.split(':')[0]!), join(dir, w.split(':')[1] ?? w), { recursive: true });
      }
      this.projects.set(name, p);
      this.current = p;
      if (words.includes('git')) {
        for (const git of ['git init -q -b main', 'git add -A', 'git commit -qm "sample specs"']) {
          const r = await this.bash(git);
          if (r.code !== 0) throw new Error(`${git} failed: ${r.output}`);
        }
      }
    }
    this.current = p;
  }

  /** A TypeScript example compiled to JavaScript at path (an ES module, as the project says). */
  script(path: string, typescript: string): void {
    const js = ts.transpileModule(this.portsIn(typescript), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    this.write(path, js);
    this.write('package.json', '{ "type": "module" }\n');
  }

  /** Write a file of the current project; a script can import labctl and its dependencies. */
  write(path: string, text: string): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), text);
    if (!/\.m?js$/.test(path) || existsSync(join(this.dir, 'node_modules'))) return;
    mkdirSync(join(this.dir, 'node_modules'));
    symlinkSync(this.root, join(this.dir, 'node_modules', 'labctl'));
    for (const name of readdirSync(join(this.root, 'node_modules'))) {
      if (!name.startsWith('.')) symlinkSync(join(this.root, 'node_modules', name), join(this.dir, 'node_modules', name));
    }
  }

  /** Read a file of the current project. */
  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  /** Run one `$ ` line; a long-running command is read until it printed expectedLines lines. */
  async run(line: string, expectedLines = 1): Promise<DocRun> {
    let text = withoutComment(line).trim();
    const background = /\s&$/.test(text);
    if (background) text = text.replace(/\s*&$/, '');
    let output = '';
    for (const { op, part } of splitOn(text, /^(;|&&)/)) {
      if (op === '&&' && this.status !== 0) break;
      output += await this.pipeline(this.portsIn(part), background, expectedLines);
    }
    return { output: this.portsOut(output), code: this.status };
  }

  /** Stop the current project's long-running commands (all with every), SIGTERM then SIGKILL after 15 s. */
  async stop(every = false): Promise<void> {
    const stopping = this.running.filter((r) => every || r.project === this.current);
    for (const r of stopping) {
      this.running.splice(this.running.indexOf(r), 1);
      if (r.documented !== undefined) this.ports.delete(r.documented);
    }
    await Promise.all(
      stopping.map(async (r) => {
        if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
        const kill = setTimeout(() => r.child.kill('SIGKILL'), 15_000);
        await r.exited;
        clearTimeout(kill);
        rmSync(r.file, { force: true });
      }),
    );
  }

  /** Stop everything, drop the test databases and remove the projects. */
  async close(): Promise<void> {
    await this.stop(true);
    for (const p of this.projects.values()) {
      await p.drop?.();
      rmSync(p.dir, { recursive: true, force: true });
    }
  }

  private project(): Project {
    if (!this.current) {
      const dir = mkdtempSync(join(tmpdir(), 'labctl-docs-'));
      this.current = { dir, env: { DATABASE_URL: undefined }, aliases: [] };
      this.projects.set('', this.current);
    }
    return this.current;
  }

  private env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    const cache = join(this.project().dir, '.cache');
    return { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, LABCTL_CACHE_DIR: cache, ...GIT_ENV, ...this.base, ...this.project().env, ...extra };
  }

  private async pipeline(text: string, background: boolean, expectedLines: number): Promise<string> {
    const captured = /^([A-Za-z_]\w*)=\$\((.*)\)$/.exec(text);
    if (captured) {
      const r = await this.bash(captured[2]!);
      this.project().env[captured[1]!] = r.output.trim();
      this.status = r.code;
      return '';
    }
    const [first, ...rest] = splitOn(text, /^\|(?!\|)/).map((p) => p.part);
    const words = this.words(first!);
    const redirect = words.findIndex((w) => w.startsWith('>'));
    const to = redirect < 0 ? undefined : words.splice(redirect).join('').slice(1);
    if (to !== undefined && words[0] !== 'labctl' && words[0] !== 'curl' && words[0] !== 'npx') return this.piped(await this.bash(text), undefined);
    if (to !== undefined) {
      const output = await this.pipeline(first!.slice(0, first!.lastIndexOf('>')).trim(), background, expectedLines);
      if (to !== '/dev/null') writeFileSync(join(this.dir, to), output);
      return '';
    }
    const assigned: Record<string, string> = {};
    while (words.length > 0 && /^[A-Za-z_]\w*=/.test(words[0]!)) {
      const w = words.shift()!;
      assigned[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
    }
    if (words[0] === 'npx' && words[1] === 'labctl') words.shift();
    const tail = rest.length > 0 ? rest.join('|') : undefined;
    if (words[0] === 'export') {
      for (const w of words.slice(1)) this.project().env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
      this.status = 0;
      return '';
    }
    if (words[0] === 'echo' && !tail) {
      this.status = 0;
      return `${words.slice(1).join(' ')}\n`;
    }
    if (words[0] === 'curl') {
      const r = await sendCurl(parseCurl(words.slice(1), this.dir));
      return this.piped({ stdout: r.output, stderr: '', code: r.code }, tail);
    }
    if (words[0] !== 'labctl') return this.piped(await this.bash(text), undefined);
    const args = words.slice(1);
    if (background || LONG_RUNNING.test(args[0] ?? '')) return this.start(args, assigned, expectedLines);
    return this.piped(await this.spawn(args, assigned, tail !== undefined), tail);
  }

  private async piped(r: { stdout?: string; stderr?: string; output?: string; code: number }, tail: string | undefined): Promise<string> {
    this.status = r.code;
    if (tail === undefined) return r.output ?? `${r.stderr ?? ''}${r.stdout ?? ''}`;
    const t = await this.bash(tail, r.stdout ?? '');
    this.status = t.code;
    return `${r.stderr ?? ''}${t.output}`;
  }

  /** A labctl command that exits: stdout and stderr interleaved (or stdout apart, for a pipe). */
  private async spawn(args: string[], env: Record<string, string>, stdoutApart: boolean): Promise<{ output?: string; stdout?: string; stderr?: string; code: number }> {
    const file = outputFile();
    const fd = openSync(file, 'w');
    const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: this.env(env), stdio: ['ignore', stdoutApart ? 'pipe' : fd, fd] });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
    closeSync(fd);
    const text = readFileSync(file, 'utf8');
    rmSync(file);
    return stdoutApart ? { stdout, stderr: text, code } : { output: text, code };
  }

  /** A long-running labctl command: started on a free port, read until it printed enough lines. */
  private async start(args: string[], env: Record<string, string>, expectedLines: number): Promise<string> {
    const i = args.indexOf('--port');
    let documented: number | undefined;
    if (i >= 0) {
      documented = Number(args[i + 1]);
      // A documented port another command of the page already listens on stays taken (port in use).
      const port = Number.isInteger(documented) && documented > 0 ? String(this.ports.get(documented) ?? 0) : args[i + 1]!;
      args = [...args.slice(0, i), '--port', port, ...args.slice(i + 2)];
    } else if (args[0] === 'serve' || args[0] === 'up') {
      documented = 8080;
      args = [...args, '--port', '0'];
    }
    const file = outputFile();
    const fd = openSync(file, 'w');
    const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: this.env(env), stdio: ['ignore', fd, fd] });
    closeSync(fd);
    alive.add(child);
    const exited = new Promise<number>((resolve) => child.once('exit', (c) => (alive.delete(child), resolve(c ?? -1))));
    const running: Running = { child, exited, file, project: this.project() };
    this.running.push(running);
    const read = () => readFileSync(file, 'utf8');
    const deadline = Date.now() + 30_000;
    let code: number | undefined;
    void exited.then((c) => (code = c));
    // Enough lines for the page, and the address when it asked for a port.
    const waiting = (out: string) => out.split('\n').length <= expectedLines || (documented !== undefined && !/http:\/\/[\d.]+:\d+/.test(out));
    while (code === undefined && Date.now() < deadline && waiting(read())) await new Promise((r) => setTimeout(r, 50));
    const output = read();
    if (code !== undefined) rmSync(file, { force: true });
    const port = /http:\/\/[\d.]+:(\d+)/.exec(output)?.[1];
    if (documented !== undefined && port && !this.ports.has(documented)) {
      this.ports.set(documented, Number(port));
      running.documented = documented;
    }
    this.status = code ?? 0;
    return output;
  }

  private bash(command: string, input?: string): Promise<{ output: string; code: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', command], { cwd: this.dir, env: this.env() });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ output, code: code ?? -1 }));
      child.stdin.on('error', () => {}); // a command that reads no input may exit before it is written
      child.stdin.end(input ?? '');
    });
  }

  /** Shell words: quotes removed, $? and $NAME expanded outside single quotes. */
  private words(text: string): string[] {
    const expand = (s: string) => s.replace(/\$\?|\$\{?([A-Za-z_]\w*)\}?/g, (m, name?: string) => (name ? (this.env()[name] ?? '') : String(this.status)));
    const out: string[] = [];
    for (const m of text.matchAll(/(?:'[^']*'|"[^"]*"|[^\s'"]+)+/g)) {
      out.push(this.portsIn(m[0].replace(/'([^']*)'|"([^"]*)"|([^'"]+)/g, (_, single?: string, double?: string, bare?: string) => single ?? expand(double ?? bare ?? ''))));
    }
    return out;
  }

  /**
   * text with what the page documents replaced by what this run has: the ports of running
   * commands, the project's directory and database URL.
   */
  portsIn(text: string): string {
    for (const [documented, actual] of this.project().aliases) text = text.split(documented).join(actual);
    return text.replace(/\b(127\.0\.0\.1|localhost):(\d+)\b/g, (m, host: string, port: string) => {
      const actual = this.ports.get(Number(port));
      return actual ? `${host}:${actual}` : m;
    });
  }

  private portsOut(text: string): string {
    for (const [documented, actual] of this.project().aliases) text = text.split(actual).join(documented);
    for (const [documented, actual] of this.ports) {
      text = text.replace(new RegExp(`\\b(127\\.0\\.0\\.1|localhost|0\\.0\\.0\\.0):${actual}\\b`, 'g'), `$1:${documented}`).replace(new RegExp(`\\bport ${actual}\\b`, 'g'), `port ${documented}`);
    }
    return text;
  }
}

/** The line without a trailing `# comment` (a # that starts a word outside quotes). */
function withoutComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) quote = c === quote ? '' : quote;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** Split at an operator outside quotes; each part with the operator before it. */
function splitOn(text: string, op: RegExp): Array<{ op: string; part: string }> {
  const parts: Array<{ op: string; part: string }> = [];
  let quote = '';
  let start = 0;
  let before = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      continue;
    }
    const m = op.exec(text.slice(i));
    if (m && text[i - 1] !== '|') {
      parts.push({ op: before, part: text.slice(start, i).trim() });
      before = m[0];
      start = i + m[0].length;
      i = start - 1;
    }
  }
  parts.push({ op: before, part: text.slice(start).trim() });
  return parts;
}
