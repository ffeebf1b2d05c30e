// A reported column (FieldMetadata) for the pure catalog tests: public.orders.status, a nullable varchar.
import type { FieldMetadata } from '../../src/drivers/driver.ts';

export function fieldMetadata(overrides: Partial<FieldMetadata> = {}): FieldMetadata {
  return {
    tableSchema: 'public',
    tableName: 'orders',
    name: 'status',
    databaseType: 'varchar',
    baseType: 'type/Text',
    semanticHint: null,
    position: 2,
    isNullable: true,
    isPk: false,
    isAutoIncrement: false,
    isGenerated: false,
    isRequired: false,
    default: null,
    comment: null,
    objectId: '3',
    ...overrides,
  };
}
