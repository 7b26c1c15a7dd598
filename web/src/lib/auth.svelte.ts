// Who is signed in (issue 16, HTTP_AUTH=jwt): the token the gateway's dev issuer gave, kept in
// sessionStorage (gone when the tab closes) and sent on every API call (api.ts). The live feed
// needs none: students watch it without signing in.

export interface Session { token: string, role: 'customer' | 'instructor', sub: string, expiresAt: string }

const KEY = 'vitrine.session'

function stored (): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null
    return s !== null && Date.parse(s.expiresAt) > Date.now() ? s : null
  } catch {
    return null
  }
}

export const auth = $state<{ session: Session | null }>({ session: stored() })

/** The Authorization header for an API call, or none. */
export function authHeaders (): Record<string, string> {
  const s = auth.session
  return s !== null && Date.parse(s.expiresAt) > Date.now() ? { authorization: `Bearer ${s.token}` } : {}
}

export function signedIn (s: Session): void {
  auth.session = s
  sessionStorage.setItem(KEY, JSON.stringify(s))
}

export function signOut (): void {
  auth.session = null
  sessionStorage.removeItem(KEY)
}
