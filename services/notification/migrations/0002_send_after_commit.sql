-- A notification is recorded (pending) in the transaction that consumes its event, and sent after that
-- commits; sent_at is set once every channel took it. The event id is the channels' idempotency key,
-- so a send repeated after a crash is recognised as the same message. A pending row left by a crash
-- is sent by the sweeper.
alter table notifications alter column sent_at drop not null, alter column sent_at drop default,
  add column event_id text, add column detail text, add column mode text, add column correlation_id text,
  add column created_at timestamptz not null default now();
create index notifications_pending on notifications (created_at) where sent_at is null;
