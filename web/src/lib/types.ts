// The gateway's wire contract (services/gateway/src/wire.ts): one definition for both sides.
export type * from '@vitrine/gateway/wire'
