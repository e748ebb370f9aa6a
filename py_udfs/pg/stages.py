"""Entry module of sql/idempotent/105_stages.sql: the shipped answer prompt,
which the seed registers as the first answer prompt in Production."""
from .. import answer


def shipped_answer_prompt():
    return {"name": answer.PROMPT_VERSION, "template": answer.PROMPT_TEMPLATE}
