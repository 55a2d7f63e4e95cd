import type { CompiledQuery, Compilable, Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Where a template's i-th argument goes (see QueryTemplate). */
class Slot {
  constructor(readonly index: number) {}
}

type Compiled = { query: CompiledQuery; slots: Array<number | null> };

/**
 * A query built and compiled by Kysely once, then run many times with new parameters. Kysely
 * builds and compiles a query anew on every call: the upload path's four statements cost ~20 µs
 * of an upload's ~140 µs of CPU that way (bench/README.md, "Where the time goes").
 *
 * `build` receives one placeholder per argument and must put each, as it is, where a value goes
 * (a `where` operand, an inserted or updated value): the SQL is the same for every call, only the
 * parameters change. A placeholder that is not a parameter of the compiled query (unused, or
 * turned into something else) is refused when the template is first compiled. Constants written
 * in `build` stay as compiled. One template serves any database: it compiles once per dialect
 * (SQLite's and PostgreSQL's SQL differ), on first use, on the database or transaction given.
 */
export class QueryTemplate<A extends unknown[], R> {
  private readonly compiled = new Map<unknown, Compiled>();

  constructor(
    private readonly arity: A['length'],
    private readonly build: (db: Kysely<Database>, ...args: A) => Compilable<R>,
  ) {}

  /** The rows the query returns (or affects: `numAffectedRows`) with these arguments. */
  async run(db: Kysely<Database>, ...args: A): Promise<R[]> {
    const { query, slots } = this.compile(db);
    const parameters = slots.map((slot, i) => (slot === null ? query.parameters[i] : args[slot]));
    const result = await db.executeQuery<R>({ ...query, parameters });
    return result.rows;
  }

  /** The first row, or undefined. */
  async first(db: Kysely<Database>, ...args: A): Promise<R | undefined> {
    return (await this.run(db, ...args))[0];
  }

  private compile(db: Kysely<Database>): Compiled {
    const dialect = db.getExecutor().adapter.constructor;
    let compiled = this.compiled.get(dialect);
    if (!compiled) {
      const placeholders = Array.from({ length: this.arity }, (_, i) => new Slot(i)) as A;
      const query = this.build(db, ...placeholders).compile() as CompiledQuery;
      const slots = query.parameters.map((p) => (p instanceof Slot ? p.index : null));
      for (let i = 0; i < this.arity; i++) {
        if (!slots.includes(i)) {
          throw new Error(`query template: argument ${i} is not a parameter of\n${query.sql}`);
        }
      }
      compiled = { query, slots };
      this.compiled.set(dialect, compiled);
    }
    return compiled;
  }
}
