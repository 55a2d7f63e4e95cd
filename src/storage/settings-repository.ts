import type { SettingsRepository } from '../core/traffic/records.js';
import type { Db } from './db.js';

export class KyselySettingsRepository implements SettingsRepository {
  constructor(private readonly db: Db) {}

  async getOrInsert(name: string, value: string): Promise<string> {
    const read = async () =>
      (
        await this.db
          .selectFrom('settings')
          .select('value')
          .where('name', '=', name)
          .executeTakeFirst()
      )?.value;
    const found = await read();
    if (found !== undefined) return found;
    // Two nodes starting together: one insert wins, both read the winner's value.
    await this.db
      .insertInto('settings')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await read()) ?? value;
  }
}
