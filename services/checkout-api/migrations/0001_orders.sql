-- checkout-api owns orders: their items, total, status and the events it saw for each.
create table orders (
  id text primary key,
  customer_id text not null,
  items jsonb not null,
  total_cents bigint not null check (total_cents > 0),
  status text not null default 'pending' check (status in ('pending', 'confirmed', 'failed')),
  mode text not null check (mode in ('choreography', 'orchestration')),
  channel text not null default 'web',
  reason text,
  detail text,
  idempotency_key text unique,
  request_hash text,
  deadline_at timestamptz not null,
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create index orders_pending_deadline on orders (deadline_at) where status = 'pending';

create table order_history (
  id bigserial primary key,
  order_id text not null references orders (id),
  topic text not null,
  event_id text not null,
  direction text not null check (direction in ('produced', 'consumed')),
  partition int,
  "offset" bigint,
  summary text,
  at timestamptz not null default now()
);
create index order_history_order on order_history (order_id, id);
