-- Features per branch for the Feast feature store (feature_store/): one row
-- per branch and day D, stamped D+1 00:00 (event_timestamp) and computed
-- from the sales of the days before that instant only, so a training frame
-- that joins "as of t" never sees a sale after t. Feast reads this view
-- (its offline store), materializes it into its online store, and
-- ventas.features_sucursal reads that store back for analysts.

-- How long a materialized value is served: one home, read by the Feast
-- repository when it is applied and by ventas.features_sucursal.
CREATE OR REPLACE FUNCTION ventas.features_ttl() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT interval '2 days' $$;

CREATE OR REPLACE VIEW ventas.sucursal_features_diarias AS
WITH dias AS (
    SELECT l.sucursal_id, l.fecha, sum(l.monto) AS monto, sum(l.ganancia) AS ganancia, count(*) AS lineas
      FROM ventas.lineas l GROUP BY 1, 2),
ventanas AS (
    SELECT d.sucursal_id, d.fecha,
           sum(d.monto) OVER w7 AS ventas_7d, sum(d.ganancia) OVER w7 AS ganancia_7d,
           sum(d.monto) OVER w30 AS ventas_30d, sum(d.ganancia) OVER w30 AS ganancia_30d,
           sum(d.monto) OVER w30 / nullif(sum(d.lineas) OVER w30, 0) AS ticket_promedio_30d
      FROM dias d
    WINDOW w7 AS (PARTITION BY d.sucursal_id ORDER BY d.fecha RANGE BETWEEN interval '6 days' PRECEDING AND CURRENT ROW),
           w30 AS (PARTITION BY d.sucursal_id ORDER BY d.fecha RANGE BETWEEN interval '29 days' PRECEDING AND CURRENT ROW))
SELECT v.sucursal_id::bigint AS sucursal_id,
       (v.fecha + 1)::timestamp AT TIME ZONE 'UTC' AS event_timestamp,
       v.ventas_7d::float8 AS ventas_7d, v.ganancia_7d::float8 AS ganancia_7d,
       v.ventas_30d::float8 AS ventas_30d, v.ganancia_30d::float8 AS ganancia_30d,
       v.ticket_promedio_30d::float8 AS ticket_promedio_30d,
       (SELECT p.nombre FROM ventas.lineas l JOIN ventas.productos p ON p.id = l.producto_id
         WHERE l.sucursal_id = v.sucursal_id AND l.fecha BETWEEN v.fecha - 29 AND v.fecha
         GROUP BY p.nombre ORDER BY sum(l.monto) DESC, p.nombre LIMIT 1) AS top_producto_30d
  FROM ventanas v;

-- The online values of a branch as Feast serves them: read from Feast's
-- online store table (values are serialized protobuf, decoded by
-- py_udfs/feature_values.py), none past the TTL. NULL branch: every branch.
CREATE OR REPLACE FUNCTION ventas.features_sucursal(sucursal text DEFAULT NULL)
RETURNS TABLE (sucursal_id bigint, nombre text, feature text, valor float8, valor_texto text, event_ts timestamptz)
LANGUAGE plpython3u STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import feature_store
return feature_store.features_sucursal(plpy, sucursal)
$py$;
REVOKE EXECUTE ON FUNCTION ventas.features_sucursal(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ventas.features_sucursal(text) TO rag_user;
