// A per-process memory of ids that must not grow with traffic.

/** Remembers up to `max` ids, forgetting the oldest first. */
export class BoundedIdSet {
  private readonly ids = new Set<string>();

  constructor(private readonly max: number) {}

  /** True the first time an id is seen (or seen again after being forgotten). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
