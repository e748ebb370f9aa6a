"""The scheduled jobs, through pg_cron: the drift snapshot of every fitted
tenant and the nightly evaluation of the golden sets, in the database
DATABASE_URL names. pg_cron keeps its jobs in one database of the cluster
(its `cron.database_name`) and runs them in others by name, so the jobs
are named `ragsql-<job>@<database>` and installing again replaces them.

  ragsql cron install [--drift CRON] [--evaluation CRON]
  ragsql cron remove
  ragsql cron status
"""
from urllib.parse import urlsplit, urlunsplit

import psycopg

JOBS = {
    "drift": ("15 2 * * *", "SELECT rag.drift_snapshot_all()"),
    "evaluation": ("30 3 * * *", "CALL rag.run_golden_evaluations()"),
}


class CronUnavailable(RuntimeError):
    pass


def _database(url):
    return psycopg.conninfo.conninfo_to_dict(url).get("dbname") or urlsplit(url).path.lstrip("/")


def _cron_url(url):
    """The URL of the cluster's pg_cron database (same server and user)."""
    with psycopg.connect(url, autocommit=True) as c:
        try:
            name = c.execute("SHOW cron.database_name").fetchone()[0]
        except psycopg.errors.UndefinedObject:
            raise CronUnavailable(
                "pg_cron is not loaded in this cluster (shared_preload_libraries = 'pg_cron'); without it, "
                "run the jobs from the system's cron: see docs/analysts.md, 'Scheduled jobs'") from None
    parts = urlsplit(url)
    if parts.path not in ("", "/"):
        return urlunsplit(parts._replace(path="/" + name))
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)


def _connect_cron(url):
    conn = psycopg.connect(_cron_url(url), autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
    return conn


def install(url, schedules=None):
    """Schedules (or reschedules) both jobs; returns {job name: schedule}."""
    db = _database(url)
    done = {}
    with _connect_cron(url) as c:
        for job, (default, command) in JOBS.items():
            schedule = (schedules or {}).get(job) or default
            name = f"ragsql-{job}@{db}"
            if c.execute("SELECT 1 FROM cron.job WHERE jobname = %s", (name,)).fetchone():
                c.execute("SELECT cron.unschedule(%s)", (name,))
            c.execute("SELECT cron.schedule_in_database(%s, %s, %s, %s)", (name, schedule, command, db))
            done[name] = schedule
    return done


def remove(url):
    db = _database(url)
    with _connect_cron(url) as c:
        names = [r[0] for r in c.execute("SELECT jobname FROM cron.job WHERE jobname = ANY (%s)",
                                          ([f"ragsql-{job}@{db}" for job in JOBS],))]
        for name in names:
            c.execute("SELECT cron.unschedule(%s)", (name,))
    return names


def status(url):
    """The jobs and their last run: (name, schedule, active, last status, last start, last message)."""
    db = _database(url)
    with _connect_cron(url) as c:
        return c.execute("""
            SELECT j.jobname, j.schedule, j.active, d.status, d.start_time, d.return_message
              FROM cron.job j
              LEFT JOIN LATERAL (SELECT * FROM cron.job_run_details r WHERE r.jobid = j.jobid
                                  ORDER BY r.start_time DESC LIMIT 1) d ON true
             WHERE j.jobname = ANY (%s) ORDER BY j.jobname""", ([f"ragsql-{job}@{db}" for job in JOBS],)).fetchall()


def main(args, url):
    try:
        if args.action == "install":
            for name, schedule in install(url, {"drift": args.drift, "evaluation": args.evaluation}).items():
                print(f"scheduled {name}: {schedule}")
        elif args.action == "remove":
            names = remove(url)
            print("removed " + ", ".join(names) if names else "no ragsql jobs were scheduled for this database")
        else:
            rows = status(url)
            if not rows:
                print("no ragsql jobs are scheduled for this database (ragsql cron install)")
            for name, schedule, active, last, start, message in rows:
                print(f"{name:40} {schedule:14} {'active' if active else 'paused':7}"
                      f" last: {last or 'never run'} {start or ''} {(message or '')[:80]}")
    except CronUnavailable as exc:
        print(f"ragsql cron: {exc}")
        return 2
    return 0
