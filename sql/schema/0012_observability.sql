-- Observability: what an LLM call cost (tokens, and the prices to turn them
-- into money) and how long each stage of an intent call took.

-- Prices per 1,000 tokens. provider is the host the endpoint's base_url
-- names ('api.openai.com' when none is set), model the model it was asked
-- for. A price holds from valid_from until the next row of the same
-- provider and model: a new price leaves earlier answers at the old one.
CREATE TABLE rag.llm_prices (
    provider      text NOT NULL CHECK (provider ~ '^[^[:space:]]+$'),
    model         text NOT NULL CHECK (model ~ '^[^[:space:]]+$'),
    input_per_1k  numeric NOT NULL CHECK (input_per_1k >= 0),
    output_per_1k numeric NOT NULL CHECK (output_per_1k >= 0),
    currency      text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    valid_from    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, model, valid_from)
);

-- Tokens as the LLM's reply counted them ('usage') or as the model's own
-- tokenizer counted them when the reply had no usage ('tokenizer'); NULL
-- when no LLM was called or nothing could count them.
ALTER TABLE rag.answer_log ADD COLUMN llm_provider text, ADD COLUMN llm_model text,
    ADD COLUMN tokens_in int CHECK (tokens_in >= 0), ADD COLUMN tokens_out int CHECK (tokens_out >= 0),
    ADD COLUMN tokens_counted_by text CHECK (tokens_counted_by IN ('usage', 'tokenizer'));
ALTER TABLE rag.intent_log ADD COLUMN timings_ms jsonb NOT NULL DEFAULT '{}', ADD COLUMN llm_provider text,
    ADD COLUMN llm_model text, ADD COLUMN tokens_in int CHECK (tokens_in >= 0),
    ADD COLUMN tokens_out int CHECK (tokens_out >= 0),
    ADD COLUMN tokens_counted_by text CHECK (tokens_counted_by IN ('usage', 'tokenizer'));
