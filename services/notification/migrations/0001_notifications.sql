-- One notification of each kind per order, whatever the redeliveries.
create table notifications (
  order_id text not null,
  kind text not null check (kind in ('ORDER_CONFIRMED', 'ORDER_FAILED', 'OUT_OF_STOCK')),
  customer_id text not null,
  channels text[] not null,
  sent_at timestamptz not null default now(),
  primary key (order_id, kind)
);
