-- The demo sales domain (make demo and the tests install it; a production
-- migration never does): branches, products and sales lines from
-- 2024-01-01 up to the day of the install, generated from hashes of (day,
-- branch, product), not random(): every install has the same rows for the
-- same day. Idempotent: a second install only adds the days since the last.

CREATE SCHEMA IF NOT EXISTS ventas;

CREATE TABLE IF NOT EXISTS ventas.sucursales (
    id     int PRIMARY KEY,
    nombre text NOT NULL UNIQUE,
    barrio text NOT NULL
);

CREATE TABLE IF NOT EXISTS ventas.productos (
    id        int PRIMARY KEY,
    nombre    text NOT NULL UNIQUE,
    categoria text NOT NULL,
    precio    numeric(12, 2) NOT NULL CHECK (precio > 0),
    costo     numeric(12, 2) NOT NULL CHECK (costo > 0)
);

CREATE TABLE IF NOT EXISTS ventas.lineas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fecha       date NOT NULL,
    sucursal_id int NOT NULL REFERENCES ventas.sucursales (id),
    producto_id int NOT NULL REFERENCES ventas.productos (id),
    cantidad    int NOT NULL CHECK (cantidad > 0),
    monto       numeric(14, 2) NOT NULL,   -- cantidad × precio
    costo       numeric(14, 2) NOT NULL,   -- cantidad × costo unitario
    ganancia    numeric(14, 2) GENERATED ALWAYS AS (monto - costo) STORED
);
CREATE INDEX IF NOT EXISTS lineas_fecha_sucursal_idx ON ventas.lineas (fecha, sucursal_id);

INSERT INTO ventas.sucursales (id, nombre, barrio) VALUES
    (1, 'Abasto', 'Balvanera'), (2, 'Palermo', 'Palermo'), (3, 'Belgrano', 'Belgrano'),
    (4, 'Caballito', 'Caballito'), (5, 'Flores', 'Flores'), (6, 'Recoleta', 'Recoleta')
ON CONFLICT (id) DO NOTHING;

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
    (12, 'Detergente 750 ml', 'Limpieza', 2100, 1350)
ON CONFLICT (id) DO NOTHING;

-- Two of three (day, branch, product) combinations sell; quantities and the
-- branch's size come from hashes, so the data is stable across installs.
INSERT INTO ventas.lineas (fecha, sucursal_id, producto_id, cantidad, monto, costo)
SELECT d::date, s.id, p.id, q.cantidad, q.cantidad * p.precio, q.cantidad * p.costo
  FROM generate_series(coalesce((SELECT max(fecha) + 1 FROM ventas.lineas), date '2024-01-01'), current_date,
                       interval '1 day') AS d
 CROSS JOIN ventas.sucursales s
 CROSS JOIN ventas.productos p
 CROSS JOIN LATERAL (SELECT abs(hashtext(d::date::text || '/' || s.id || '/' || p.id)) AS h) AS x
 CROSS JOIN LATERAL (SELECT 1 + (x.h / 7) % (4 + 2 * s.id % 5) AS cantidad) AS q
 WHERE x.h % 3 <> 0;

GRANT USAGE ON SCHEMA ventas TO rag_user;
GRANT SELECT ON ALL TABLES IN SCHEMA ventas TO rag_user;
