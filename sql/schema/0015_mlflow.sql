-- What has been mirrored into MLflow (ragsql/mlflow_sync.py): the database
-- never calls out; a sync process reads these outboxes and records here
-- what it created, or why it could not.
CREATE TABLE rag.mlflow_runs (
    eval_run_id   bigint PRIMARY KEY REFERENCES rag.eval_runs (id) ON DELETE CASCADE,
    mlflow_run_id text,                 -- NULL until mirrored
    synced_at     timestamptz,
    attempts      int NOT NULL DEFAULT 0,
    last_error    text
);
CREATE TABLE rag.mlflow_stage_transitions (
    history_id    bigint PRIMARY KEY REFERENCES rag.stage_history (id) ON DELETE CASCADE,
    model_name    text,
    model_version text,
    synced_at     timestamptz,
    attempts      int NOT NULL DEFAULT 0,
    last_error    text
);
