/**
 * The runnable examples of a markdown page, in page order: files the page declares (a ```yaml block
 * whose first line is `# path`, a ```js block whose first line is `// path.mjs`), edits it describes in
 * prose (an HTML comment `<!-- docs-test: replace PATH "FROM" "TO" -->`, `\n` for a line break;
 * `<!-- docs-test: with PATH -->` puts a file the page shows
 * later in place already; `with PATH from PAGE` the one another page shows), and ```text (or ````text) blocks whose `$ ` lines are commands
 * followed by their expected output. A block preceded by `<!-- not run: why -->` is listed, not run.
 * `<!-- docs-test: project NAME WORD… -->` runs what follows in the project NAME (created on first
 * use: each WORD is a repository path copied in (`PATH:NAME` copies it as NAME), `git` (a repository with one commit), `postgres` (a
 * fresh test database instead of the embedded one; `postgres=URL`: one the page calls URL),
 * `dir=PATH` (the page calls the project's directory PATH) or `VAR=VALUE` (its environment));
 * `<!-- docs-test: run COMMAND -->` runs a setup command the page does not show (it must succeed;
 * without COMMAND: each line of the ```sh block that follows), `<!-- docs-test: ts PATH -->` puts the
 * ```ts block that follows, compiled to JavaScript, at PATH,
 * `<!-- docs-test: sleep SECONDS -->` waits (for what the page says happens within that time), and
 * `<!-- docs-test: stop -->` stops the long-running commands (serve, up, watch) started so far.
 */
export type DocStep =
  | { kind: 'file'; path: string; text: string; line: number }
  | { kind: 'replace'; path: string; from: string; to: string; line: number }
  | { kind: 'with'; path: string; from?: string; line: number }
  | { kind: 'run'; command: string; line: number }
  | { kind: 'sleep'; seconds: number; line: number }
  | { kind: 'script'; path: string; text: string; line: number }
  | { kind: 'project'; name: string; words: string[]; line: number }
  | { kind: 'stop'; line: number }
  | { kind: 'commands'; commands: DocCommand[]; line: number; notRun?: string; start: number; end: number };

/** One `$ ` line and the output shown under it; `gap` is the blank lines that follow the output. */
export interface DocCommand {
  command: string;
  expected: string;
  gap: string;
}

const DIRECTIVE = /<!-- docs-test: (with|replace|project|run|sleep|stop|ts)\b(.*?) -->/;
const FENCE = /^(?<fence>`{3,4})(yaml|text|sh|ts|js)\n([\s\S]*?)^\k<fence>[ \t]*$/;
const NOT_RUN = /<!-- not run: ([^>]*?) -->[ \t]*\n(?=`{3})/;

export function docSteps(page: string): DocStep[] {
  const steps: DocStep[] = [];
  const re = new RegExp(`${DIRECTIVE.source}|${NOT_RUN.source}|${FENCE.source}`, 'gm');
  let notRun: string | undefined;
  let pending: DocStep | undefined;
  for (const m of page.matchAll(re)) {
    const line = page.slice(0, m.index).split('\n').length;
    if (m[1]) {
      const d = directive(m[1], m[2]!.trim(), line);
      if ((d.kind === 'run' && d.command === '') || d.kind === 'script') pending = d;
      else steps.push(d);
    } else if (m[3] !== undefined) notRun = m[3];
    else {
      const body = m[6]!;
      const start = m.index! + m[4]!.length + m[5]!.length + 1;
      if (pending?.kind === 'script' && m[5] === 'ts') steps.push({ ...pending, text: body });
      else if (pending?.kind === 'run' && m[5] === 'sh') {
        for (const command of body.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) steps.push({ kind: 'run', command, line });
      } else if (m[5] === 'yaml' || m[5] === 'js') {
        const path = (m[5] === 'yaml' ? /^# ([\w./-]+\.ya?ml)\n/ : /^\/\/ ([\w./-]+\.m?js)\n/).exec(body)?.[1];
        if (path) steps.push({ kind: 'file', path, text: body, line });
      } else if (m[5] === 'text' && /^\$ /m.test(body)) steps.push({ kind: 'commands', commands: commandsOf(body), line, notRun, start, end: start + body.length });
      pending = undefined;
      notRun = undefined;
    }
  }
  return steps;
}

function directive(name: string, args: string, line: number): DocStep {
  if (name === 'with') {
    const [path, , from] = args.split(/\s+/);
    return { kind: 'with', path: path!, from, line };
  }
  if (name === 'stop') return { kind: 'stop', line };
  if (name === 'run') return { kind: 'run', command: args, line };
  if (name === 'sleep') return { kind: 'sleep', seconds: Number(args), line };
  if (name === 'ts') return { kind: 'script', path: args, text: '', line };
  if (name === 'project') {
    const [projectName, ...words] = args.split(/\s+/);
    return { kind: 'project', name: projectName!, words, line };
  }
  const m = /^(\S+) "([^"]*)" "([^"]*)"$/.exec(args);
  if (!m) throw new Error(`line ${line}: docs-test replace needs PATH "FROM" "TO", got ${args}`);
  return { kind: 'replace', path: m[1]!, from: m[2]!.replace(/\\n/g, '\n'), to: m[3]!.replace(/\\n/g, '\n'), line };
}

function commandsOf(block: string): DocCommand[] {
  const out: DocCommand[] = [];
  for (const line of block.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('$ ')) out.push({ command: line.slice(2), expected: '', gap: '' });
    else if (out.length > 0) out[out.length - 1]!.expected += line + '\n';
  }
  for (const c of out) {
    c.gap = /\n*$/.exec(c.expected)![0].slice(1);
    c.expected = c.expected.replace(/\n+$/, '\n');
  }
  return out;
}

