// Helpers for broker-backed tests, one module per concern:
// saga-env.ts — a test's own prefixed copy of the catalog's topics, groups and schemas (saga suites);
// stack-env.ts — random topics and isolated stacks for the infra suites; rdkafka.ts — raw clients.
export * from './saga-env.ts'
export * from './stack-env.ts'
export * from './rdkafka.ts'
// prometheus.ts — a private Prometheus and Alertmanager (free ports, temporary folder) with our rules.
export * from './prometheus.ts'
// exercises.ts — the shop an exercise test runs on (a private ControlPlane, its own names and ports).
export * from './exercises.ts'
// control.ts — the control plane's HTTP API on a free port, over a test's ControlPlane.
export * from './control.ts'
// auth.ts — the JWT matrix over every route an app registered (issue 16).
export * from './auth.ts'
