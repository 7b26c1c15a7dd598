-- The sweeper decides each due charge in its own transaction; one that keeps throwing is set aside
-- with its error (an operator looks at it) instead of being picked first again forever.
alter table payments add column sweep_attempts int not null default 0, add column sweep_error text, add column set_aside_at timestamptz;
