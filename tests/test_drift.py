"""Drift: PSI and KL of a tenant's questions, a recent window against a
reference one. Questions from the reference's own distribution stay below
PSI 0.1; questions on topics the corpus does not cover, or in another
language, push it above 0.25. The corpus, the question templates and the
thresholds were written before the figures were looked at.

The windows are filled the way rag.answer logs questions (rag.answer_log:
tenant, question, asked_at); writing the rows directly lets one test hold a
month of traffic."""
import random

import psycopg
import pytest

from .conftest import ingest

TOPICS = {
    "devoluciones": ["Los clientes pueden devolver un producto dentro de los 30 días de la compra con el ticket.",
                     "El reembolso se acredita en la tarjeta original en un plazo de diez días hábiles.",
                     "Los productos abiertos o usados no admiten devolución salvo falla de fábrica.",
                     "Para iniciar una devolución hay que completar el formulario en la sucursal."],
    "envios": ["Los envíos a domicilio dentro de la ciudad llegan en 48 horas hábiles.",
               "El costo de envío es gratuito en compras superiores a cincuenta mil pesos.",
               "Los pedidos al interior del país se despachan por correo y demoran hasta siete días.",
               "El seguimiento del paquete se consulta con el número de guía en la web."],
    "garantia": ["Los electrodomésticos tienen un año de garantía oficial del fabricante.",
                 "La garantía no cubre golpes, humedad ni instalaciones eléctricas defectuosas.",
                 "Para usar la garantía se presenta la factura y el producto con sus accesorios.",
                 "El servicio técnico autorizado repara o reemplaza el equipo en treinta días."],
    "pagos": ["Se aceptan tarjetas de crédito en hasta doce cuotas sin interés.",
              "Las transferencias bancarias tienen un diez por ciento de descuento.",
              "El pago en efectivo solo se acepta en las cajas de las sucursales.",
              "Las facturas se emiten a nombre del titular de la tarjeta utilizada."],
    "empleo": ["Las búsquedas laborales se publican en la sección trabajá con nosotros.",
               "Los postulantes envían su currículum y completan una entrevista inicial.",
               "Los vendedores cobran un sueldo fijo más comisiones por ventas mensuales.",
               "La empresa ofrece capacitación en atención al cliente durante el primer mes."],
    "sucursales": ["La sucursal Palermo abre de lunes a sábados de nueve a veinte horas.",
                   "Hay estacionamiento gratuito para clientes en la sucursal Belgrano.",
                   "Los domingos solo abre la sucursal del centro comercial Abasto.",
                   "Cada sucursal tiene un sector de retiro de compras hechas por internet."],
}
QUESTIONS_ES = {
    "devoluciones": ["¿Cuántos días tengo para devolver {x}?", "¿Cómo pido el reembolso de {x}?",
                     "¿Puedo devolver {x} si ya lo abrí?"],
    "envios": ["¿Cuánto tarda el envío de {x}?", "¿Cuánto cuesta enviar {x} al interior?",
               "¿Cómo sigo el paquete de {x}?"],
    "garantia": ["¿Qué garantía tiene {x}?", "¿La garantía de {x} cubre golpes?", "¿Dónde reparan {x} en garantía?"],
    "pagos": ["¿En cuántas cuotas puedo pagar {x}?", "¿Hay descuento pagando {x} por transferencia?",
              "¿Puedo pagar {x} en efectivo?"],
    "empleo": ["¿Cómo me postulo para trabajar de {y}?", "¿Cuánto cobra un {y}?", "¿Hay capacitación para {y}?"],
    "sucursales": ["¿A qué hora abre la sucursal {z}?", "¿Tiene estacionamiento la sucursal {z}?",
                   "¿Abre los domingos la sucursal {z}?"],
}
QUESTIONS_EN = {
    "devoluciones": ["How many days do I have to return {x}?", "How do I get a refund for {x}?"],
    "envios": ["How long does shipping {x} take?", "How much does it cost to ship {x}?"],
    "garantia": ["What warranty does {x} have?", "Does the warranty on {x} cover drops?"],
    "pagos": ["How many installments can I pay {x} in?", "Can I pay for {x} in cash?"],
    "empleo": ["How do I apply to work as a {y}?", "How much does a {y} earn?"],
    "sucursales": ["What time does the {z} store open?", "Does the {z} store have parking?"],
}
OFF_TOPIC = ["¿Quién ganó el último partido de {w}?", "¿Cómo se prepara {v} casero?",
             "¿Cuál es la capital de {u}?", "¿Qué tiempo va a hacer mañana en {u}?",
             "¿Cuántos goles hizo {w} en la temporada?", "¿Qué ingredientes lleva {v}?"]
FILL = {"x": ["una heladera", "un televisor", "un celular", "una notebook", "un lavarropas", "unas zapatillas",
              "un microondas", "una cafetera"],
        "y": ["vendedor", "cajero", "repositor", "encargado de depósito"],
        "z": ["Palermo", "Belgrano", "Abasto", "Recoleta", "Caballito"],
        "w": ["Boca", "River", "la selección", "Racing"], "v": ["el pan", "un flan", "la pizza", "el dulce de leche"],
        "u": ["Francia", "Japón", "Chile", "Canadá"]}


