-- inventory owns products and stock. Every change of stock is a row in stock_movements, so the
-- products table can always be recomputed from them:
--   stock_quantity    = sum(restock) - sum(confirm)
--   reserved_quantity = sum(reserve) - sum(release) - sum(confirm)
create table products (
  id varchar(50) primary key,
  name varchar(255) not null,
  price_cents bigint not null check (price_cents > 0),
  stock_quantity integer not null default 0 check (stock_quantity >= 0),
  reserved_quantity integer not null default 0 check (reserved_quantity >= 0),
  created_at timestamptz not null default now(),
  check (reserved_quantity <= stock_quantity)
);

create table stock_movements (
  id bigserial primary key,
  product_id varchar(50) not null references products (id),
  order_id varchar(64),
  movement_type varchar(20) not null check (movement_type in ('restock', 'reserve', 'confirm', 'release')),
  quantity integer not null check (quantity > 0),
  created_at timestamptz not null default now()
);
create index stock_movements_order on stock_movements (order_id);

-- One reservation per order: the state that makes reserve, confirm and release happen at most once.
create table reservations (
  order_id varchar(64) primary key,
  customer_id text not null,
  items jsonb not null,
  mode text not null check (mode in ('choreography', 'orchestration')),
  status text not null check (status in ('reserved', 'committed', 'released', 'failed', 'cancelled')),
  reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
