// The concept labs (the gateway's /api/lab/*, issue 17) work on the real cluster under one name
// prefix: their topics (`lab.particoes.<name>`, `lab.grupos`, `lab.replicacao`…), their consumer
// groups (`lab.grupos.<protocol>.<id>`) and the schema lab's subjects. Defined once, so the gateway's
// labs and the gateway principal's ACLs (infra/src/security/acls.ts) cannot drift apart; a run's
// TOPIC_PREFIX goes in front of it.
export const LAB_PREFIX = 'lab.'
