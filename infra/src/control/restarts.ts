import { existsSync, rmSync } from 'node:fs'
import { appPid, crashFile } from '../apps.ts'
import type { ControlPlane } from './plane.ts'

// The supervisor's part of the crash point: an app that exits there (the sales-counter, between
// producing and committing) writes its crash file first; once its process is gone, the control
// plane starts it again, as a real deployment's supervisor would. A kill or a stop writes no file,
// so `make kill S=sales-counter` still leaves it down.

export interface Restarted { name: string, at: string }

/** Watches the crash files of `names` every `everyMs`; returns a function that stops watching. */
export function restartCrashed (plane: ControlPlane, onRestart: (r: Restarted | { name: string, error: Error }) => void = () => {}, everyMs = 500, names: readonly string[] = ['sales-counter']): () => void {
  let busy = false
  const timer = setInterval(() => {
    if (busy) return
    for (const name of names) {
      const file = crashFile(plane.settings.apps, name)
      // Written just before the exit: wait until the process is really gone.
      if (!existsSync(file) || appPid(plane.settings.apps, name) !== undefined) continue
      busy = true
      rmSync(file, { force: true })
      plane.act(name, 'start')
        .then(() => onRestart({ name, at: new Date().toISOString() }), (err: Error) => onRestart({ name, error: err }))
        .finally(() => { busy = false })
      return
    }
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
