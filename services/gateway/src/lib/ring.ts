/** A fixed-capacity buffer that keeps the most recent items: what a browser that connects late gets first. */
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>
  private next = 0
  private count = 0

  constructor (readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer')
    this.items = new Array<T | undefined>(capacity)
  }

  get size (): number {
    return this.count
  }

  push (item: T): void {
    this.items[this.next] = item
    this.next = (this.next + 1) % this.capacity
    if (this.count < this.capacity) this.count++
  }

  /** Oldest first. */
  toArray (): T[] {
    const out: T[] = []
    const start = (this.next - this.count + this.capacity) % this.capacity
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity] as T)
    return out
  }

  /** The newest `n`, oldest first. */
  last (n: number): T[] {
    const all = this.toArray()
    return n >= all.length ? all : all.slice(all.length - n)
  }
}
