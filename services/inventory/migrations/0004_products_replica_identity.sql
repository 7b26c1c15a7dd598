-- Debezium captures this table into products.cdc (see infra/src/streams-connect.ts). With the whole
-- old row in the WAL it can tell a change of what the catalog carries (name, price, active) from a
-- stock-only update (every reservation), and skip the latter.
alter table products replica identity full;
