import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actualAsShown, commandsBlock, docSteps, elideAsShown, normaliseVolatile, type DocStep } from './doc-blocks.js';
import type { DocShell } from './doc-shell.js';

/** One documented command as it ran: what the page shows and what came out, both normalised. */
export interface DocResult {
  where: string;
  shown: string;
  got: string;
  /** The raw output, as the page would show it. */
  raw: string;
}

/**
 * Run a page's steps in order with the shell: files are written at their first version where the
 * page shows them (or where a `with` comment asks for it), later versions are the edits the page
 * describes in `replace` comments; commands blocks run unless marked `not run`.
 */
export class DocRunner {
  private readonly written = new Set<string>();
  private project = '';
  readonly results: DocResult[] = [];

  constructor(
    private readonly shell: DocShell,
    private readonly steps: DocStep[],
    private readonly where: string,
  ) {}

  async step(step: DocStep): Promise<void> {
    if (step.kind === 'file') this.write(step.path, step.line);
    else if (step.kind === 'with') this.write(step.path, step.line, step.from);
    else if (step.kind === 'script') this.shell.script(step.path, step.text);
    else if (step.kind === 'sleep') await new Promise((r) => setTimeout(r, step.seconds * 1000));
    else if (step.kind === 'run') {
      const r = await this.shell.run(step.command);
      if (r.code !== 0) throw new Error(`${this.where}:${step.line}: ${step.command} exited ${r.code}: ${r.output}`);
    } else if (step.kind === 'project') {
      await this.shell.use(step.name, step.words);
      this.project = step.name;
    } else if (step.kind === 'stop') await this.shell.stop();
    else if (step.kind === 'replace') {
      const text = this.shell.read(step.path);
      if (!text.includes(step.from)) throw new Error(`${this.where}:${step.line}: ${step.path} does not contain "${step.from}"`);
      this.shell.write(step.path, text.replace(step.from, step.to));
    } else if (!step.notRun) {
      for (const c of step.commands) {
        const r = await this.shell.run(c.command, c.expected.split('\n').length - 1);
        const raw = actualAsShown(`${r.output}[exit ${r.code}]\n`, c.expected);
        const shown = normaliseVolatile(c.expected);
        this.results.push({ where: `${this.where}:${step.line} $ ${c.command}`, shown, got: elideAsShown(normaliseVolatile(raw), shown), raw });
      }
    }
  }

  /** The page with every commands block whose output differs written with what came out instead. */
  updated(page: string): string {
    let out = page;
    let i = this.results.length;
    const blocks = this.steps.filter((s) => s.kind === 'commands' && !s.notRun) as Array<Extract<DocStep, { kind: 'commands' }>>;
    for (const block of blocks.reverse()) {
      const results = this.results.slice((i -= block.commands.length), i + block.commands.length);
      if (results.every((r) => r.got === r.shown) || results.some((r) => /^[ \t]*…[ \t]*$/m.test(r.shown))) continue;
      const outputs = results.map((r, k) => (r.got === r.shown ? block.commands[k]!.expected : r.raw));
      out = out.slice(0, block.start) + commandsBlock(block.commands, outputs) + out.slice(block.end);
    }
    return out;
  }

  private write(path: string, line: number, from?: string): void {
    if (this.written.has(`${this.project}:${path}`)) return;
    this.written.add(`${this.project}:${path}`);
    const steps = from ? docSteps(readFileSync(join(this.shell.root, from), 'utf8')) : this.steps;
    const f = steps.find((s) => s.kind === 'file' && s.path === path);
    if (!f || f.kind !== 'file') throw new Error(`${this.where}:${line}: ${path} is not shown on ${from ?? 'the page'}`);
    this.shell.write(path, f.text.replace(/^(#|\/\/) [^\n]*\n/, ''));
  }
}
