-- Sample sales domain for intent execution (demo and tests): branches,
-- products and sales lines from 2024-01-01 up to the day of the migration,
-- generated from hashes of (day, branch, product), not random(): every
-- install has the same rows for the same day.

CREATE SCHEMA IF NOT EXISTS ventas;

CREATE TABLE ventas.sucursales (
    id     int PRIMARY KEY,
    nombre text NOT NULL UNIQUE,
    barrio text NOT NULL
);

CREATE TABLE ventas.productos (
    id        int PRIMARY KEY,
    nombre    text NOT NULL UNIQUE,
    categoria text NOT NULL,
    precio    numeric(12, 2) NOT NULL CHECK (precio > 0),
    costo     numeric(12, 2) NOT NULL CHECK (costo > 0)
);

CREATE TABLE ventas.lineas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fecha       date NOT NULL,
    sucursal_id int NOT NULL REFERENCES ventas.sucursales (id),
    producto_id int NOT NULL REFERENCES ventas.productos (id),
    cantidad    int NOT NULL CHECK (cantidad > 0),
    monto       numeric(14, 2) NOT NULL,   -- cantidad × precio
    costo       numeric(14, 2) NOT NULL,   -- cantidad × costo unitario
    ganancia    numeric(14, 2) GENERATED ALWAYS AS (monto - costo) STORED
);
CREATE INDEX lineas_fecha_sucursal_idx ON ventas.lineas (fecha, sucursal_id);

INSERT INTO ventas.sucursales (id, nombre, barrio) VALUES
    (1, 'Abasto', 'Balvanera'), (2, 'Palermo', 'Palermo'), (3, 'Belgrano', 'Belgrano'),
    (4, 'Caballito', 'Caballito'), (5, 'Flores', 'Flores'), (6, 'Recoleta', 'Recoleta');

INSERT INTO ventas.productos (id, nombre, categoria, precio, costo) VALUES
    (1, 'Yerba mate 1 kg', 'Almacén', 4200, 2900),
    (2, 'Café molido 500 g', 'Almacén', 6800, 4600),
    (3, 'Aceite de girasol 1.5 l', 'Almacén', 3900, 2800),
    (4, 'Harina 000 1 kg', 'Almacén', 1100, 700),
    (5, 'Arroz largo fino 1 kg', 'Almacén', 1800, 1200),
    (6, 'Leche entera 1 l', 'Lácteos', 1500, 1050),
    (7, 'Queso cremoso 1 kg', 'Lácteos', 9800, 7100),
    (8, 'Dulce de leche 400 g', 'Lácteos', 2600, 1700),
    (9, 'Galletitas de agua', 'Almacén', 1300, 800),
    (10, 'Vino tinto malbec', 'Bebidas', 7500, 4800),
    (11, 'Agua mineral 2 l', 'Bebidas', 1200, 650),
    (12, 'Detergente 750 ml', 'Limpieza', 2100, 1350);

-- Two of three (day, branch, product) combinations sell; quantities and the
-- branch's size come from hashes, so the data is stable across installs.
INSERT INTO ventas.lineas (fecha, sucursal_id, producto_id, cantidad, monto, costo)
SELECT d::date, s.id, p.id, q.cantidad, q.cantidad * p.precio, q.cantidad * p.costo
  FROM generate_series(date '2024-01-01', current_date, interval '1 day') AS d
 CROSS JOIN ventas.sucursales s
 CROSS JOIN ventas.productos p
 CROSS JOIN LATERAL (SELECT abs(hashtext(d::date::text || '/' || s.id || '/' || p.id)) AS h) AS x
 CROSS JOIN LATERAL (SELECT 1 + (x.h / 7) % (4 + 2 * s.id % 5) AS cantidad) AS q
 WHERE x.h % 3 <> 0;

-- Intent execution: the registry of callable functions, the call log and
-- the conversation history used to resolve follow-up questions.
CREATE TABLE rag.intent_functions (
    name           text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]*$'),
    description_es text NOT NULL,
    description_en text NOT NULL,
    -- JSON Schema of "parametros": type object, properties with type
    -- string/integer/number/boolean, "format": "date", "enum", and
    -- "x-catalog": {"table": ..., "column": ...} for values that must exist.
    parameters     jsonb NOT NULL CHECK (jsonb_typeof(parameters) = 'object'),
    target         regprocedure NOT NULL,           -- the SQL function called
    arg_names      jsonb NOT NULL DEFAULT '{}',     -- parameter name -> SQL argument name
    keywords       text[] NOT NULL DEFAULT '{}',
    examples       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(examples) = 'array'),
    read_only      boolean NOT NULL DEFAULT true,
    enabled        boolean NOT NULL DEFAULT true,
    allowed_role   name NOT NULL DEFAULT 'rag_user',
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rag.intent_log (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asked_at          timestamptz NOT NULL DEFAULT now(),
    asked_by          name NOT NULL DEFAULT current_user,
    session_id        text,
    question          text,
    reference_date    date,
    intent            jsonb,
    parser            text,
    confidence        float8,
    validation_errors text[] NOT NULL DEFAULT '{}',
    executed_function text,
    row_count         int,
    path              text,          -- 'intent', 'rag_answer' or 'rejected'
    duration_ms       float8,
    error             text
);
CREATE INDEX intent_log_asked_at_idx ON rag.intent_log (asked_at);

-- Parse accuracy over time: one row per golden-set run (make eval-intents).
CREATE TABLE rag.intent_eval_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_at      timestamptz NOT NULL DEFAULT now(),
    parser      text NOT NULL,
    cases       int NOT NULL,
    exactitud   float8 NOT NULL,
    cobertura   float8 NOT NULL,
    rechazo     float8 NOT NULL,
    median_ms   float8 NOT NULL,
    misses      jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE rag.conversation_turns (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asked_by   name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    question   text NOT NULL,
    intent     jsonb,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_turns_session_idx ON rag.conversation_turns (asked_by, session_id, id DESC);
ALTER TABLE rag.intent_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.conversation_turns ENABLE ROW LEVEL SECURITY;