def sample(templates, n, seed):
    """n questions: a topic, a template of it and its slots drawn at random."""
    rng = random.Random(seed)
    flat = [t for ts in templates.values() for t in ts] if isinstance(templates, dict) else list(templates)
    out = []
    for _ in range(n):
        t = rng.choice(flat)
        out.append(t.format(**{k: rng.choice(v) for k, v in FILL.items()}))
    return out


@pytest.fixture(scope="module")
def corpus(db_url):
    tenant = "drift_" + random.Random().randbytes(4).hex()
    with psycopg.connect(db_url, autocommit=True) as c:
        for topic, paragraphs in TOPICS.items():
            for i, p in enumerate(paragraphs):
                ingest(c, p, f"{topic} {i}", {}, tenant)
        assert c.execute("SELECT rag.fit_drift_centroids(%s, 6)", (tenant,)).fetchone()[0] == 6
        yield tenant
        c.execute("DELETE FROM rag.answer_log WHERE tenant = %s", (tenant,))
        c.execute("DELETE FROM rag.drift_snapshots WHERE tenant = %s", (tenant,))
        c.execute("DELETE FROM rag.drift_centroids WHERE tenant = %s", (tenant,))
        c.execute("DELETE FROM rag.documents WHERE tenant = %s", (tenant,))


def log(conn, tenant, questions, days_ago):
    conn.execute("INSERT INTO rag.answer_log (tenant, question, supported, asked_at)"
                 " SELECT %s, q, true, now() - make_interval(days => %s) + make_interval(secs => o)"
                 " FROM unnest(%s::text[]) WITH ORDINALITY AS u(q, o)", (tenant, days_ago, questions))


def snapshot(conn, tenant, recent_days_ago):
    """The window of the day `recent_days_ago` against days 30..10 ago."""
    rows = conn.execute("SELECT * FROM rag.drift_snapshot(%s, recent_to => now() - make_interval(days => %s - 1),"
                        " recent_from => now() - make_interval(days => %s),"
                        " reference_to => now() - interval '10 days', reference_from => now() - interval '30 days')",
                        (tenant, recent_days_ago, recent_days_ago)).fetchall()
    return {r["signal"]: r for r in rows}


@pytest.fixture(scope="module")
def figures(db_url, corpus):
    with psycopg.connect(db_url, autocommit=True, row_factory=psycopg.rows.dict_row) as c:
        log(c, corpus, sample(QUESTIONS_ES, 500, seed=1), days_ago=20)
        log(c, corpus, sample(QUESTIONS_ES, 500, seed=2), days_ago=3)
        log(c, corpus, sample(OFF_TOPIC, 300, seed=3), days_ago=2)
        log(c, corpus, sample(QUESTIONS_EN, 300, seed=4), days_ago=1)
        return {"same": snapshot(c, corpus, 3), "topic": snapshot(c, corpus, 2), "language": snapshot(c, corpus, 1)}


def test_questions_from_the_same_distribution_stay_below_psi_0_1(figures):
    same = figures["same"]
    assert (same["topics"]["reference_n"], same["topics"]["recent_n"]) == (500, 500)
    for signal in ("topics", "top_score", "refusal"):
        assert same[signal]["psi"] < 0.1, (signal, same[signal]["psi"])
        assert same[signal]["kl"] < 0.1


def test_another_topic_pushes_psi_above_0_25(figures):
    topic = figures["topic"]
    assert max(topic["topics"]["psi"], topic["top_score"]["psi"]) > 0.25, {s: r["psi"] for s, r in topic.items()}
    assert topic["top_score"]["psi"] > 0.25  # the corpus answers them worse: scores fall


def test_another_language_pushes_psi_above_0_25(figures):
    lang = figures["language"]
    assert max(lang["topics"]["psi"], lang["top_score"]["psi"]) > 0.25, {s: r["psi"] for s, r in lang.items()}


def test_the_status_view_flags_the_latest_snapshot(conn, corpus, figures):
    rows = {r["signal"]: r for r in conn.execute("SELECT * FROM rag.drift_status WHERE tenant = %s", (corpus,))}
    assert rows["top_score"]["status"] == "drift"  # the latest snapshot is the other-language one
    assert rows["refusal"]["status"] == "stable"


def test_a_small_window_gives_no_psi_and_bad_windows_are_clear_errors(conn, corpus, figures):
    few = conn.execute("SELECT * FROM rag.drift_snapshot(%s, recent_from => now() - interval '1 hour')",
                       (corpus,)).fetchall()
    assert {r["psi"] for r in few} == {None}
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="windows must be ordered"):
        conn.execute("SELECT * FROM rag.drift_snapshot(%s, reference_to => now())", (corpus,))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="no centroids"):
        conn.execute("SELECT * FROM rag.drift_snapshot('nobody_here')")
