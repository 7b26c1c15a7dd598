/**
 * Collects items and hands them over in small batches: at most `intervalMs` after the first item
 * of a batch arrived, or at once when `maxBatch` items are waiting. A burst of records becomes a
 * few dozen socket messages a second instead of one per record.
 */
export class Batcher<T> {
  private items: T[] = []
  private timer: NodeJS.Timeout | null = null
  private closed = false
  batches = 0

  constructor (private readonly flushTo: (items: T[]) => void, readonly intervalMs: number, readonly maxBatch: number) {
    if (!(intervalMs >= 0) || !(maxBatch >= 1)) throw new RangeError('intervalMs must be >= 0 and maxBatch >= 1')
  }

  get pending (): number {
    return this.items.length
  }

  push (item: T): void {
    if (this.closed) return
    this.items.push(item)
    if (this.items.length >= this.maxBatch) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs)
  }

  flush (): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.items.length === 0) return
    const batch = this.items
    this.items = []
    this.batches++
    this.flushTo(batch)
  }

  /** Hands over what is waiting and accepts nothing more. */
  close (): void {
    this.flush()
    this.closed = true
  }
}
