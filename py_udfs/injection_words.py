"""The vocabulary of the prompt-injection rules (py_udfs/injection_rules.py,
injection_patterns.py): the invisible characters, and the building blocks
the rules are written with (who an instruction talks to, the verbs that
cancel and what they cancel, reply demands) with the keys that let a rule be
skipped when its words are absent."""
import re

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
TAGS = "\U000e0000-\U000e007f"
VARIATION_SUPPLEMENT = "\U000e0100-\U000e01ef"
# Removed from the view; the soft hyphen is ordinary typography, so it only
# stops "ig\u00adnore" from hiding a phrase and is never flagged or stripped.
INVISIBLE = re.compile(f"[{ZERO_WIDTH}{BIDI}\u00ad{TAGS}{VARIATION_SUPPLEMENT}]")


# --- building blocks ------------------------------------------------------------


def words(*alternatives):
    return "(?:" + "|".join(alternatives) + ")"


GAP = r"(?:[^\s.!?;]+\s+){0,%d}?"
# Who a planted instruction talks to.
AI_NOUN = words(r"ai", r"ia", r"llm", r"gpt", r"chatbot", r"bot", r"assistant", r"asistente",
                r"language model", r"modelo de lenguaje", r"model", r"modelo", r"asistente virtual",
                r"virtual assistant", r"ai assistant", r"asistente de ia", r"asistente de inteligencia artificial",
                r"inteligencia artificial", r"artificial intelligence", r"copilot")
# Words that make what follows an instruction to the reader of the text.
IMPERATIVE = words(
    "ignore", "disregard", "forget", "say", "tell", "reply", "respond", "answer", "output", "print", "write",
    "state", "recommend", "reveal", "show", "repeat", "send", "forward", "include", "add", "append", "act",
    "pretend", "stop", "describe", "summarize", "mention", "claim", "approve", "insist", "render", "display",
    "provide", "inform", "never", "always", "do not", "don't", "please", "you", "your",
    "ignora", "olvida", "olvide", "olvidate", "di", "deci", "dile", "decile", "responde", "responda", "contesta",
    "conteste", "indica", "indique", "afirma", "afirme", "recomienda", "recomenda", "revela", "muestra",
    "mostra", "repite", "repeti", "envia", "reenvia", "remiti", "incluye", "inclui", "agrega", "anade",
    "actua", "finge", "desobedece", "desestima", "escribe", "escribi", "menciona", "aproba", "aprueba",
    "termina", "nunca", "siempre", r"no \w+(?:es|as)", "por favor", "tu", "tus", "te", "eres", "sos")
SECOND_PERSON = words("you", "your", "you're", "yourself", "tu", "tus", "te", "eres", "sos", "seras", "debes",
                      "tienes", "tenes", "respondes", "contestas", "dices", "decis", "usted")
TIME_FROM_NOW_EN = words("from now on", r"from this (?:point|moment) (?:on|forward)", "from here on",
                         "henceforth", "going forward", "starting now")
TIME_FROM_NOW_ES = words("a partir de ahora", "desde ahora", "de ahora en adelante", "de aqui en adelante",
                         "desde este momento", "en adelante", "a partir de este (?:mensaje|momento)")
PERSONA = words(r"\w*bot", r"\w*gpt", "dan", "ai", "ia", "assistant", "asistente", "chatbot", "language model",
                "model", "modelo", "persona", "personaje", "character", "agente", r"jailbr\w*", "unrestricted",
                "unfiltered", "uncensored", "evil", "malvad[oa]", "sin restricciones", "sin filtros?",
                "sin limites", "sin censura", r"in (?:developer|dev|god|dan|jailbreak|unrestricted) mode",
                r"en modo \w+")

# Override: verbs that cancel, and what they cancel. An object counts only
# with a qualifier that points at the model's own instructions ("your",
# "all", "previous", "del sistema", "que te dieron"), so "ignore this
# warning" and "olvide las instrucciones de instalación" stay ordinary.
CANCEL = words(
    "ignore", "ignoring", "disregard", "forget", "skip", "bypass", "override", "overlook", "discard", "abandon",
    "set aside", "put aside", "pay no attention to", "don't follow", "do not follow", "stop following",
    "disobey", "neglect", "ignora", "ignore", "ignoren", "ignores", "ignorar", "olvida", "olvide", "olviden",
    "olvidate(?: de)?", "olvidese(?: de)?", "olvides", "olvidar", "desestima", "desestime", "descarta",
    "descarte", "omite", "omita", "omiti", "pasa por alto", "pase por alto", "deja de lado", "deje de lado",
    "deja a un lado", "haz caso omiso (?:a|de)", "no hagas caso (?:a|de)", "saltate", "salta", "desobedece",
    "desobedezca", "no sigas", "no siga", "deja de seguir", "anula", "anule")
