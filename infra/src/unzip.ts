import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { inflateRawSync } from 'node:zlib'

// A minimal zip reader (stored and deflated entries, no zip64): setup unpacks Flink's PyPI wheel with
// it, so a fresh machine needs neither unzip nor Python nor a JDK's jar tool.

/**
 * Extracts the entries of `file` that `pick` maps to a relative path (undefined skips the entry)
 * into `dest`; returns the paths written.
 */
export function extractZip (file: string, dest: string, pick: (name: string) => string | undefined): string[] {
  const zip = readFileSync(file)
  // The end-of-central-directory record is in the last 64 KiB (its comment is at most 65535 bytes).
  let eocd = -1
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end of central directory)`)
  const entries = zip.readUInt16LE(eocd + 10)
  let at = zip.readUInt32LE(eocd + 16)
  if (entries === 0xffff || at === 0xffffffff) throw new Error(`${file} is a zip64 archive, which this reader does not handle`)
  const written: string[] = []
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${n}`)
    const method = zip.readUInt16LE(at + 10)
    const size = zip.readUInt32LE(at + 20)
    const nameLen = zip.readUInt16LE(at + 28)
    const local = zip.readUInt32LE(at + 42)
    const name = zip.toString('utf8', at + 46, at + 46 + nameLen)
    at += 46 + nameLen + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32)
    const target = name.endsWith('/') ? undefined : pick(name)
    if (target === undefined) continue
    const path = normalize(join(dest, target))
    if (!path.startsWith(normalize(dest))) throw new Error(`${file}: entry ${name} points outside ${dest}`)
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const raw = zip.subarray(start, start + size)
    const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : undefined
    if (data === undefined) throw new Error(`${file}: entry ${name} uses compression method ${method}`)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, data)
    written.push(path)
  }
  return written
}
