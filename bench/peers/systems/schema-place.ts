/** Places that are a fresh PostgreSQL schema: how the PostgreSQL systems make, name and drop them. */
import { randomBytes } from 'node:crypto';
import { dropSchema } from '../../backends.js';
import type { Place } from '../system.js';

/** A new schema `<prefix>_<hex>`, installed by `install`; dropped again if that fails. */
export async function createSchemaPlace(
  prefix: string,
  install: (schema: string) => Promise<void>,
): Promise<Place> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    await install(schema);
  } catch (error) {
    await dropSchema(schema);
    throw error;
  }
  return { schema };
}

export function schemaOf(place: Place): string {
  const schema = place.schema;
  if (!schema) throw new Error(`place ${JSON.stringify(place)} has no schema`);
  return schema;
}

export async function destroySchemaPlace(place: Place): Promise<void> {
  await dropSchema(schemaOf(place));
}
