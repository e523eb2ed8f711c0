/** Numbered placeholders for SQL put together from parts: each value added gets the next `$n`. */
export class SqlParameters {
  readonly values: unknown[] = [];

  /** The placeholder for `value`, cast to `type` when given. */
  add(value: unknown, type?: string): string {
    this.values.push(value);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }

  /** The number the next placeholder will have. */
  get next(): number {
    return this.values.length + 1;
  }
}