/** A commands block written back with other outputs (the same commands and blank lines). */
export function commandsBlock(commands: DocCommand[], outputs: string[]): string {
  return commands.map((c, i) => `$ ${c.command}\n${outputs[i]!.replace(/[ \t]+$/gm, '').replace(/\n*$/, '\n').replace(/^\n$/, '')}${c.gap}`).join('');
}

/** Split a shell line the way the docs write them: words, '…' and "…" quoting, no expansion. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** What the page shows, with [exit N] kept only when the page shows it. */
export function actualAsShown(actual: string, expected: string): string {
  if (/\[exit \d+\]\n$/.test(expected)) return actual;
  const output = actual.replace(/\[exit \d+\]\n$/, '');
  return output === '' ? '' : output.replace(/\n*$/, '\n');
}

/**
 * What legitimately differs between the run the page shows and this one, replaced by a placeholder
 * on both sides before comparing: clock readings (ISO timestamps, the HTTP Date header, snapshot
 * ages, durations in /metrics, how far a future timestamp is ahead), process ids and host names, temporary directories, and spaces at the
 * end of a line (psql pads its last column; editors strip them). Nothing
 * else: revisions, hashes, variants, reasons, counts and messages must match as shown.
 */
export function normaliseVolatile(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00\b/g, '<time>')
    .replace(/^Date: .+ GMT$/gm, 'Date: <date>')
    .replace(/("snapshotAgeSeconds": ?|\bageSeconds: |labctl_snapshot_age_seconds )\d+(\.\d+)?(e-\d+)?/g, '$1<age>')
    .replace(/(_seconds_sum\{[^}]*\} )\d+(\.\d+)?(e-\d+)?/g, '$1<seconds>')
    .replace(/\bis \d+ s ahead of the server's clock/g, "is <seconds> s ahead of the server's clock")
    .replace(/\bby process \d+ \((labctl \w+), on [\w.-]+ since/g, 'by process <pid> ($1, on <host> since')
    .replace(/\(pid \d+ on [\w.-]+;/g, '(pid <pid> on <host>;')
    .replace(/("pid": ?)\d+/g, '$1<pid>')
    .replace(/("host": ?)"[^"]*"/g, '$1"<host>"')
    .replace(/("id": ?)"[\w.-]+:\d+:[0-9a-f]+"/g, '$1"<watcher>"')
    .replace(/\/tmp\/[\w.-]+/g, '<tmp>')
    .replace(/[ \t]+$/gm, '');
}

/**
 * The actual output with the runs of lines the page leaves out (a line `…`, maybe indented, in the expected output)
 * replaced by `…`, so that an excerpt compares equal to the whole output it was cut from.
 */
export function elideAsShown(actual: string, expected: string): string {
  const shown = expected.replace(/\n$/, '').split('\n');
  const elided = (l: string | undefined) => l?.trim() === '…';
  if (!shown.some(elided)) return actual;
  const lines = actual.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < shown.length; i++) {
    if (!elided(shown[i])) {
      out.push(lines[at] ?? '');
      at++;
      continue;
    }
    const end = shown.findIndex((l, k) => k > i && elided(l));
    const next = shown.slice(i + 1, end < 0 ? undefined : end);
    let j = at;
    while (j <= lines.length - next.length && !next.every((l, k) => l === lines[j + k])) j++;
    if (j > lines.length - next.length) return actual;
    out.push(shown[i]!);
    at = j;
  }
  if (!elided(shown[shown.length - 1])) out.push(...lines.slice(at));
  return `${out.join('\n')}\n`;
}