DET = r"(?:(?:all|any|of|the|these|those|my|every|each|todas?|todos?|las|los|el|la|sus?|cada|de|a|al)\s+)*"
STRONG_DET = r"(?:all|any|your|every|todas?|todos?|tus?|cualquier)\s+"
PRE = words("previous", "prior", "above", "earlier", "preceding", "former", "original", "initial", "old",
            "existing", "current", "system", "hidden", "safety", "content", "other", "default")
RULES = words(r"instructions?", "rules", "guidelines", "guidance", r"directives?", r"prompts?", "programming",
              "restrictions", "constraints", "guardrails", "filters", "orders", "commands", r"polic(?:y|ies)",
              r"instrucci(?:on|ones)", "indicaciones", r"reglas?", "pautas", "directrices", "directivas",
              "ordenes", "consignas", r"restricci(?:on|ones)", "limitaciones", "filtros", r"politicas?")
POST = words("previas", "anteriores", "de arriba", "del sistema", "de sistema", "originales", "iniciales",
             r"recibidas?", "dadas", "above", "before", "given", "provided", "provistas", "so far",
             r"hasta (?:aqui|ahora)", r"de contenido", r"you (?:were|have been) given", "que recibiste",
             r"que te (?:dieron|dio|dimos|indicaron|pidieron|ordenaron|han dado|dijeron)")
RAG_OBJECT = words(r"sources?", r"fuentes?", "context", "contexto", r"documents?", r"documentos?", "system prompt",
                   "text above", "texto anterior", "provided documents", "provided sources")
EVERYTHING = words(
    r"everything (?:above|before|prior|so far|you(?:'ve| have)? (?:been |were )?(?:told|given|instructed))",
    r"(?:what|whatever|anything|everything) (?:you|it) (?:were|was|have been|has been|had been) "
    r"(?:told|given|instructed|asked|taught)(?: (?:before|earlier|previously|so far))?",
    r"all (?:of )?the above", r"(?:todo )?lo anterior",
    r"(?:todo )?lo que te (?:dijeron|indicaron|pidieron|ordenaron|dieron|han dicho|han indicado|dije|indique)")
# "ignore las instrucciones anteriores del fabricante", "disregard prior
# instructions about the dress code": with a weak determiner, a complement
# naming a subject makes the instructions a human's, not the model's.
ABOUT_A_SUBJECT = (r"(?!\s+(?:del|de la|de los|de las|sobre|acerca de|para el|para la|para los|regarding|about|on|"
                   r"for|of|in|from|concerning|en)\s+(?!(?:the\s+|el\s+|la\s+|your\s+|tu\s+)?(?:system|sistema|"
                   r"developers?|desarrolladores?|assistant|asistente|ai|ia|model|modelo|operator|admin)))")
# Security *policies* are usually a company's, for people: not here.
SAFETY_OBJECT = words(r"(?:safety|security|content)\s+(?:checks|protocols?|confirmations|rules|guidelines|filters?|"
                      r"restrictions)",
                      r"(?:controles|protocolos|reglas|chequeos|filtros)\s+de\s+(?:seguridad|contenido)")
CANCEL_OBJECT = words(
    STRONG_DET + DET + r"(?:" + PRE + r"\s+)*" + RULES + r"(?:\s+" + POST + r")?",
    DET + r"(?:" + PRE + r"\s+)+" + RULES + r"\b" + ABOUT_A_SUBJECT,
    DET + RULES + r"\s+" + POST + r"\b" + ABOUT_A_SUBJECT,
    DET + RAG_OBJECT + r"\b" + ABOUT_A_SUBJECT,
    DET + SAFETY_OBJECT,
    EVERYTHING)

REPLY = words("respond", "reply", "answer", "say", "output", "print", "write", "return", "contesta", "conteste",
              "contesten", "responde", "responda", "respondan", "di", "deci", "escribe", "escribi",
              "devuelve", "termina cada respuesta")
ONLY = words("only", "just", "solely", "exclusively", "simply", "unicamente", "solamente", "solo",
             "exclusivamente", "siempre", "always")
QUOTE = r"[\"'`]"
EVERY_QUESTION = words(r"(?:every|any|all|each) (?:questions?|query|queries|messages?|requests?)",
                       r"(?:cada|toda|cualquier|todas las) (?:preguntas?|consultas?|mensajes?)")
WORD_NOUN = words("word", "phrase", "sentence", "text", "string", "palabra", "frase", "texto", "oracion")

# Every rule is (keys, pattern): the pattern can only match where the text
# has one of the keys as a word, or (a key of exactly 4 letters) as the start
# of a longer word; a rule whose keys are absent is not run. It makes a scan
# a few times cheaper.
ONLY_KEYS = ("only", "just", "sole", "excl", "simp", "unic", "sola", "solo", "siem", "alwa")
QUESTION_KEYS = ("ques", "quer", "mess", "requ", "preg", "cons", "mens")
AI_KEYS = ("ai", "ia", "llm", "llms", "gpt", "chatbot", "chatbots", "bot", "bots", "assistant", "assistants",
            "asistente", "asistentes", "model", "models", "modelo", "modelos", "copilot", "language", "lenguaje",
            "inteligencia", "intelligence", "virtual")
