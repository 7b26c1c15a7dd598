-- The orchestrator owns the orchestrated sagas: one row per order, holding everything needed to
-- resume after a crash (the order data, the current step and its deadline, the commands awaiting
-- an answer, what must be compensated). A state change and its commands (outbox) commit together.
create table sagas (
  order_id text primary key,
  state text not null check (state in ('created', 'payment_pending', 'payment_approved', 'inventory_reserved', 'completed', 'failed', 'compensating_payment', 'compensating_inventory')),
  step text check (step in ('payment', 'inventory', 'commit', 'compensation')),
  step_deadline_at timestamptz,
  order_deadline_at timestamptz not null,
  order_data jsonb not null,
  -- Participants whose effect may exist and must be undone if the saga fails.
  compensate text[] not null default '{}',
  -- Command name -> eventId of the command whose reply is awaited (replies carry it as causation-id).
  awaiting jsonb not null default '{}',
  -- What checkout-api was told: CONFIRM or FAIL, once.
  outcome text check (outcome in ('confirmed', 'failed')),
  failure_reason text,
  failure_detail text,
  correlation_id text not null,
  -- The event that caused the last transition: the causation-id of commands sent by the sweeper.
  last_event_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
create index sagas_due on sagas (step_deadline_at) where step_deadline_at is not null;

-- Every transition, for GET /sagas/:orderId and the class: from, to, why, and the commands it sent.
create table saga_transitions (
  id bigserial primary key,
  order_id text not null references sagas (order_id),
  from_state text,
  to_state text not null,
  cause text not null,
  commands text[] not null default '{}',
  at timestamptz not null default now()
);
create index saga_transitions_order on saga_transitions (order_id, id);
