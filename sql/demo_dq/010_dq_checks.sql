-- The data-quality agent's demo (python -m ragsql.agent_demo): a copy of the
-- sales lines (ventas_dq.lineas, filled and seeded with anomalies by the
-- runner), three read-only checks over it and the incident tool in the
-- intent registry. Installed by the runner and the agent tests only, so
-- the intent parser's other tests never see these functions.
CREATE SCHEMA IF NOT EXISTS ventas_dq;
CREATE TABLE IF NOT EXISTS ventas_dq.lineas (LIKE ventas.lineas INCLUDING DEFAULTS INCLUDING GENERATED);
CREATE INDEX IF NOT EXISTS lineas_fecha_idx ON ventas_dq.lineas (fecha, sucursal_id);

-- The copy: the sales lines of the window and of the 56 days before it
-- (the history the drop check compares with), as they are in ventas.
CREATE OR REPLACE FUNCTION ventas_dq.reset(fecha_inicio date, fecha_fin date) RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    TRUNCATE ventas_dq.lineas;
    INSERT INTO ventas_dq.lineas (id, fecha, sucursal_id, producto_id, cantidad, monto, costo)
    SELECT l.id, l.fecha, l.sucursal_id, l.producto_id, l.cantidad, l.monto, l.costo FROM ventas.lineas l
     WHERE l.fecha BETWEEN fecha_inicio - 56 AND fecha_fin;
    SELECT count(*) FROM ventas_dq.lineas;
$$;

-- A trading day is a day some branch sold on; a branch without a line
-- that day is a gap.
-- Each check's rows carry `incidente`: the finding in one sentence, ready
-- to be an incident's summary (a small model copies better than it writes).
DROP FUNCTION IF EXISTS ventas_dq.sucursales_sin_ventas(date, date);
DROP FUNCTION IF EXISTS ventas_dq.caidas_de_ventas(date, date, numeric);
DROP FUNCTION IF EXISTS ventas_dq.margenes_negativos(date, date);
CREATE OR REPLACE FUNCTION ventas_dq.sucursales_sin_ventas(fecha_inicio date, fecha_fin date)
RETURNS TABLE (sucursal text, fecha date, incidente text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.nombre, d.fecha, format('%s no registró ventas el %s', s.nombre, d.fecha)
      FROM (SELECT DISTINCT l.fecha FROM ventas_dq.lineas l WHERE l.fecha BETWEEN fecha_inicio AND fecha_fin) d
     CROSS JOIN ventas.sucursales s
     WHERE NOT EXISTS (SELECT 1 FROM ventas_dq.lineas l WHERE l.fecha = d.fecha AND l.sucursal_id = s.id)
     ORDER BY d.fecha, s.nombre
$$;

-- A branch's day more than `sigmas` standard deviations below its history
-- (the 56 days before the window), measured on the logarithm of the day's
-- sales: a branch's days vary by a factor, not by an amount (here a third
-- of the mean either way), so on the plain totals mean − 3σ is about zero
-- and no drop could ever pass it. Days without sales are the check above's.
CREATE OR REPLACE FUNCTION ventas_dq.caidas_de_ventas(fecha_inicio date, fecha_fin date, sigmas numeric DEFAULT 3)
RETURNS TABLE (sucursal text, fecha date, total numeric, media numeric, z numeric, incidente text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH daily AS (
        SELECT l.sucursal_id, l.fecha, sum(l.monto) AS total FROM ventas_dq.lineas l
         WHERE l.fecha BETWEEN fecha_inicio - 56 AND fecha_fin GROUP BY 1, 2 HAVING sum(l.monto) > 0),
    history AS (
        SELECT d.sucursal_id, avg(d.total) AS media, avg(ln(d.total)) AS mu, stddev_samp(ln(d.total)) AS sd
          FROM daily d WHERE d.fecha < fecha_inicio GROUP BY 1)
    SELECT s.nombre, d.fecha, d.total, round(h.media, 2), round((ln(d.total) - h.mu) / nullif(h.sd, 0), 2),
           format('Las ventas de %s el %s fueron %s, %s desvíos bajo lo habitual (media %s)', s.nombre, d.fecha,
                  d.total, round((h.mu - ln(d.total)) / nullif(h.sd, 0), 1), round(h.media))
      FROM daily d JOIN history h USING (sucursal_id) JOIN ventas.sucursales s ON s.id = d.sucursal_id
     WHERE d.fecha BETWEEN fecha_inicio AND fecha_fin AND ln(d.total) < h.mu - sigmas * h.sd
     ORDER BY d.fecha, s.nombre
$$;

CREATE OR REPLACE FUNCTION ventas_dq.margenes_negativos(fecha_inicio date, fecha_fin date)
RETURNS TABLE (sucursal text, fecha date, producto text, ganancia numeric, incidente text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.nombre, l.fecha, p.nombre, sum(l.ganancia),
           format('Margen negativo en %s el %s: %s con ganancia %s', s.nombre, l.fecha, p.nombre, sum(l.ganancia))
      FROM ventas_dq.lineas l JOIN ventas.sucursales s ON s.id = l.sucursal_id
      JOIN ventas.productos p ON p.id = l.producto_id
     WHERE l.fecha BETWEEN fecha_inicio AND fecha_fin AND l.ganancia < 0
     GROUP BY 1, 2, 3 ORDER BY 2, 1, 3
$$;

GRANT USAGE ON SCHEMA ventas_dq TO rag_user, rag_agent_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA ventas_dq TO rag_user, rag_agent_reader;
GRANT USAGE ON SCHEMA ventas TO rag_agent_reader;
GRANT SELECT ON ventas.sucursales, ventas.productos, ventas.lineas TO rag_agent_reader;

INSERT INTO rag.intent_functions (name, description_es, description_en, parameters, target, arg_names, keywords, examples,
                                  read_only, allowed_role)
VALUES
('dqSucursalesSinVentas',
 'Control de calidad: sucursales sin ninguna venta en un día hábil, en un rango de fechas',
 'Data-quality check: branches with no sales at all on a trading day, in a date range',
 '{"type": "object", "additionalProperties": false, "required": ["fechaInicio", "fechaFin"],
   "properties": {"fechaInicio": {"type": "string", "format": "date"}, "fechaFin": {"type": "string", "format": "date"}}}',
 'ventas_dq.sucursales_sin_ventas(date,date)', '{"fechaInicio": "fecha_inicio", "fechaFin": "fecha_fin"}',
 '{"sin ventas","calidad de datos"}',
 '[{"question": "¿Qué sucursales no vendieron nada algún día de marzo de 2025?", "reference_date": "2025-04-01",
    "parametros": {"fechaInicio": "2025-03-01", "fechaFin": "2025-03-31"}}]', true, 'rag_user'),
