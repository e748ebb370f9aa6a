-- English names for the intent evaluation figures (the intent JSON keeps
-- its Spanish keys funcion/parametros/resumen: users send and read them).
ALTER TABLE rag.intent_eval_runs RENAME COLUMN exactitud TO accuracy;
ALTER TABLE rag.intent_eval_runs RENAME COLUMN cobertura TO coverage;
ALTER TABLE rag.intent_eval_runs RENAME COLUMN rechazo TO rejection;

-- The version of the intent registry and of the catalog tables it names.
-- Each backend caches the registry, its catalog values and the embeddings
-- of its examples, and reloads them when this changes. Triggers (sql/
-- idempotent/120_intents.sql) set it from the sequence, inside the writing
-- transaction: other backends see the new version together with the new
-- rows, and a rolled-back change never reuses a number.
CREATE SEQUENCE rag.intent_registry_version_seq;
CREATE TABLE rag.intent_registry_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint NOT NULL
);
INSERT INTO rag.intent_registry_version (version) VALUES (nextval('rag.intent_registry_version_seq'));
