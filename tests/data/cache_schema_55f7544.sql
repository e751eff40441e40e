-- The schema of a cache file made by desk-billing at commit 55f7544 (PRAGMA user_version = 2,
-- 8 KiB pages), as stored in its sqlite_master: tables, indexes, full-text tables, triggers.
-- FTS5's own shadow tables are left out; CREATE VIRTUAL TABLE makes them.
-- tests/unit/test_migrations.py builds an old cache from it to check that it still opens.

CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  email TEXT,
  name TEXT,
  description TEXT,
  phone TEXT,
  currency TEXT,
  balance INTEGER,
  delinquent INTEGER,
  metadata_text TEXT
);
CREATE INDEX customers_created ON customers (created DESC);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_name ON customers (name);
CREATE VIRTUAL TABLE customers_fts USING fts5 (id, metadata_text, email, name, description, phone, content=customers);
CREATE TRIGGER customers_ai AFTER INSERT ON customers BEGIN INSERT INTO customers_fts (rowid, id, metadata_text, email, name, description, phone) VALUES (new.rowid, new.id, new.metadata_text, new.email, new.name, new.description, new.phone); END;
CREATE TRIGGER customers_ad AFTER DELETE ON customers BEGIN INSERT INTO customers_fts (customers_fts, rowid, id, metadata_text, email, name, description, phone) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.email, old.name, old.description, old.phone); END;
CREATE TRIGGER customers_au AFTER UPDATE ON customers BEGIN INSERT INTO customers_fts (customers_fts, rowid, id, metadata_text, email, name, description, phone) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.email, old.name, old.description, old.phone); INSERT INTO customers_fts (rowid, id, metadata_text, email, name, description, phone) VALUES (new.rowid, new.id, new.metadata_text, new.email, new.name, new.description, new.phone); END;
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  name TEXT,
  description TEXT,
  active INTEGER,
  default_price TEXT,
  metadata_text TEXT
);
CREATE INDEX products_created ON products (created DESC);
CREATE INDEX products_name ON products (name);
CREATE INDEX products_active ON products (active);
CREATE VIRTUAL TABLE products_fts USING fts5 (id, metadata_text, name, description, content=products);
CREATE TRIGGER products_ai AFTER INSERT ON products BEGIN INSERT INTO products_fts (rowid, id, metadata_text, name, description) VALUES (new.rowid, new.id, new.metadata_text, new.name, new.description); END;
CREATE TRIGGER products_ad AFTER DELETE ON products BEGIN INSERT INTO products_fts (products_fts, rowid, id, metadata_text, name, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.name, old.description); END;
CREATE TRIGGER products_au AFTER UPDATE ON products BEGIN INSERT INTO products_fts (products_fts, rowid, id, metadata_text, name, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.name, old.description); INSERT INTO products_fts (rowid, id, metadata_text, name, description) VALUES (new.rowid, new.id, new.metadata_text, new.name, new.description); END;
CREATE TABLE prices (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  product TEXT,
  active INTEGER,
  currency TEXT,
  unit_amount INTEGER,
  type TEXT,
  interval TEXT,
  nickname TEXT,
  lookup_key TEXT,
  metadata_text TEXT
);
CREATE INDEX prices_created ON prices (created DESC);
CREATE INDEX prices_product ON prices (product);
CREATE VIRTUAL TABLE prices_fts USING fts5 (id, metadata_text, nickname, lookup_key, content=prices);
CREATE TRIGGER prices_ai AFTER INSERT ON prices BEGIN INSERT INTO prices_fts (rowid, id, metadata_text, nickname, lookup_key) VALUES (new.rowid, new.id, new.metadata_text, new.nickname, new.lookup_key); END;
CREATE TRIGGER prices_ad AFTER DELETE ON prices BEGIN INSERT INTO prices_fts (prices_fts, rowid, id, metadata_text, nickname, lookup_key) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.nickname, old.lookup_key); END;
CREATE TRIGGER prices_au AFTER UPDATE ON prices BEGIN INSERT INTO prices_fts (prices_fts, rowid, id, metadata_text, nickname, lookup_key) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.nickname, old.lookup_key); INSERT INTO prices_fts (rowid, id, metadata_text, nickname, lookup_key) VALUES (new.rowid, new.id, new.metadata_text, new.nickname, new.lookup_key); END;
CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  customer TEXT,
  status TEXT,
  currency TEXT,
  description TEXT,
  price TEXT,
  product TEXT,
  current_period_end INTEGER,
  cancel_at_period_end INTEGER,
  canceled_at INTEGER,
  metadata_text TEXT
);
CREATE INDEX subscriptions_created ON subscriptions (created DESC);
CREATE INDEX subscriptions_customer ON subscriptions (customer);
CREATE INDEX subscriptions_status ON subscriptions (status);
CREATE VIRTUAL TABLE subscriptions_fts USING fts5 (id, metadata_text, description, content=subscriptions);
CREATE TRIGGER subscriptions_ai AFTER INSERT ON subscriptions BEGIN INSERT INTO subscriptions_fts (rowid, id, metadata_text, description) VALUES (new.rowid, new.id, new.metadata_text, new.description); END;
CREATE TRIGGER subscriptions_ad AFTER DELETE ON subscriptions BEGIN INSERT INTO subscriptions_fts (subscriptions_fts, rowid, id, metadata_text, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.description); END;
CREATE TRIGGER subscriptions_au AFTER UPDATE ON subscriptions BEGIN INSERT INTO subscriptions_fts (subscriptions_fts, rowid, id, metadata_text, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.description); INSERT INTO subscriptions_fts (rowid, id, metadata_text, description) VALUES (new.rowid, new.id, new.metadata_text, new.description); END;
CREATE TABLE invoices (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  customer TEXT,
  status TEXT,
  number TEXT,
  email TEXT,
  name TEXT,
  description TEXT,
  currency TEXT,
  total INTEGER,
  subtotal INTEGER,
  amount_due INTEGER,
  amount_paid INTEGER,
  amount_remaining INTEGER,
  due_date INTEGER,
  period_end INTEGER,
  subscription TEXT,
  collection_method TEXT,
  metadata_text TEXT
);
CREATE INDEX invoices_created ON invoices (created DESC);
CREATE INDEX invoices_customer ON invoices (customer);
CREATE INDEX invoices_status ON invoices (status);
CREATE INDEX invoices_number ON invoices (number);
CREATE INDEX invoices_due_date ON invoices (due_date);
CREATE VIRTUAL TABLE invoices_fts USING fts5 (id, metadata_text, number, email, name, description, content=invoices);
CREATE TRIGGER invoices_ai AFTER INSERT ON invoices BEGIN INSERT INTO invoices_fts (rowid, id, metadata_text, number, email, name, description) VALUES (new.rowid, new.id, new.metadata_text, new.number, new.email, new.name, new.description); END;
CREATE TRIGGER invoices_ad AFTER DELETE ON invoices BEGIN INSERT INTO invoices_fts (invoices_fts, rowid, id, metadata_text, number, email, name, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.number, old.email, old.name, old.description); END;
CREATE TRIGGER invoices_au AFTER UPDATE ON invoices BEGIN INSERT INTO invoices_fts (invoices_fts, rowid, id, metadata_text, number, email, name, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.number, old.email, old.name, old.description); INSERT INTO invoices_fts (rowid, id, metadata_text, number, email, name, description) VALUES (new.rowid, new.id, new.metadata_text, new.number, new.email, new.name, new.description); END;
CREATE TABLE invoiceitems (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  customer TEXT,
  invoice TEXT,
  amount INTEGER,
  currency TEXT,
  description TEXT,
  price TEXT,
  period_end INTEGER,
  subscription TEXT,
  metadata_text TEXT
);
CREATE INDEX invoiceitems_created ON invoiceitems (created DESC);
CREATE INDEX invoiceitems_customer ON invoiceitems (customer);
CREATE INDEX invoiceitems_invoice ON invoiceitems (invoice);
CREATE VIRTUAL TABLE invoiceitems_fts USING fts5 (id, metadata_text, description, content=invoiceitems);
CREATE TRIGGER invoiceitems_ai AFTER INSERT ON invoiceitems BEGIN INSERT INTO invoiceitems_fts (rowid, id, metadata_text, description) VALUES (new.rowid, new.id, new.metadata_text, new.description); END;
CREATE TRIGGER invoiceitems_ad AFTER DELETE ON invoiceitems BEGIN INSERT INTO invoiceitems_fts (invoiceitems_fts, rowid, id, metadata_text, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.description); END;
CREATE TRIGGER invoiceitems_au AFTER UPDATE ON invoiceitems BEGIN INSERT INTO invoiceitems_fts (invoiceitems_fts, rowid, id, metadata_text, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.description); INSERT INTO invoiceitems_fts (rowid, id, metadata_text, description) VALUES (new.rowid, new.id, new.metadata_text, new.description); END;
CREATE TABLE payment_intents (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  customer TEXT,
  status TEXT,
  amount INTEGER,
  amount_received INTEGER,
  currency TEXT,
  description TEXT,
  email TEXT,
  latest_charge TEXT,
  metadata_text TEXT
);
CREATE INDEX payment_intents_created ON payment_intents (created DESC);
CREATE INDEX payment_intents_customer ON payment_intents (customer);
CREATE INDEX payment_intents_status ON payment_intents (status);
CREATE VIRTUAL TABLE payment_intents_fts USING fts5 (id, metadata_text, description, email, content=payment_intents);
CREATE TRIGGER payment_intents_ai AFTER INSERT ON payment_intents BEGIN INSERT INTO payment_intents_fts (rowid, id, metadata_text, description, email) VALUES (new.rowid, new.id, new.metadata_text, new.description, new.email); END;
CREATE TRIGGER payment_intents_ad AFTER DELETE ON payment_intents BEGIN INSERT INTO payment_intents_fts (payment_intents_fts, rowid, id, metadata_text, description, email) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.description, old.email); END;
CREATE TRIGGER payment_intents_au AFTER UPDATE ON payment_intents BEGIN INSERT INTO payment_intents_fts (payment_intents_fts, rowid, id, metadata_text, description, email) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.description, old.email); INSERT INTO payment_intents_fts (rowid, id, metadata_text, description, email) VALUES (new.rowid, new.id, new.metadata_text, new.description, new.email); END;
CREATE TABLE charges (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  customer TEXT,
  status TEXT,
  amount INTEGER,
  amount_captured INTEGER,
  amount_refunded INTEGER,
  currency TEXT,
  description TEXT,
  payment_intent TEXT,
  refunded INTEGER,
  email TEXT,
  name TEXT,
  metadata_text TEXT
);
CREATE INDEX charges_created ON charges (created DESC);
CREATE INDEX charges_customer ON charges (customer);
CREATE INDEX charges_status ON charges (status);
CREATE INDEX charges_payment_intent ON charges (payment_intent);
CREATE VIRTUAL TABLE charges_fts USING fts5 (id, metadata_text, description, email, name, payment_intent, content=charges);
CREATE TRIGGER charges_ai AFTER INSERT ON charges BEGIN INSERT INTO charges_fts (rowid, id, metadata_text, description, email, name, payment_intent) VALUES (new.rowid, new.id, new.metadata_text, new.description, new.email, new.name, new.payment_intent); END;
CREATE TRIGGER charges_ad AFTER DELETE ON charges BEGIN INSERT INTO charges_fts (charges_fts, rowid, id, metadata_text, description, email, name, payment_intent) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.description, old.email, old.name, old.payment_intent); END;
CREATE TRIGGER charges_au AFTER UPDATE ON charges BEGIN INSERT INTO charges_fts (charges_fts, rowid, id, metadata_text, description, email, name, payment_intent) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.description, old.email, old.name, old.payment_intent); INSERT INTO charges_fts (rowid, id, metadata_text, description, email, name, payment_intent) VALUES (new.rowid, new.id, new.metadata_text, new.description, new.email, new.name, new.payment_intent); END;
CREATE TABLE refunds (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  charge TEXT,
  payment_intent TEXT,
  status TEXT,
  amount INTEGER,
  currency TEXT,
  reason TEXT,
  description TEXT,
  metadata_text TEXT
);
CREATE INDEX refunds_created ON refunds (created DESC);
CREATE INDEX refunds_charge ON refunds (charge);
CREATE INDEX refunds_payment_intent ON refunds (payment_intent);
CREATE INDEX refunds_status ON refunds (status);
CREATE VIRTUAL TABLE refunds_fts USING fts5 (id, metadata_text, charge, payment_intent, description, content=refunds);
CREATE TRIGGER refunds_ai AFTER INSERT ON refunds BEGIN INSERT INTO refunds_fts (rowid, id, metadata_text, charge, payment_intent, description) VALUES (new.rowid, new.id, new.metadata_text, new.charge, new.payment_intent, new.description); END;
CREATE TRIGGER refunds_ad AFTER DELETE ON refunds BEGIN INSERT INTO refunds_fts (refunds_fts, rowid, id, metadata_text, charge, payment_intent, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.charge, old.payment_intent, old.description); END;
CREATE TRIGGER refunds_au AFTER UPDATE ON refunds BEGIN INSERT INTO refunds_fts (refunds_fts, rowid, id, metadata_text, charge, payment_intent, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.charge, old.payment_intent, old.description); INSERT INTO refunds_fts (rowid, id, metadata_text, charge, payment_intent, description) VALUES (new.rowid, new.id, new.metadata_text, new.charge, new.payment_intent, new.description); END;
CREATE TABLE credit_notes (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  customer TEXT,
  invoice TEXT,
  status TEXT,
  number TEXT,
  total INTEGER,
  amount INTEGER,
  currency TEXT,
  reason TEXT,
  description TEXT,
  metadata_text TEXT
);
CREATE INDEX credit_notes_created ON credit_notes (created DESC);
CREATE INDEX credit_notes_customer ON credit_notes (customer);
CREATE INDEX credit_notes_invoice ON credit_notes (invoice);
CREATE INDEX credit_notes_status ON credit_notes (status);
CREATE VIRTUAL TABLE credit_notes_fts USING fts5 (id, metadata_text, number, description, content=credit_notes);
CREATE TRIGGER credit_notes_ai AFTER INSERT ON credit_notes BEGIN INSERT INTO credit_notes_fts (rowid, id, metadata_text, number, description) VALUES (new.rowid, new.id, new.metadata_text, new.number, new.description); END;
CREATE TRIGGER credit_notes_ad AFTER DELETE ON credit_notes BEGIN INSERT INTO credit_notes_fts (credit_notes_fts, rowid, id, metadata_text, number, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.number, old.description); END;
CREATE TRIGGER credit_notes_au AFTER UPDATE ON credit_notes BEGIN INSERT INTO credit_notes_fts (credit_notes_fts, rowid, id, metadata_text, number, description) VALUES ('delete', old.rowid, old.id, old.metadata_text, old.number, old.description); INSERT INTO credit_notes_fts (rowid, id, metadata_text, number, description) VALUES (new.rowid, new.id, new.metadata_text, new.number, new.description); END;
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  created INTEGER,
  livemode INTEGER,
  type TEXT,
  object_id TEXT,
  object_type TEXT,
  api_version TEXT
);
CREATE INDEX events_created ON events (created DESC);
CREATE INDEX events_type ON events (type);
CREATE INDEX events_object_id ON events (object_id);
CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT, updated_at INTEGER NOT NULL);
CREATE TABLE operations (
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  params TEXT NOT NULL,
  os_user TEXT,
  profile TEXT,
  object_id TEXT,
  amount INTEGER,
  currency TEXT,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  result_id TEXT,
  error TEXT,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
, mode TEXT, attempts INTEGER NOT NULL DEFAULT 0, owner TEXT, finished INTEGER);
CREATE INDEX operations_status ON operations (status);
CREATE INDEX operations_created ON operations (created DESC);
CREATE INDEX operations_object ON operations (object_id);
