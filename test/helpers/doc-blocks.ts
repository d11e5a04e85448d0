/**
 * The runnable examples of a markdown page, in page order: files the page declares (a ```yaml block
 * whose first line is `# path`), edits it describes in prose (an HTML comment
 * `<!-- docs-test: replace PATH "FROM" "TO" -->`; `<!-- docs-test: with PATH -->` puts a file the page shows
 * later in place already), and ```text blocks whose `$ ` lines are commands
 * followed by their expected output. A block preceded by `<!-- not run: why -->` is listed, not run.
 */
export type DocStep =
  | { kind: 'file'; path: string; text: string; line: number }
  | { kind: 'replace'; path: string; from: string; to: string; line: number }
  | { kind: 'with'; path: string; line: number }
  | { kind: 'commands'; commands: Array<{ command: string; expected: string }>; line: number; notRun?: string };

export function docSteps(page: string): DocStep[] {
  const steps: DocStep[] = [];
  const re = /<!-- docs-test: with (\S+) -->|<!-- docs-test: replace (\S+) "([^"]*)" "([^"]*)" -->|<!-- not run: ([^>]*?) -->\s*```text\n([\s\S]*?)```|```(yaml|text)\n([\s\S]*?)```/g;
  for (const m of page.matchAll(re)) {
    const line = page.slice(0, m.index).split('\n').length;
    if (m[1]) steps.push({ kind: 'with', path: m[1], line });
    else if (m[2]) steps.push({ kind: 'replace', path: m[2], from: m[3]!, to: m[4]!, line });
    else if (m[5] !== undefined) steps.push({ kind: 'commands', commands: commandsOf(m[6]!), line, notRun: m[5] });
    else if (m[7] === 'yaml') {
      const path = /^# ([\w./-]+\.ya?ml)\n/.exec(m[8]!)?.[1];
      if (path) steps.push({ kind: 'file', path, text: m[8]!, line });
    } else if (/^\$ /m.test(m[8]!)) steps.push({ kind: 'commands', commands: commandsOf(m[8]!), line });
  }
  return steps;
}

function commandsOf(block: string): Array<{ command: string; expected: string }> {
  const out: Array<{ command: string; expected: string }> = [];
  for (const line of block.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('$ ')) out.push({ command: line.slice(2), expected: '' });
    else if (out.length > 0) out[out.length - 1]!.expected += line + '\n';
  }
  for (const c of out) c.expected = c.expected.replace(/\n+$/, '\n');
  return out;
}

/** Split a shell line the way the docs write them: words, '…' and "…" quoting, no expansion. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}
