-- Drift: where a tenant's questions fall over its corpus, how well they are
-- retrieved, how often they are refused or fall back, a recent window
-- against a reference one. The centroids summarise the corpus (k-means of
-- its chunk vectors); the snapshots keep each comparison for trends.
CREATE TABLE rag.drift_centroids (
    tenant    text NOT NULL,
    model_id  int  NOT NULL REFERENCES rag.embedding_models (id) ON DELETE CASCADE,
    centroid  int  NOT NULL,
    vector    vector NOT NULL,
    chunks    int  NOT NULL,          -- chunks nearest to it when fitted
    fitted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, model_id, centroid)
);

CREATE TABLE rag.drift_snapshots (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant         text NOT NULL,
    taken_at       timestamptz NOT NULL DEFAULT now(),
    signal         text NOT NULL CHECK (signal IN ('topics', 'top_score', 'refusal', 'fallback')),
    reference_from timestamptz NOT NULL,
    reference_to   timestamptz NOT NULL,
    recent_from    timestamptz NOT NULL,
    recent_to      timestamptz NOT NULL,
    reference_n    int NOT NULL,
    recent_n       int NOT NULL,
    psi            float8,            -- NULL: a window had too few questions
    kl             float8,
    reference_dist float8[] NOT NULL,
    recent_dist    float8[] NOT NULL
);
CREATE INDEX drift_snapshots_tenant_idx ON rag.drift_snapshots (tenant, signal, taken_at DESC);
ALTER TABLE rag.drift_centroids ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.drift_snapshots ENABLE ROW LEVEL SECURITY;

-- Which evaluation sets the nightly job runs (rag.run_scheduled_evaluations).
CREATE TABLE rag.golden_sets (
    set_name text PRIMARY KEY,
    options  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object')
);
