"""The bridge-question corpus for GraphRAG (`make eval-graph`): fictional
distributors, their suppliers and carriers, written as separate documents,
and questions whose answer needs two of them.

A distributor's profile names its supplier and its carrier; the supplier's
and the carrier's profiles never name their customers. "Where does the
supplier of X produce?" therefore needs the distributor's profile (which
supplier) and the supplier's (where): a bridge question. Every supplier
profile reads alike, so wording alone cannot tell which one is meant. The
single-fact questions ask what one profile says.

The questions and gold answers were fixed, from the templates below, before
graph search was scored on them; the seed makes the corpus the same on
every machine. Split: questions of even-numbered distributors are `dev`
(tuning allowed), odd-numbered ones `test` (never tuned on).
"""
import random

SEED = 20261122

_FIRST = ["Marta", "Julián", "Lucía", "Tomás", "Valeria", "Ignacio", "Carolina", "Federico", "Paula", "Esteban",
          "Agustina", "Rodrigo", "Florencia", "Gonzalo", "Mariana", "Sebastián", "Camila", "Diego", "Renata",
          "Hernán", "Ana", "Pablo", "Sofía", "Martín", "Elena", "Bruno", "Inés", "Joaquín", "Clara", "Nicolás"]
_LAST = ["Quiroga", "Ferreyra", "Benítez", "Ocampo", "Villalba", "Sosa", "Aguirre", "Medina", "Cabrera", "Ledesma",
         "Godoy", "Rojas", "Paz", "Figueroa", "Luna", "Acosta", "Domínguez", "Ríos", "Peralta", "Molina",
         "Correa", "Vera", "Navarro", "Bustos", "Arias", "Herrera", "Toledo", "Ibarra", "Campos", "Suárez"]
_CITIES = ["Rosario", "Mendoza", "Córdoba", "Salta", "Neuquén", "Paraná", "Tandil", "Rafaela", "Bahía Blanca",
           "San Juan", "Posadas", "Tucumán", "Viedma", "Junín", "Olavarría", "Concordia", "Pergamino",
           "Río Cuarto", "Santa Rosa", "Trelew", "Goya", "Zárate", "Villa María", "Campana"]
_DIST_WORDS = ["Andina", "del Litoral", "Pampeana", "Serrana", "del Sur", "Atlántica", "Cuyana", "del Norte",
               "Patagónica", "Mesopotámica", "Central", "del Valle", "Costera", "Federal", "Austral", "del Plata",
               "Riojana", "Fueguina", "Chaqueña", "Puntana"]
_DIST_KINDS = ["Distribuidora", "Mayorista", "Comercial", "Almacenes"]
_SUPPLIER_WORDS = ["Oleaginosa", "Molinos", "Lácteos", "Conservas", "Bodegas", "Textil", "Papelera", "Frigorífico",
                   "Cerámica", "Química", "Vidriería", "Plásticos"]
_SUPPLIER_NAMES = ["Ñandubay", "Los Cardos", "Tres Cerros", "La Esperanza", "El Ceibo", "San Lorenzo",
                   "Punta Alta", "Laguna Verde", "Cerro Azul", "Las Moras", "El Quebracho", "Monte Grande",
                   "Dos Ríos", "La Calandria", "Piedra Negra", "Santa Inés", "El Ombú", "Las Lomas",
                   "Cinco Saltos", "La Paloma", "Los Álamos", "El Hornero", "Río Seco", "La Tranquera"]
_CARRIER_NAMES = ["Transportes Celeste", "Logística Ruta 5", "Fletes del Oeste", "Cargas Aconcagua",
                  "Expreso Sarmiento", "Camiones La Rueda", "Logística Cruz del Sur", "Transportes Lagos",
                  "Fletes Pehuén", "Expreso Andes"]
_PRODUCTS = ["aceite de girasol", "harina", "leche en polvo", "duraznos en lata", "vino tinto", "telas de algodón",
             "papel kraft", "carne vacuna", "baldosas", "detergentes", "botellas de vidrio", "envases plásticos"]
_SUFFIX = ["S.A.", "S.R.L.", "S.A.", "", "S.A."]


def _person(rng, used):
    while True:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if name not in used:
            used.add(name)
            return name


