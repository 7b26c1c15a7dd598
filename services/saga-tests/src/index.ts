export * from './harness.ts'
export * from './invariants.ts'
export * from './orchestration.ts'
export * from './gateway.ts'
