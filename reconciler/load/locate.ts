import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { SourceRange } from '../core/types.js';
import { rangeAt, type ParsedDocument } from './parse.js';

/** JSON pointer of a path (`/variants/0/weight`). */
export function toPointer(path: ReadonlyArray<string | number>): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Path segments of a JSON pointer. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Source range of the node at path. With `key`, the key of the last segment (for unknown fields);
 * a missing segment resolves to the deepest existing node.
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
  return rangeAt(pd.file, pd.lineCounter, r[0], r[1]);
}