def build(n_distributors=40, n_suppliers=24, n_carriers=10, seed=SEED):
    """(documents, questions): documents are dicts (key, title, content);
    questions are dicts (id, kind 'bridge'|'single', split, question,
    answer, gold: the document keys that hold the facts)."""
    rng = random.Random(seed)
    people = set()
    suppliers = []
    for i in range(n_suppliers):
        word = _SUPPLIER_WORDS[i % len(_SUPPLIER_WORDS)]
        name = f"{word} {_SUPPLIER_NAMES[i]}"
        suppliers.append({"key": f"supplier-{i}", "name": name, "legal": f"{name} {rng.choice(_SUFFIX)}".strip(),
                          "product": _PRODUCTS[i % len(_PRODUCTS)], "city": rng.choice(_CITIES),
                          "head": _person(rng, people), "year": rng.randint(1948, 2012),
                          "staff": rng.randint(40, 900)})
    carriers = []
    for i in range(n_carriers):
        carriers.append({"key": f"carrier-{i}", "name": _CARRIER_NAMES[i], "city": rng.choice(_CITIES),
                         "head": _person(rng, people), "trucks": rng.randint(12, 180)})
    distributors = []
    for i in range(n_distributors):
        name = f"{_DIST_KINDS[i % len(_DIST_KINDS)]} {_DIST_WORDS[i % len(_DIST_WORDS)]}"
        if i >= len(_DIST_WORDS):
            name += " " + ["Hermanos", "y Compañía", "Unida", "Moderna"][i // len(_DIST_WORDS) % 4]
        distributors.append({"key": f"distributor-{i}", "n": i, "name": name,
                             "legal": f"{name} {rng.choice(_SUFFIX)}".strip(), "city": rng.choice(_CITIES),
                             "supplier": suppliers[rng.randrange(n_suppliers)],
                             "carrier": carriers[rng.randrange(n_carriers)],
                             "stores": rng.randint(3, 60), "year": rng.randint(1960, 2018)})
    docs = [_supplier_doc(rng, s) for s in suppliers] + [_carrier_doc(rng, c) for c in carriers]
    docs += [_distributor_doc(rng, d) for d in distributors]
    return docs, _questions(distributors, suppliers, carriers)


def _supplier_doc(rng, s):
    body = rng.choice([
        f"{s['legal']} produce {s['product']} en su planta de {s['city']}. La empresa fue fundada en {s['year']} "
        f"y emplea a {s['staff']} personas. Su directora general es {s['head']}.",
        f"La planta de {s['legal']} está en {s['city']}, donde elabora {s['product']} desde {s['year']}. "
        f"Dirige la compañía {s['head']}; trabajan en ella {s['staff']} personas.",
    ])
    tail = ("Vende a cadenas mayoristas de todo el país con entregas semanales y exige pedidos mínimos por pallet. "
            "Publica una lista de precios mensual y ofrece descuentos por volumen a sus clientes habituales.")
    return {"key": s["key"], "title": f"Perfil de proveedor: {s['name']}", "content": f"{body}\n\n{tail}"}


def _carrier_doc(rng, c):
    body = (f"{c['name']} es una empresa de transporte de cargas con base en {c['city']}. Opera una flota de "
            f"{c['trucks']} camiones y su gerente general es {c['head']}.")
    tail = ("Ofrece seguimiento satelital de los envíos, depósitos de tránsito y entregas programadas en los "
            "centros de distribución de sus clientes.")
    return {"key": c["key"], "title": f"Perfil de transportista: {c['name']}", "content": f"{body}\n\n{tail}"}


def _distributor_doc(rng, d):
    s, c = d["supplier"], d["carrier"]
    intro = (f"{d['legal']} es una distribuidora mayorista con sede en {d['city']} y {d['stores']} puntos de "
             f"venta. Fue fundada en {d['year']}.")
    supply = rng.choice([
        f"Su proveedor principal es {s['legal']}, que le vende {s['product']}.",
        f"Compra la mayor parte de su {s['product']} a {s['legal']}, su proveedor principal.",
    ])
    logistics = rng.choice([
        f"La logística de sus entregas está a cargo de {c['name']}.",
        f"Sus envíos a sucursales los transporta {c['name']}.",
    ])
    return {"key": d["key"], "title": f"Ficha de cliente: {d['name']}", "content": f"{intro} {supply}\n\n{logistics}"}


def _questions(distributors, suppliers, carriers):
    qs = []
    for d in distributors:
        s, c = d["supplier"], d["carrier"]
        split = "dev" if d["n"] % 2 == 0 else "test"
        bridge = [
            (f"¿En qué ciudad está la planta del proveedor principal de {d['name']}?", s["city"], s),
            (f"¿Quién dirige la empresa que es el proveedor principal de {d['name']}?", s["head"], s),
            (f"¿Desde qué ciudad opera la empresa que transporta los envíos de {d['name']}?", c["city"], c),
        ]
        for j, (q, a, other) in enumerate(bridge):
            qs.append({"id": f"{d['key']}-b{j}", "kind": "bridge", "split": split, "question": q, "answer": a,
                       "gold": [d["key"], other["key"]]})
        qs.append({"id": f"{d['key']}-s0", "kind": "single", "split": split,
                   "question": f"¿En qué año se fundó {d['name']}?", "answer": str(d["year"]), "gold": [d["key"]]})
    for i, s in enumerate(suppliers):
        split = "dev" if i % 2 == 0 else "test"
        qs.append({"id": f"{s['key']}-s0", "kind": "single", "split": split,
                   "question": f"¿Dónde tiene su planta {s['name']}?", "answer": s["city"], "gold": [s["key"]]})
    for i, c in enumerate(carriers):
        split = "dev" if i % 2 == 0 else "test"
        qs.append({"id": f"{c['key']}-s0", "kind": "single", "split": split,
                   "question": f"¿Cuántos camiones tiene {c['name']}?", "answer": str(c["trucks"]),
                   "gold": [c["key"]]})
    return qs
