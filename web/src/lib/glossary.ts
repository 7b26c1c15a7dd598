import type { PageName } from './router.svelte.ts'

// The course's glossary (pt-BR): each term a class meets, a short definition, where in the app it
// can be seen live, and its page in docs/conceitos/ when one exists. One list, so any page links a
// term through components/Term.svelte (#/glossario/<id> scrolls to it and highlights it).

export interface GlossaryTerm {
  /** The address's last part, #/glossario/<id>: lowercase ASCII words joined by hyphens. */
  id: string
  term: string
  definition: string
  /** Where the class sees it happen: a page of the app, with its tab or item. */
  live?: { page: PageName, params?: readonly string[], label: string }
  /** Its page in the repository's docs/conceitos/, from the repository's root. */
  doc?: string
}

const TOPICS = { page: 'kafka', params: ['topicos'], label: 'Kafka › Tópicos' } as const
const GROUPS = { page: 'kafka', params: ['grupos'], label: 'Kafka › Grupos de consumidores' } as const
const REGISTRY = { page: 'kafka', params: ['registry'], label: 'Kafka › Schema Registry' } as const
const DLQ = { page: 'kafka', params: ['dlq'], label: 'Kafka › Dead-letter (DLQ)' } as const
const LAB_PARTITIONS = { page: 'lab', params: ['particoes'], label: 'Laboratório › Partições' } as const
const LAB_GROUPS = { page: 'lab', params: ['grupos'], label: 'Laboratório › Grupos de consumidores' } as const
const LAB_REPLICATION = { page: 'lab', params: ['replicacao'], label: 'Laboratório › Replicação' } as const
const LAB_SCHEMAS = { page: 'lab', params: ['schemas'], label: 'Laboratório › Evolução de schema' } as const
const COMPACTION = { page: 'lab', params: ['compactacao'], label: 'Laboratório › Compactação e retenção' } as const
const LAB_PRODUCER = { page: 'lab', params: ['produtor'], label: 'Laboratório › Produtor' } as const
const EVENTS = { page: 'eventos', label: 'Eventos' } as const
const FLOW = { page: 'fluxo', label: 'Fluxo ao vivo' } as const
const NEW_ORDER = { page: 'novo', label: 'Novo pedido' } as const
const EXACTLY_ONCE = { page: 'exactly-once', label: 'Exactly-once' } as const
const CHAOS = { page: 'caos', label: 'Caos' } as const
const KPIS = { page: 'kpis', label: 'KPIs (Flink)' } as const

