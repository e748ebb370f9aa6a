"""Sample registry rows and catalogs for the pure intent tests, as
rag.parse_intent hands them to py_udfs (the demo domain's functions)."""
from datetime import date

REF = date(2024, 7, 24)  # a Wednesday; its week is Monday 22 to Sunday 28
BRANCHES = ["Abasto", "Palermo", "Belgrano", "Caballito", "Flores", "Recoleta"]
CATALOGS = {"sucursal": BRANCHES}

# The sample registry rows (sql/schema/003_intents.sql), as parse() receives them.
BRANCH = {"type": "string", "x-catalog": {"table": "ventas.sucursales", "column": "nombre"},
          "x-label": {"es": ["la sucursal", "las sucursales"], "en": ["branch", "branches"]}}
DAY = {"type": "string", "format": "date"}
BRANCH_SALES = {
    "name": "obtenerVentasSucursal", "enabled": True, "keywords": ["ventas", "vend", "factur", "sales", "sold"],
    "description_es": "Ventas totales de una sucursal", "description_en": "Total sales of one branch",
    "parameters": {"type": "object", "required": ["sucursal", "fechaInicio", "fechaFin"],
                   "properties": {"sucursal": BRANCH, "fechaInicio": DAY, "fechaFin": DAY}}}
DAY_PROFIT = {
    "name": "obtenerGananciaTotal", "enabled": True, "keywords": ["ganancia", "ganamos", "profit"],
    "description_es": "Ganancia total de un día", "description_en": "Total profit on one day",
    "parameters": {"type": "object", "required": ["fecha"], "properties": {"fecha": DAY, "sucursal": BRANCH}}}
SALES_BY_BRANCH = {
    "name": "ventasPorSucursal", "enabled": True, "keywords": ["por sucursal", "cada sucursal", "by branch"],
    "description_es": "Ventas de cada sucursal", "description_en": "Sales of every branch",
    "parameters": {"type": "object", "required": ["fechaInicio", "fechaFin"],
                   "properties": {"fechaInicio": DAY, "fechaFin": DAY}}}
TOP_PRODUCTS = {
    "name": "topProductos", "enabled": True, "keywords": ["productos", "mas vendidos", "top", "products"],
    "description_es": "Productos más vendidos", "description_en": "Best-selling products",
    "parameters": {"type": "object", "required": ["fechaInicio", "fechaFin"],
                   "properties": {"fechaInicio": DAY, "fechaFin": DAY, "sucursal": BRANCH,
                                  "limite": {"type": "integer", "minimum": 1, "maximum": 100}}}}
VOID_SALES = {
    "name": "anularVentasSucursal", "enabled": True, "read_only": False, "keywords": ["anul", "borr", "delete", "void"],
    "description_es": "Anular las ventas de una sucursal en un día",
    "description_en": "Void the sales of one branch on one day",
    "parameters": {"type": "object", "required": ["sucursal", "fecha"], "properties": {"sucursal": BRANCH, "fecha": DAY}}}
FUNCTIONS = [BRANCH_SALES, DAY_PROFIT, SALES_BY_BRANCH, TOP_PRODUCTS]
