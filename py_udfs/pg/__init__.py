"""The PL/Python entry modules: the only code that touches `plpy`.

One module per SQL topic, imported only by that topic's function bodies in
sql/idempotent/ (embed ← 020_embed.sql, text ← 030_text.sql, rerank ←
065_rerank.sql, answer ← 070_answer.sql, evaluation ← 100_evaluation.sql,
intents ← 120_intents.sql). Each reads what it needs through `plpy`, calls
the plain-Python feature modules one level up (embedding, answer, intents,
…, all testable outside the server) and returns what SQL expects. Shared
plumbing (prepared-plan cache, model rows, query encoding, LLM settings,
argument checks) is in `backend`.
"""