export const GLOSSARY: readonly GlossaryTerm[] = [
  { id: 'topico', term: 'Tópico', definition: 'Um log nomeado onde produtores escrevem e consumidores leem registros, na ordem em que chegaram em cada partição. Ler não apaga: cada leitor guarda até onde já leu.', live: TOPICS, doc: 'docs/conceitos/topicos.md' },
  { id: 'particao', term: 'Partição', definition: 'Um pedaço do tópico, um log só de acréscimos com sua própria sequência de offsets. A ordem vale dentro de uma partição, e as partições são a unidade de paralelismo: um grupo dá cada partição a um único membro.', live: LAB_PARTITIONS, doc: 'docs/conceitos/particoes.md' },
  { id: 'offset', term: 'Offset', definition: 'A posição de um registro na sua partição: 0, 1, 2… Nunca muda nem é reaproveitado; o par (partição, offset) identifica o registro. O consumidor guarda o próximo offset a ler.', live: EVENTS, doc: 'docs/conceitos/particoes.md' },
  { id: 'chave', term: 'Chave', definition: 'O campo do registro que escolhe a partição: a mesma chave vai sempre para a mesma partição (enquanto o número de partições não muda), e por isso os eventos de um mesmo pedido ficam em ordem. Sem chave, o produtor espalha.', live: LAB_PARTITIONS, doc: 'docs/conceitos/particoes.md' },
  { id: 'segmento', term: 'Segmento', definition: 'Cada partição é guardada em disco como uma série de arquivos, os segmentos. Só o segmento ativo recebe escritas; a retenção e a compactação trabalham segmento a segmento, nunca no ativo.', live: COMPACTION },
  { id: 'retencao', term: 'Retenção', definition: 'Por quanto tempo (retention.ms) ou até que tamanho (retention.bytes) uma partição guarda registros com cleanup.policy=delete. Segmentos inteiros mais velhos que o limite são apagados e o primeiro offset disponível avança.', live: COMPACTION, doc: 'docs/conceitos/topicos.md' },
  { id: 'compactacao', term: 'Compactação', definition: 'Com cleanup.policy=compact, o cleaner do broker reescreve os segmentos antigos guardando só o último valor de cada chave. O tópico vira um "estado": quem lê do começo reconstrói o valor atual de cada chave.', live: COMPACTION, doc: 'docs/conceitos/topicos.md' },
  { id: 'tombstone', term: 'Tombstone', definition: 'Um registro com valor nulo: em tópico compactado, pede que a chave seja apagada. O cleaner remove os valores anteriores e, passado delete.retention.ms, o próprio tombstone.', live: COMPACTION },
  { id: 'broker', term: 'Broker', definition: 'Um servidor Kafka: guarda partições em disco e atende produtores e consumidores. Um cluster tem um ou mais.', live: LAB_REPLICATION, doc: 'docs/conceitos/replicacao.md' },
  { id: 'kraft', term: 'KRaft', definition: 'O modo do Kafka sem ZooKeeper (o único no Kafka 4): os metadados do cluster ficam num log replicado entre os controllers pelo protocolo Raft.', live: LAB_REPLICATION, doc: 'docs/conceitos/replicacao.md' },
  { id: 'controller', term: 'Controller', definition: 'O nó que mantém os metadados do cluster (tópicos, líderes, ISR) e escolhe novos líderes quando um broker cai. Em KRaft, um quórum de controllers elege um líder entre si; sem maioria, o cluster não muda de líder.', live: LAB_REPLICATION, doc: 'docs/conceitos/replicacao.md' },
  { id: 'replica', term: 'Réplica', definition: 'Uma cópia de uma partição num broker. O fator de replicação diz quantas existem; uma é a líder, as outras seguidoras copiam dela.', live: LAB_REPLICATION, doc: 'docs/conceitos/replicacao.md' },
  { id: 'lider', term: 'Líder', definition: 'A réplica que atende as escritas (e por padrão as leituras) de uma partição. Se o broker dela cai, o controller escolhe outra réplica do ISR como líder.', live: LAB_REPLICATION, doc: 'docs/conceitos/replicacao.md' },
  { id: 'isr', term: 'ISR (in-sync replicas)', definition: 'As réplicas em dia com a líder. Só elas podem virar líder sem perder dados confirmados; uma seguidora que fica para trás sai do ISR e volta quando alcança.', live: LAB_REPLICATION, doc: 'docs/conceitos/replicacao.md' },
  { id: 'acks', term: 'acks', definition: 'Quantas confirmações o produtor espera: 0 (nenhuma), 1 (só a líder gravou) ou all (todo o ISR gravou). A Vitrine usa acks=all: um pedido confirmado não se perde se a líder cair.', live: CHAOS, doc: 'docs/conceitos/produtores.md' },
  { id: 'min-insync-replicas', term: 'min.insync.replicas', definition: 'O menor ISR com que uma escrita acks=all é aceita. Com 3 réplicas e min.insync.replicas=2, uma pode cair; com duas fora, o broker recusa com NOT_ENOUGH_REPLICAS em vez de arriscar perder o dado.', live: LAB_REPLICATION, doc: 'docs/conceitos/replicacao.md' },
  { id: 'linger-ms', term: 'linger.ms e lotes (batch.size)', definition: 'O produtor agrupa os registros de uma partição em lotes (record batches): cada requisição Produce leva um lote por partição, e o broker guarda o lote inteiro como veio. linger.ms é quanto o produtor espera por mais registros antes de mandar um lote; batch.size, o tamanho máximo do lote. Esperar mais dá lotes maiores e menos requisições, ao custo de latência.', live: LAB_PRODUCER, doc: 'docs/conceitos/produtores.md' },
  { id: 'produtor', term: 'Produtor', definition: 'O cliente que escreve registros num tópico: escolhe a partição pela chave, agrupa em lotes (linger) e espera os acks.', live: FLOW, doc: 'docs/conceitos/produtores.md' },
  { id: 'consumidor', term: 'Consumidor', definition: 'O cliente que lê registros de partições, processa e guarda (commit) até onde leu.', live: GROUPS, doc: 'docs/conceitos/consumidores.md' },
  { id: 'consumer-group', term: 'Consumer group (grupo de consumidores)', definition: 'Consumidores com o mesmo group.id dividem as partições de um tópico: cada partição é lida por um só membro. Grupos diferentes leem o mesmo tópico de forma independente.', live: LAB_GROUPS, doc: 'docs/conceitos/grupos-de-consumidores.md' },
  { id: 'rebalance', term: 'Rebalance (rebalanceamento)', definition: 'A redistribuição das partições entre os membros de um grupo quando um entra, sai ou para de responder. No protocolo clássico eager todos param; no cooperative-sticky e no protocolo consumer (KIP-848) só as partições que mudam de dono.', live: LAB_GROUPS, doc: 'docs/conceitos/grupos-de-consumidores.md' },
  { id: 'lag', term: 'Lag', definition: 'Quantos registros o grupo ainda não processou numa partição: o fim da partição menos o offset que o grupo confirmou. Lag crescendo é consumidor parado ou lento.', live: GROUPS, doc: 'docs/conceitos/grupos-de-consumidores.md' },
  { id: 'commit', term: 'Commit (de offset)', definition: 'O consumidor grava no broker o próximo offset a ler de cada partição. Depois de uma queda, o grupo recomeça do último commit: o que foi processado e não confirmado é lido de novo (at-least-once).', live: GROUPS, doc: 'docs/conceitos/consumidores.md' },
  { id: 'idempotencia', term: 'Idempotência', definition: 'Repetir uma operação não muda o resultado. No produtor (enable.idempotence), o broker descarta reenvios duplicados; nos consumidores da Vitrine, cada evento processado é registrado e ignorado se voltar.', live: NEW_ORDER, doc: 'docs/conceitos/idempotencia.md' },
  { id: 'transacao', term: 'Transação', definition: 'Um produtor transacional grava em vários tópicos e confirma offsets de leitura de uma vez: tudo fica visível, ou nada, para quem lê com isolation.level=read_committed.', live: EXACTLY_ONCE, doc: 'docs/conceitos/transacoes.md' },
  { id: 'exactly-once', term: 'Exactly-once', definition: 'Cada evento afeta o resultado exatamente uma vez. Kafka → Kafka, com transações; quando há um banco no meio, a Vitrine chega ao mesmo efeito com at-least-once + idempotência + outbox.', live: EXACTLY_ONCE, doc: 'docs/conceitos/transacoes.md' },
  { id: 'outbox', term: 'Outbox', definition: 'O evento a publicar é gravado numa tabela na mesma transação do banco que muda o estado; um relay o publica no Kafka depois do commit. Assim não existe estado salvo sem evento, nem evento de estado que não foi salvo.', live: FLOW, doc: 'docs/conceitos/transacoes.md' },
  { id: 'saga', term: 'Saga', definition: 'Uma transação de negócio longa feita de passos locais em serviços diferentes (reservar estoque, cobrar, confirmar), cada um com sua compensação (liberar, estornar) se um passo seguinte falhar.', live: FLOW },
  { id: 'coreografia', term: 'Coreografia', definition: 'Saga sem coordenador: cada serviço reage aos eventos dos outros e publica os seus. Simples de começar; o fluxo só existe espalhado pelos serviços.', live: FLOW },
  { id: 'orquestracao', term: 'Orquestração', definition: 'Saga com um coordenador (o orchestrator) que manda comandos a cada serviço e decide o próximo passo pelas respostas. O fluxo fica num lugar só, numa máquina de estados.', live: FLOW },
  { id: 'retry-topic', term: 'Retry topic (tópico de nova tentativa)', definition: 'Um evento que falhou por motivo passageiro vai para um tópico de retry e é tentado de novo depois de um atraso, sem travar a partição original.', live: DLQ, doc: 'docs/conceitos/dlq.md' },
  { id: 'dlq', term: 'DLQ (dead-letter queue)', definition: 'O tópico para onde vai o evento que não dá para processar (ou que esgotou as tentativas), com o tópico, a partição, o offset de origem e o erro. Nada some em silêncio; dá para reprocessar depois.', live: DLQ, doc: 'docs/conceitos/dlq.md' },
  { id: 'schema', term: 'Schema', definition: 'O contrato do formato dos registros de um tópico (na Vitrine, Avro). Cada registro leva o id do schema com que foi escrito; o Schema Registry guarda as versões.', live: REGISTRY, doc: 'docs/conceitos/schema-registry.md' },
  { id: 'compatibilidade', term: 'Compatibilidade BACKWARD / FORWARD / FULL', definition: 'A regra que o registry aplica a uma nova versão de schema. BACKWARD: quem lê com o schema novo lê dados antigos (ex.: campo novo com default). FORWARD: quem lê com o schema antigo lê dados novos. FULL: as duas coisas.', live: LAB_SCHEMAS, doc: 'docs/conceitos/schema-registry.md' },
  { id: 'sasl-scram', term: 'SASL/SCRAM', definition: 'Autenticação por usuário e senha em que a senha nunca trafega: cliente e broker provam que a conhecem por desafio e resposta (SCRAM-SHA-512). Com KAFKA_AUTH=scram, cada serviço tem seu usuário.' },
  { id: 'acl', term: 'ACL', definition: 'Regra de autorização do Kafka: qual usuário pode fazer qual operação (READ, WRITE, DESCRIBE…) em qual recurso (tópico, grupo, id transacional). Na Vitrine, derivadas do catálogo: cada serviço só escreve nos tópicos que são seus.' },
  { id: 'checkpoint', term: 'Checkpoint', definition: 'Um retrato consistente do estado de um job de stream processing (Flink) e dos offsets que leu. Se o job cai, recomeça do último checkpoint sem perder nem contar duas vezes.', live: KPIS, doc: 'docs/conceitos/stream-processing.md' },
  { id: 'cdc', term: 'CDC (change data capture)', definition: 'Ler as mudanças de um banco direto do seu log (o WAL do PostgreSQL) e publicá-las como eventos num tópico, sem mudar a aplicação. Na Vitrine, o Debezium no Kafka Connect faz isso com a tabela de clientes.' }
]

export function glossaryTerm (id: string): GlossaryTerm | undefined {
  return GLOSSARY.find(t => t.id === id)
}
