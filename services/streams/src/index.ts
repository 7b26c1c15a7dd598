export * from './sql.ts'
export * from './sql-gateway.ts'
export * from './submit.ts'
