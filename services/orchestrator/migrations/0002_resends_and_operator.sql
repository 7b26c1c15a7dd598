-- Every step has a deadline and a bounded re-send (resends counts those of the current step); a saga
-- that still cannot finish is flagged for an operator (attention: why), never silently left waiting.
alter table sagas add column resends int not null default 0, add column attention text, add column attention_at timestamptz,
  add column sweep_attempts int not null default 0, add column sweep_error text;
create index sagas_attention on sagas (attention_at) where attention is not null;
