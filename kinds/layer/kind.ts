import { layerTable } from './table.js';
import type { JsonObject } from '../../core/types.js';
import { normaliseHeader, setIf } from '../common.js';
import type { KindDef } from '../types.js';

export const layerKind: KindDef = {
  kind: 'Layer',
  schemaFile: 'layer.schema.json',
  table: layerTable,
  normalise(doc: JsonObject): JsonObject {
    const out = normaliseHeader(doc);
    setIf(out, 'unit', doc.unit);
    return out;
  },
};
