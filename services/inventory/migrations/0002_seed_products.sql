-- The plan's demo catalogue. Initial stock enters as restock movements, like any later delivery.
insert into products (id, name, price_cents) values
  ('prod_1', 'Camiseta Kafka', 4990),
  ('prod_2', 'Caneca Zookeeper (edição de despedida)', 3500),
  ('prod_3', 'Adesivo KRaft', 990),
  ('prod_4', 'Moletom Stream Processing', 15990),
  ('prod_5', 'Livro: Sagas na Prática', 8990),
  ('prod_6', 'Boné Exactly-Once', 5990)
on conflict (id) do nothing;

insert into stock_movements (product_id, movement_type, quantity)
select id, 'restock', q from (values ('prod_1', 1000), ('prod_2', 500), ('prod_3', 5000), ('prod_4', 200), ('prod_5', 300), ('prod_6', 5)) as s(id, q);

update products p set stock_quantity = s.q
from (select product_id, sum(quantity)::int as q from stock_movements where movement_type = 'restock' group by product_id) s
where s.product_id = p.id;