('dqCaidasDeVentas',
 'Control de calidad: días en que las ventas de una sucursal cayeron más de N desvíos (3 por defecto) bajo su historia',
 'Data-quality check: days when a branch''s sales fell more than N standard deviations (default 3) below its history',
 '{"type": "object", "additionalProperties": false, "required": ["fechaInicio", "fechaFin"],
   "properties": {"fechaInicio": {"type": "string", "format": "date"}, "fechaFin": {"type": "string", "format": "date"},
                  "sigmas": {"type": "number", "minimum": 1, "maximum": 10}}}',
 'ventas_dq.caidas_de_ventas(date,date,numeric)',
 '{"fechaInicio": "fecha_inicio", "fechaFin": "fecha_fin", "sigmas": "sigmas"}',
 '{"caida de ventas","desvios","anomalia"}',
 '[{"question": "¿Hubo caídas anómalas de ventas en marzo de 2025?", "reference_date": "2025-04-01",
    "parametros": {"fechaInicio": "2025-03-01", "fechaFin": "2025-03-31"}}]', true, 'rag_user'),
('dqMargenesNegativos',
 'Control de calidad: ventas con margen (ganancia) negativo por sucursal, día y producto, en un rango de fechas',
 'Data-quality check: sales with a negative margin (profit) by branch, day and product, in a date range',
 '{"type": "object", "additionalProperties": false, "required": ["fechaInicio", "fechaFin"],
   "properties": {"fechaInicio": {"type": "string", "format": "date"}, "fechaFin": {"type": "string", "format": "date"}}}',
 'ventas_dq.margenes_negativos(date,date)', '{"fechaInicio": "fecha_inicio", "fechaFin": "fecha_fin"}',
 '{"margen negativo","perdida"}',
 '[{"question": "¿Hubo ventas con margen negativo en marzo de 2025?", "reference_date": "2025-04-01",
    "parametros": {"fechaInicio": "2025-03-01", "fechaFin": "2025-03-31"}}]', true, 'rag_user'),
('abrirIncidente',
 'Abrir un incidente de calidad de datos (resumen, responsable, severidad P0 a P3) para que una persona lo siga',
 'Open a data-quality incident (summary, owner, severity P0 to P3) for a person to follow up',
 '{"type": "object", "additionalProperties": false, "required": ["resumen", "responsable", "severidad"],
   "properties": {"resumen": {"type": "string", "description": "what is wrong: branch, day, figures"},
                  "responsable": {"type": "string", "description": "who should look at it"},
                  "severidad": {"type": "string", "enum": ["P0", "P1", "P2", "P3"]}}}',
 'rag.open_incident(text,text,text)', '{"resumen": "summary", "responsable": "owner", "severidad": "severity"}',
 '{incidente,incident}',
 '[{"question": "Abrí un incidente P2 para Datos: faltan las ventas de Flores del 3/3/2025", "reference_date": "2025-04-01",
    "parametros": {"resumen": "Faltan las ventas de Flores del 2025-03-03", "responsable": "Datos", "severidad": "P2"}}]',
 false, 'rag_user')
ON CONFLICT (name) DO UPDATE
   SET description_es = excluded.description_es, description_en = excluded.description_en,
       parameters = excluded.parameters, target = excluded.target, arg_names = excluded.arg_names,
       keywords = excluded.keywords, examples = excluded.examples, read_only = excluded.read_only,
       allowed_role = excluded.allowed_role, enabled = true;
