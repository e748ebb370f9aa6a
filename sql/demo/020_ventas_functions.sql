-- The sample sales functions the intent dispatcher may call. Weeks run
-- Monday to Sunday; all of them only read.

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
