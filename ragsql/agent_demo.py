"""The data-quality agent (`make agent-demo`): a copy of a month of the demo
sales (ventas_dq, sql/demo_dq) with anomalies planted at random, an agent
run per round with the local LLM (`make llm`), and how many anomalies its
proposed incidents name, against how many name none (false alarms).

An anomaly counts as found when one of the run's proposed incidents names
its branch and its day (2025-03-12, 12/3 or "12 de marzo"). The incidents
are only proposed: they wait in rag.pending_actions for an approver, as
any change of data an agent asks for.

  python -m ragsql.agent_demo [--rounds 3] [--seed 7] [--max-steps 12]
"""
import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time

import psycopg
from psycopg.rows import dict_row

from . import database_url, db, sqlfiles

WINDOW = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
ROLE = "dq_agent_demo"
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre"]
GOAL = ("Revisá la calidad de los datos de ventas entre {start} y {end}. Llamá a dqSucursalesSinVentas, "
        "dqCaidasDeVentas y dqMargenesNegativos con esas fechas. Después, por cada fila que devuelvan, llamá a "
        "abrirIncidente una vez, con el campo 'incidente' de la fila como resumen, responsable 'Equipo de datos' y "
        "severidad P2. Si un control no devuelve filas, no propongas nada por él. Terminá con un resumen breve.")


def plant(conn, rng, per_kind=2):
    """Resets the copy and plants per_kind anomalies of each kind on
    distinct branch-days; returns them."""
    conn.execute("SELECT ventas_dq.reset(%s, %s)", WINDOW)
    branches = {r["id"]: r["nombre"] for r in conn.execute("SELECT id, nombre FROM ventas.sucursales")}
    days = [WINDOW[0] + dt.timedelta(d) for d in range((WINDOW[1] - WINDOW[0]).days + 1)]
    slots = rng.sample([(b, d) for b in branches for d in days], 3 * per_kind)
    planted = []
    for i, (branch, day) in enumerate(slots):
        kind = ("no_sales", "drop", "negative_margin")[i // per_kind]
        if kind == "no_sales":
            conn.execute("DELETE FROM ventas_dq.lineas WHERE sucursal_id = %s AND fecha = %s", (branch, day))
        elif kind == "drop":
            conn.execute("UPDATE ventas_dq.lineas SET monto = round(monto * 0.1, 2), costo = round(costo * 0.1, 2)"
                         " WHERE sucursal_id = %s AND fecha = %s", (branch, day))
        else:
            conn.execute("UPDATE ventas_dq.lineas SET costo = monto * 1.6 WHERE id = (SELECT min(id) FROM"
                         " ventas_dq.lineas WHERE sucursal_id = %s AND fecha = %s)", (branch, day))
        planted.append({"kind": kind, "branch": branches[branch], "day": day})
    return planted


def _names(text, anomaly):
    day = anomaly["day"]
    text = (text or "").lower()
    return anomaly["branch"].lower() in text and any(
        form in text for form in (day.isoformat(), f"{day.day}/{day.month}", f"{day.day:02d}/{day.month:02d}",
                                  f"{day.day} de {MONTHS[day.month - 1]}"))


def score(proposals, planted):
    found = [a for a in planted if any(_names(p, a) for p in proposals)]
    false_alarms = [p for p in proposals if not any(_names(p, a) for a in planted)]
    return found, false_alarms


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-kind", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=12)
    ap.add_argument("--max-seconds", type=int, default=600)
    ap.add_argument("--llm-model", default="local-qwen")
    args = ap.parse_args(argv)
    url = db.local_llm_url()
    if not url:
        sys.exit("the data-quality agent needs the local LLM: start it with `make llm`")
    rng = random.Random(args.seed)
    totals = []
    with psycopg.connect(database_url(), autocommit=True, row_factory=dict_row) as conn:
        sqlfiles.install_demo(conn)
        sqlfiles.install_demo_dq(conn)
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone():
            conn.execute(f'CREATE ROLE "{ROLE}" NOLOGIN IN ROLE rag_user')
        db.use_llm(conn, url, args.llm_model, 180_000)
        for n in range(1, args.rounds + 1):
            planted = plant(conn, rng, args.per_kind)
            goal = GOAL.format(start=WINDOW[0], end=WINDOW[1])
            conn.execute(f'SET ROLE "{ROLE}"')
            t = time.perf_counter()
            try:
                out = conn.execute("SELECT rag.agent_run(%s, max_steps => %s, max_seconds => %s) AS r",
                                   (goal, args.max_steps, args.max_seconds)).fetchone()["r"]
            finally:
                conn.execute("RESET ROLE")
            seconds = time.perf_counter() - t
            steps = conn.execute("SELECT tool, error IS NOT NULL AS failed FROM rag.agent_steps WHERE run_id = %s"
                                 " ORDER BY n", (out["run_id"],)).fetchall()
            proposals = [json.dumps(r["arguments"], ensure_ascii=False) for r in conn.execute(
                "SELECT arguments FROM rag.pending_actions WHERE run_id = %s AND function = 'abrirIncidente'",
                (out["run_id"],))]
            found, false_alarms = score(proposals, planted)
            in_answer = [a for a in planted if _names(out.get("answer"), a)]
            totals.append({"found": len(found), "false_alarms": len(false_alarms), "seconds": seconds,
                           "steps": out["steps"], "planted": len(planted), "in_answer": len(in_answer)})
            tools = ", ".join(f"{s['tool'] or 'answer'}{' (error)' if s['failed'] else ''}" for s in steps)
            print(f"round {n}: status {out['status']}, {out['steps']} steps in {seconds:.0f} s, tokens "
                  f"{out['tokens_in']}/{out['tokens_out']}; incidents proposed {len(proposals)}: found "
                  f"{len(found)}/{len(planted)} planted, false alarms {len(false_alarms)}; named in the final answer "
                  f"{len(in_answer)}\n  steps: {tools}")
            for p in false_alarms:
                print(f"  false alarm: {p[:160]}")
            conn.execute("DELETE FROM rag.pending_actions WHERE run_id = %s AND status = 'pending'", (out["run_id"],))
    planted = sum(t["planted"] for t in totals)
    print(f"\n{len(totals)} rounds: found {sum(t['found'] for t in totals)}/{planted} planted anomalies through "
          f"proposed incidents, {sum(t['false_alarms'] for t in totals)} false alarms, named in the final answer "
          f"{sum(t['in_answer'] for t in totals)}/{planted}; steps per run "
          f"{statistics.median(t['steps'] for t in totals):.0f} (median), time per run p50 "
          f"{statistics.median(t['seconds'] for t in totals):.0f} s")


if __name__ == "__main__":
    main()
