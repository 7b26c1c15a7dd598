-- Inventory publishes its products on products.catalog (compacted). `active` says whether a product
-- can be ordered; `version` grows at every change of what the catalog carries (name, price, active),
-- so a replica can refuse to go back to an older state of a product.
alter table products add column active boolean not null default true;
alter table products add column version bigint not null default 1 check (version > 0);
alter table products add column updated_at timestamptz not null default now();
