-- Agents with a human in the loop: a run of the tool-calling loop, each of
-- its steps, the actions that change data it may only propose, and the
-- incidents the data-quality agent proposes.
CREATE TABLE rag.agent_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    goal        text NOT NULL,
    tenant      text,
    started_by  name NOT NULL,
    model       text,                -- model@endpoint, never a key
    max_steps   int NOT NULL,
    max_seconds int NOT NULL,
    status      text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'done', 'step_limit', 'time_limit', 'token_limit', 'error')),
    answer      text,
    error       text,
    steps       int NOT NULL DEFAULT 0,
    tokens_in   int,
    tokens_out  int,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX agent_runs_by_idx ON rag.agent_runs (started_by, started_at DESC);

CREATE TABLE rag.agent_steps (
    run_id     bigint NOT NULL REFERENCES rag.agent_runs (id) ON DELETE CASCADE,
    n          int NOT NULL,
    started_by name NOT NULL,
    thought    text,                 -- what the model wrote besides its tool call, or its final answer
    tool       text,
    arguments  jsonb,
    result     jsonb,
    error      text,
    tokens_in  int,
    tokens_out int,
    ms         float8,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, n)
);

CREATE TABLE rag.pending_actions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       bigint REFERENCES rag.agent_runs (id) ON DELETE SET NULL,
    step_n       int,
    requested_by name NOT NULL,
    function     text NOT NULL,
    arguments    jsonb NOT NULL DEFAULT '{}',
    reason       text,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'executed', 'rejected', 'expired', 'failed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    decided_by   name,
    decided_at   timestamptz,
    decision     text,               -- a rejection's reason
    result       jsonb,
    error        text,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- The same call proposed again while it waits is the same action.
CREATE UNIQUE INDEX pending_actions_once ON rag.pending_actions (requested_by, function, md5(arguments::text))
    WHERE status = 'pending';

CREATE TABLE rag.incidents (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    summary    text NOT NULL CHECK (length(summary) BETWEEN 1 AND 2000),
    owner      text NOT NULL CHECK (length(owner) BETWEEN 1 AND 200),
    severity   text NOT NULL CHECK (severity IN ('P0', 'P1', 'P2', 'P3')),
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by name NOT NULL DEFAULT current_user,
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE rag.agent_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.agent_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.pending_actions ENABLE ROW LEVEL SECURITY;
