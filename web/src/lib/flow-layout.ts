import type { CatalogTopic } from './types.ts'

// Lays the catalog out as three columns: the services that write (left), the topics (middle),
// the services that read (right). The gateway is the observer drawing this, not a participant.

export const W = 1200
export const ROW = 30
/** Half widths of the drawn boxes: edges and moving events attach to their sides. */
export const SERVICE_HALF = 80
export const TOPIC_HALF = 115
const TOP = 40

export interface Node { id: string, label: string, x: number, y: number }
export interface TopicNode extends Node { kind: CatalogTopic['kind'], description: string, orchestration: boolean }
export interface Point { x: number, y: number }
export interface Edge { from: Point, to: Point, orchestration: boolean }
export interface Layout { height: number, writers: Map<string, Node>, readers: Map<string, Node>, topics: Map<string, TopicNode>, edges: Edge[] }

const SERVICE_ORDER = ['checkout-api', 'orchestrator', 'payment', 'inventory', 'notification']

export function layout (catalog: CatalogTopic[]): Layout {
  const topics = new Map<string, TopicNode>()
  catalog.forEach((t, i) => {
    const gap = t.kind === 'retry' || t.kind === 'dead-letter' ? 12 : 0
    topics.set(t.name, { id: t.name, label: t.name, x: W / 2, y: TOP + i * ROW + gap, kind: t.kind, description: t.description, orchestration: t.kind === 'command' || t.kind === 'reply' })
  })
  const height = TOP * 2 + catalog.length * ROW + 12
  const services = [...new Set(catalog.flatMap(t => [...t.writers, ...t.readers]))].filter(s => s !== 'gateway')
  services.sort((a, b) => (SERVICE_ORDER.indexOf(a) + 99) % 99 - (SERVICE_ORDER.indexOf(b) + 99) % 99 || a.localeCompare(b))
  const column = (x: number): Map<string, Node> => new Map(services.map((s, i) => [s, { id: s, label: s, x, y: TOP + (i + 0.5) * ((height - 2 * TOP) / services.length) }]))
  const writers = column(150)
  const readers = column(W - 150)
  const edges: Edge[] = []
  for (const t of catalog) {
    const node = topics.get(t.name)!
    // Retry and dead-letter topics are written by whichever consumer failed: drawn only when it happens.
    if (t.kind === 'retry' || t.kind === 'dead-letter') continue
    for (const w of t.writers) {
      const from = writers.get(w)
      if (from) edges.push({ from: rightOf(from, SERVICE_HALF), to: leftOf(node, TOPIC_HALF), orchestration: node.orchestration })
    }
    for (const r of t.readers) {
      const to = readers.get(r)
      if (to) edges.push({ from: rightOf(node, TOPIC_HALF), to: leftOf(to, SERVICE_HALF), orchestration: node.orchestration })
    }
  }
  return { height, writers, readers, topics, edges }
}

export function leftOf (n: Point, half: number): Point {
  return { x: n.x - half, y: n.y }
}

export function rightOf (n: Point, half: number): Point {
  return { x: n.x + half, y: n.y }
}

/** A point along the curve drawn for an edge (cubic Bézier with horizontal tangents), t in [0, 1]. */
export function along (from: { x: number, y: number }, to: { x: number, y: number }, t: number): { x: number, y: number } {
  const dx = (to.x - from.x) / 2
  const p1 = { x: from.x + dx, y: from.y }
  const p2 = { x: to.x - dx, y: to.y }
  const u = 1 - t
  return {
    x: u * u * u * from.x + 3 * u * u * t * p1.x + 3 * u * t * t * p2.x + t * t * t * to.x,
    y: u * u * u * from.y + 3 * u * u * t * p1.y + 3 * u * t * t * p2.y + t * t * t * to.y
  }
}

export function curve (from: { x: number, y: number }, to: { x: number, y: number }): string {
  const dx = (to.x - from.x) / 2
  return `M${from.x},${from.y} C${from.x + dx},${from.y} ${to.x - dx},${to.y} ${to.x},${to.y}`
}
