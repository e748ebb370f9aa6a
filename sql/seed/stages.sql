-- Seed data: the shipped answer prompt, and the stages a fresh install
-- starts with — that prompt and the parser rag.ask has always used ('llm':
-- the rules, then the LLM when one is configured) in Production. Embedding
-- models and rerankers need no row: their registries say which is in use.
-- Only into empty tables, so what an owner changed later stands.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rag.answer_prompts) THEN
        INSERT INTO rag.answer_prompts (name, template) SELECT p.name, p.template FROM rag._shipped_answer_prompt() p;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM rag.artefact_stages) THEN
        INSERT INTO rag.artefact_stages (kind, name, stage)
        SELECT 'answer_prompt', p.name, 'Production' FROM rag._shipped_answer_prompt() p
        UNION ALL VALUES ('intent_parser', 'llm', 'Production');
    END IF;
END $$;
