// Numbers, times and durations as a Brazilian class reads them.

const time = new Intl.DateTimeFormat('pt-BR', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })

/** 14:03:07.123 */
export function clock (ms: number): string {
  return `${time.format(ms)}.${String(Math.floor(ms % 1000)).padStart(3, '0')}`
}

/** 850 ms, 2,4 s, 1 min 05 s */
export function duration (ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toLocaleString('pt-BR', { maximumFractionDigits: 1 })} s`
  const m = Math.floor(ms / 60_000)
  return `${m} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`
}

export function delta (ms: number): string {
  return `+${duration(ms)}`
}

export function percent (ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return '—'
  return `${(ratio * 100).toLocaleString('pt-BR', { maximumFractionDigits: 1 })}%`
}

export function count (n: number): string {
  return n.toLocaleString('pt-BR')
}

export function money (cents: number): string {
  return (cents / 100).toLocaleString('pt-BR', { style: 'currency', currency: 'BRL' })
}

export function shortId (id: string | null | undefined): string {
  if (!id) return '—'
  return id.length > 12 ? id.slice(0, 8) + '…' : id
}
