export { toPointer, fromPointer } from '../../core/pointer.js';
import { isMap, isPair, isScalar, isSeq, type Node, type Scalar } from 'yaml';
import type { SourceRange } from '../../core/types.js';
import { rangeAt, type ParsedDocument } from './parse.js';

/**
 * The position of a character inside a string value: exact for block scalars (`|`, `>`) and for
 * single-line plain or quoted strings; undefined where escapes or folding make it uncertain.
 */
function positionInString(pd: ParsedDocument, node: Scalar, offset: number): SourceRange | undefined {
  const value = node.value as string;
  const before = value.slice(0, offset);
  const start = pd.lineCounter.linePos(node.range![0]);
  let line: number;
  let column: number;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    if (node.type === 'BLOCK_FOLDED' && before.includes('\n')) return undefined;
    line = start.line + 1 + (before.match(/\n/g)?.length ?? 0);
    const lineStart = pd.lineCounter.lineStarts[line - 1];
    if (lineStart === undefined) return undefined;
    const indent = /^[ ]*/.exec(pd.source.slice(lineStart, lineStart + 200))![0].length;
    column = indent + 1 + (before.length - (before.lastIndexOf('\n') + 1));
  } else {
    if (before.includes('\n')) return undefined;
    const raw = pd.source.slice(node.range![0], node.range![1]);
    const quote = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
    // Escapes change lengths: only trust the position when the raw text carries the value verbatim.
    if (raw.slice(quote, quote + before.length) !== before) return undefined;
    line = start.line;
    column = start.col + quote + before.length;
  }
  const at = { line, column };
  return { filename: pd.file, start: at, end: at };
}

/**
 * Source range of the node at path. With `key`, the key of the last segment (for unknown fields);
 * a missing segment resolves to the deepest existing node. A block mapping or list under a key starts
 * at its key (`variants:`), not at its first entry on the next line.
 */
export function locate(pd: ParsedDocument, path: ReadonlyArray<string | number>, opts: { key?: boolean; offset?: number } = {}): SourceRange {
  let node: Node | null = pd.doc.contents as Node | null;
  let keyNode: Node | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      keyNode = pair.key as Node;
      node = (pair.value as Node | null) ?? keyNode;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) break;
      keyNode = null;
      node = item;
    } else break;
  }
  const target = opts.key && keyNode ? keyNode : node;
  const r = target?.range ?? [0, 0, 0];
  if (opts.offset !== undefined && isScalar(target) && typeof target.value === 'string') {
    const inside = positionInString(pd, target, opts.offset);
    if (inside) return inside;
  }
  if (target === node && keyNode && keyNode !== node && (isMap(node) || isSeq(node)) && !node.flow && keyNode.range) {
    return rangeAt(pd.file, pd.lineCounter, keyNode.range[0], r[1]);
  }
  return rangeAt(pd.file, pd.lineCounter, r[0], r[1]);
}
