export { toPointer, fromPointer } from '../core/pointer.js';
import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { SourceRange } from '../core/types.js';
import { rangeAt, type ParsedDocument } from './parse.js';

/**
 * Source range of the node at path. With `key`, the key of the last segment (for unknown fields);
 * a missing segment resolves to the deepest existing node. A block mapping or list under a key starts
 * at its key (`variants:`), not at its first entry on the next line.
 */
export function locate(pd: ParsedDocument, path: ReadonlyArray<string | number>, opts: { key?: boolean } = {}): SourceRange {
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
  if (target === node && keyNode && keyNode !== node && (isMap(node) || isSeq(node)) && !node.flow && keyNode.range) {
    return rangeAt(pd.file, pd.lineCounter, keyNode.range[0], r[1]);
  }
  return rangeAt(pd.file, pd.lineCounter, r[0], r[1]);
}
