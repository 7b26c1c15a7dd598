-- The relay marks each row as the broker acknowledges it, and sets aside a row that can never be
-- published (failed_at, with its error) so the rows after it flow on.
alter table outbox add column attempts int not null default 0, add column error text, add column failed_at timestamptz;
drop index outbox_unpublished;
create index outbox_pending on outbox (topic, key, id) where published_at is null and failed_at is null;
-- Pruning: published rows and processed event ids are deleted after their window (see outbox.ts).
create index outbox_published on outbox (published_at) where published_at is not null;
create index processed_events_age on processed_events (topic, processed_at);
