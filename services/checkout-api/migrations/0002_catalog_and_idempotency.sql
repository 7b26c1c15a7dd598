-- checkout-api's replica of products.catalog (event-carried state transfer): the name, price and
-- active flag of every product, as inventory last published them. Orders are priced from here,
-- never from the client and without a call to inventory. `version` only moves forward.
create table catalog_products (
  product_id text primary key,
  name text not null,
  price_cents bigint not null check (price_cents > 0),
  currency text not null,
  active boolean not null,
  version bigint not null,
  updated_at timestamptz not null default now()
);

-- An Idempotency-Key belongs to the customer that sent it: two customers may pick the same key.
alter table orders drop constraint orders_idempotency_key_key;
create unique index orders_customer_idempotency_key on orders (customer_id, idempotency_key);
