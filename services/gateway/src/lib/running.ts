import { ShopError } from '@vitrine/service-kit'

/**
 * `fn` with at most `max` calls running at once: one more is refused at once with a 409 (a costly
 * call, such as a comparison running two sagas, is never queued behind others nor run beside them).
 */
export function atMostRunning<A extends unknown[], R> (max: number, what: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let running = 0
  return async (...args: A): Promise<R> => {
    if (running >= max) {
      throw new ShopError('SHOP_ERR_BUSY', `${what} is already running (at most ${max} at once); try again when it ends`, 409,
        { errors: [{ field: 'request', rule: 'maxRunning', message: `at most ${max} at once` }] })
    }
    running++
    try {
      return await fn(...args)
    } finally {
      running--
    }
  }
}
