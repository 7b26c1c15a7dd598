-- payment owns charges. One row per order (primary key): an order can never be charged twice.
create table payments (
  order_id text primary key,
  payment_id text not null,
  customer_id text not null,
  amount_cents bigint not null,
  items jsonb not null default '[]',
  mode text not null check (mode in ('choreography', 'orchestration')),
  status text not null check (status in ('requested', 'approved', 'declined', 'cancelled', 'refunded')),
  reason text,
  -- When the simulated card network answers; a restart picks up where it left off.
  decide_at timestamptz,
  cause_event_id text,
  correlation_id text,
  created_at timestamptz not null default now(),
  charged_at timestamptz,
  refunded_at timestamptz
);
create index payments_due on payments (decide_at) where status = 'requested';
