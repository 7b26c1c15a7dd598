export * from './harness.ts'
export * from './invariants.ts'
