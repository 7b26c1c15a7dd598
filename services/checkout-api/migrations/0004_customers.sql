-- Customers and their tier (bronze, silver, gold). checkout-api owns the table; Debezium captures
-- every change from PostgreSQL's WAL into the topic customers.cdc, where Flink reads it as a
-- changelog table to attribute revenue to the tier a customer had when the order was placed.
-- The ids are the ones the demo (infra/src/demo.ts) and the traffic generator
-- (src/plugins/app/traffic.ts, TRAFFIC_CUSTOMERS) send; later authentication uses these identities.
create table customers (
  customer_id varchar(64) primary key,
  name varchar(255) not null,
  tier varchar(10) not null check (tier in ('bronze', 'silver', 'gold')),
  updated_at timestamptz not null default now()
);

-- An update's event then carries the row before the change as well ("before" in Debezium's JSON).
alter table customers replica identity full;

insert into customers (customer_id, name, tier) values
  ('ana-pay-ok', 'Ana', 'gold'),
  ('bruno-pay-ok', 'Bruno', 'silver'),
  ('carla-fail-payment', 'Carla', 'bronze'),
  ('diego-pay-ok', 'Diego', 'bronze'),
  ('elisa-pay-ok', 'Elisa', 'silver'),
  ('ex05-pay-ok', 'Cliente do exercício 5', 'bronze')
on conflict (customer_id) do nothing;

-- The traffic generator's customers: trafego-1 … trafego-12 and their fail-payment twins.
-- Every fourth is silver, every sixth gold (gold wins), the rest bronze.
insert into customers (customer_id, name, tier)
select id, 'Cliente ' || id, case when n % 6 = 0 then 'gold' when n % 4 = 0 then 'silver' else 'bronze' end
from generate_series(1, 12) as n,
  lateral (values ('trafego-' || n), ('trafego-' || n || '-fail-payment')) as ids(id)
on conflict (customer_id) do nothing;
