-- An order that cannot end by itself is flagged for an operator (attention: why), never silently pending:
-- an orchestrated order still pending past its deadline plus a grace (outcome_missing), or an order one
-- of whose records was dead-lettered by any service (dead_letter). GET /orders/:id shows it.
alter table orders add column attention text, add column attention_detail text, add column attention_at timestamptz;
create index orders_attention on orders (attention_at) where attention is not null;

-- DLQ records the watcher has already turned into a flag (one flag per dead letter).
create table dead_letters_seen (
  dlq_partition int not null,
  dlq_offset bigint not null,
  order_id text not null,
  seen_at timestamptz not null default now(),
  primary key (dlq_partition, dlq_offset)
);
