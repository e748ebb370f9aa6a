-- The sample sales functions the intent dispatcher may call. Weeks run
-- Monday to Sunday; all but the last only read.

CREATE OR REPLACE FUNCTION ventas.obtener_ventas_sucursal(sucursal text, fecha_inicio date, fecha_fin date)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(sum(l.monto), 0)
      FROM ventas.lineas l JOIN ventas.sucursales s ON s.id = l.sucursal_id
     WHERE s.nombre = sucursal AND l.fecha BETWEEN fecha_inicio AND fecha_fin
$$;

CREATE OR REPLACE FUNCTION ventas.obtener_ganancia_total(fecha date, sucursal text DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(sum(l.ganancia), 0)
      FROM ventas.lineas l JOIN ventas.sucursales s ON s.id = l.sucursal_id
     WHERE l.fecha = obtener_ganancia_total.fecha AND (sucursal IS NULL OR s.nombre = sucursal)
$$;

CREATE OR REPLACE FUNCTION ventas.ventas_por_sucursal(fecha_inicio date, fecha_fin date)
RETURNS TABLE (sucursal text, total numeric, unidades bigint)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.nombre, coalesce(sum(l.monto), 0), coalesce(sum(l.cantidad), 0)
      FROM ventas.sucursales s
      LEFT JOIN ventas.lineas l ON l.sucursal_id = s.id AND l.fecha BETWEEN fecha_inicio AND fecha_fin
     GROUP BY s.nombre
     ORDER BY 2 DESC, 1
$$;

CREATE OR REPLACE FUNCTION ventas.top_productos(fecha_inicio date, fecha_fin date, sucursal text DEFAULT NULL,
                                                limite int DEFAULT 5)
RETURNS TABLE (producto text, unidades bigint, total numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.nombre, sum(l.cantidad), sum(l.monto)
      FROM ventas.lineas l
      JOIN ventas.productos p ON p.id = l.producto_id
      JOIN ventas.sucursales s ON s.id = l.sucursal_id
     WHERE l.fecha BETWEEN fecha_inicio AND fecha_fin AND (sucursal IS NULL OR s.nombre = sucursal)
     GROUP BY p.nombre
     ORDER BY 2 DESC, 1
     LIMIT greatest(1, least(coalesce(limite, 5), 100))
$$;

-- The one that changes data: voids (deletes) a branch's sales lines of one
-- day and says how many. It runs with the caller's rights, so only a role
-- granted DELETE on the lines (ventas_editor) can; rag.ask and
-- rag.execute_intent call it only with confirm => true.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ventas_editor') THEN
        CREATE ROLE ventas_editor NOLOGIN;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION ventas.anular_ventas_sucursal(sucursal text, fecha date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id int;
    v_n bigint;
BEGIN
    SELECT s.id INTO v_id FROM ventas.sucursales s WHERE s.nombre = anular_ventas_sucursal.sucursal;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no branch named %', sucursal USING ERRCODE = '22023',
            HINT = 'SELECT nombre FROM ventas.sucursales';
    END IF;
    DELETE FROM ventas.lineas l WHERE l.sucursal_id = v_id AND l.fecha = anular_ventas_sucursal.fecha;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

REVOKE EXECUTE ON FUNCTION ventas.anular_ventas_sucursal(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ventas.anular_ventas_sucursal(text, date) TO ventas_editor;
GRANT USAGE ON SCHEMA ventas TO ventas_editor;
GRANT SELECT, DELETE ON ventas.lineas TO ventas_editor;
GRANT SELECT ON ventas.sucursales TO ventas_editor;
