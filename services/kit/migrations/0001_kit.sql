-- Tables every service owns in its own schema (the search_path points at it).

-- Idempotent consumers: an event id is recorded in the same transaction as its effect,
-- so a redelivered event changes nothing.
create table processed_events (
  event_id text primary key,
  topic text not null,
  processed_at timestamptz not null default now()
);

-- Transactional outbox: an event to publish is written in the same transaction as the state change
-- that caused it; the relay publishes it after commit and marks it. A crash in between means the
-- event is published late (at-least-once), never lost.
create table outbox (
  id bigserial primary key,
  topic text not null,
  key text not null,
  value jsonb not null,
  headers jsonb not null default '{}',
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;
