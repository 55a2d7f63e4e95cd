import type { AttributeRepository, FileAttributes } from '../core/attributes.js';
import type { Db } from './db.js';
import { num } from './schema.js';

export class KyselyAttributeRepository implements AttributeRepository {
  constructor(private readonly db: Db) {}

  async get(fileId: string): Promise<FileAttributes | null> {
    const row = await this.db
      .selectFrom('file_attributes')
      .selectAll()
      .where('file_id', '=', fileId)
      .executeTakeFirst();
    if (!row) return null;
    let tags: string[] = [];
    try {
      const parsed: unknown = JSON.parse(row.tags);
      if (Array.isArray(parsed)) tags = parsed.filter((t): t is string => typeof t === 'string');
    } catch {
      tags = [];
    }
    return {
      title: row.title,
      description: row.description,
      tags,
      categoryId: row.category_id,
      nsfw: num(row.nsfw) !== 0,
    };
  }

  async set(fileId: string, a: FileAttributes): Promise<boolean> {
    const values = {
      title: a.title,
      description: a.description,
      tags: JSON.stringify(a.tags),
      category_id: a.categoryId,
      nsfw: a.nsfw ? 1 : 0,
    };
    // Only for a file that exists (the foreign key would refuse it anyway, less politely).
    const exists = await this.db
      .selectFrom('files')
      .select('id')
      .where('id', '=', fileId)
      .executeTakeFirst();
    if (!exists) return false;
    await this.db
      .insertInto('file_attributes')
      .values({ file_id: fileId, ...values })
      .onConflict((oc) => oc.column('file_id').doUpdateSet(values))
      .execute();
    return true;
  }
}
