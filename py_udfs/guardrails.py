"""Prompt-injection guardrails, pure Python: find instruction-like content in
documents (at ingest and at answer time) and in questions, make source text
safe to fence, fence the sources for the LLM, and recognise an answer that
obeyed a planted instruction.

Rules are regular expressions over a *view* of the text: lower-cased, accents
folded, typographic quotes made ASCII and invisible characters removed (so
"ig<U+200B>nore" is still "ignore"); findings carry offsets into the
original text. The label rules they implement, and the measured precision and
recall, are in data/guardrails/README.md."""
import re
import unicodedata
from functools import lru_cache

from .textutil import split_sentences

KINDS = ("override", "role_marker", "hidden_text", "exfiltration")

# --- the view -----------------------------------------------------------------

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e"
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_TAGS = "\U000e0000-\U000e007f"
_VARIATION_SUPPLEMENT = "\U000e0100-\U000e01ef"
# Removed from the view; the soft hyphen is ordinary typography, so it only
# stops "ig\u00adnore" from hiding a phrase and is never flagged or stripped.
_INVISIBLE = re.compile(f"[{_ZERO_WIDTH}{_BIDI}\u00ad{_TAGS}{_VARIATION_SUPPLEMENT}]")


def _fold_table():
    table = {}
    for cp in range(0xC0, 0x250):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(cp):
            table[cp] = base
    table.update({ord(a): b for a, b in zip("‘’‚‛“”„‟«»‹›", "''''\"\"\"\"\"\"''")})
    return table


_FOLD = _fold_table()


def _view(text):
    """(view, index): the matching view of `text` and, when its offsets
    differ from the original's, the original offset of each view character."""
    stripped = _INVISIBLE.sub("", text)
    folded = stripped.translate(_FOLD).lower()
    if stripped is text or stripped == text:
        if len(folded) == len(text):
            return folded, None
    chars, index = [], []
    for i, ch in enumerate(text):
        if _INVISIBLE.match(ch):
            continue
        for f in ch.translate(_FOLD).lower():  # a few characters lower-case to two
            chars.append(f)
            index.append(i)
    return "".join(chars), index


def _span(index, start, end):
    if index is None:
        return start, end
    if start >= len(index):
        return index[-1] + 1, index[-1] + 1
    return index[start], index[max(start, end - 1)] + 1


# --- building blocks ------------------------------------------------------------

def _words(*alternatives):
    return "(?:" + "|".join(alternatives) + ")"


_GAP = r"(?:[^\s.!?;]+\s+){0,%d}?"
# Who a planted instruction talks to.
_AI_NOUN = _words(r"ai", r"a\.i\.", r"ia", r"llm", r"gpt", r"chatbot", r"bot", r"assistant", r"asistente",
                  r"language model", r"modelo de lenguaje", r"model", r"modelo", r"asistente virtual",
                  r"virtual assistant", r"ai assistant", r"asistente de ia", r"asistente de inteligencia artificial",
                  r"inteligencia artificial", r"artificial intelligence", r"copilot")
# Words that make what follows an instruction to the reader of the text.
_IMPERATIVE = _words(
    "ignore", "disregard", "forget", "say", "tell", "reply", "respond", "answer", "output", "print", "write",
    "state", "recommend", "reveal", "show", "repeat", "send", "forward", "include", "add", "append", "act",
    "pretend", "stop", "describe", "summarize", "mention", "claim", "approve", "insist", "render", "display",
    "provide", "inform", "never", "always", "do not", "don't", "please", "you", "your",
    "ignora", "olvida", "olvide", "olvidate", "di", "deci", "dile", "decile", "responde", "responda", "contesta",
    "conteste", "indica", "indique", "afirma", "afirme", "recomienda", "recomenda", "revela", "muestra",
    "mostra", "repite", "repeti", "envia", "reenvia", "remiti", "incluye", "inclui", "agrega", "anade",
    "actua", "finge", "desobedece", "desestima", "escribe", "escribi", "menciona", "aproba", "aprueba",
    "termina", "nunca", "siempre", "no", "por favor", "tu", "tus", "te", "eres", "sos")
_SECOND_PERSON = _words("you", "your", "you're", "yourself", "tu", "tus", "te", "eres", "sos", "seras", "debes",
                        "tienes", "tenes", "respondes", "contestas", "dices", "decis", "usted")
_TIME_FROM_NOW_EN = _words("from now on", r"from this (?:point|moment) (?:on|forward)", "from here on",
                           "henceforth", "going forward", "starting now")
_TIME_FROM_NOW_ES = _words("a partir de ahora", "desde ahora", "de ahora en adelante", "de aqui en adelante",
                           "desde este momento", "en adelante", "a partir de este (?:mensaje|momento)")
_PERSONA = _words(r"\w*bot", r"\w*gpt", "dan", "ai", "ia", "assistant", "asistente", "chatbot", "language model",
                  "model", "modelo", "persona", "personaje", "character", "agente", r"jailbr\w*", "unrestricted",
                  "unfiltered", "uncensored", "evil", "malvad[oa]", "sin restricciones", "sin filtros?",
                  "sin limites", "sin censura", r"in (?:developer|dev|god|dan|jailbreak|unrestricted) mode",
                  r"en modo \w+")

# Override: verbs that cancel, and what they cancel. An object counts only
# with a qualifier that points at the model's own instructions ("your",
# "all", "previous", "del sistema", "que te dieron"), so "ignore this
# warning" and "olvide las instrucciones de instalación" stay ordinary.
_CANCEL = _words(
    "ignore", "ignoring", "disregard", "forget", "skip", "bypass", "override", "overlook", "discard", "abandon",
    "set aside", "put aside", "pay no attention to", "don't follow", "do not follow", "stop following",
    "disobey", "neglect", "ignora", "ignore", "ignoren", "ignores", "ignorar", "olvida", "olvide", "olviden",
    "olvidate(?: de)?", "olvidese(?: de)?", "olvides", "olvidar", "desestima", "desestime", "descarta",
    "descarte", "omite", "omita", "omiti", "pasa por alto", "pase por alto", "deja de lado", "deje de lado",
    "deja a un lado", "haz caso omiso (?:a|de)", "no hagas caso (?:a|de)", "saltate", "salta", "desobedece",
    "desobedezca", "no sigas", "no siga", "deja de seguir", "anula", "anule")
_DET = r"(?:(?:all|any|of|the|these|those|my|every|each|todas?|todos?|las|los|el|la|sus?|cada|de|a|al)\s+)*"
_STRONG_DET = r"(?:all|any|your|every|todas?|todos?|tus?|cualquier)\s+"
_PRE = _words("previous", "prior", "above", "earlier", "preceding", "former", "original", "initial", "old",
              "existing", "current", "system", "hidden", "safety", "content", "other", "default")
_RULES = _words(r"instructions?", "rules", "guidelines", "guidance", r"directives?", r"prompts?", "programming",
                "restrictions", "constraints", "guardrails", "filters", "orders", "commands", r"polic(?:y|ies)",
                r"instrucci(?:on|ones)", "indicaciones", r"reglas?", "pautas", "directrices", "directivas",
                "ordenes", "consignas", r"restricci(?:on|ones)", "limitaciones", "filtros", r"politicas?")
_POST = _words("previas", "anteriores", "de arriba", "del sistema", "de sistema", "originales", "iniciales",
               r"recibidas?", "dadas", "above", "before", "given", "provided", "provistas", "so far",
               r"hasta (?:aqui|ahora)", r"de contenido", r"you (?:were|have been) given", "que recibiste",
               r"que te (?:dieron|dio|dimos|indicaron|pidieron|ordenaron|han dado|dijeron)")
_RAG_OBJECT = _words(r"sources?", r"fuentes?", "context", "contexto", r"documents?", r"documentos?", "system prompt",
                     "text above", "texto anterior", "provided documents", "provided sources")
_EVERYTHING = _words(
    r"everything (?:above|before|prior|so far|you(?:'ve| have)? (?:been |were )?(?:told|given|instructed))",
    r"(?:what|whatever|anything|everything) (?:you|it) (?:were|was|have been|has been|had been) "
    r"(?:told|given|instructed|asked|taught)(?: (?:before|earlier|previously|so far))?",
    r"all (?:of )?the above", r"(?:todo )?lo anterior",
    r"(?:todo )?lo que te (?:dijeron|indicaron|pidieron|ordenaron|dieron|han dicho|han indicado|dije|indique)")
_CANCEL_OBJECT = _words(
    _STRONG_DET + r"(?:" + _PRE + r"\s+)*" + _RULES + r"(?:\s+" + _POST + r")?",
    _DET + r"(?:" + _PRE + r"\s+)+" + _RULES,
    _DET + _RULES + r"\s+" + _POST,
    _DET + _RAG_OBJECT,
    _EVERYTHING)

_REPLY = _words("respond", "reply", "answer", "say", "output", "print", "write", "return", "contesta", "conteste",
                "contesten", "contestá", "responde", "responda", "respondan", "di", "deci", "escribe", "escribi",
                "devuelve", "termina cada respuesta")
_ONLY = _words("only", "just", "solely", "exclusively", "simply", "unicamente", "solamente", "solo",
               "exclusivamente", "siempre", "always")
_QUOTE = r"[\"'`]"
_EVERY_QUESTION = _words(r"(?:every|any|all|each) (?:questions?|query|queries|messages?|requests?)",
                         r"(?:cada|toda|cualquier|todas las) (?:preguntas?|consultas?|mensajes?)")
_WORD_NOUN = _words("word", "phrase", "sentence", "text", "string", "palabra", "frase", "texto", "oracion")

_OVERRIDE_RULES = [
    # "ignore all previous instructions", "olvida lo que te dijeron antes"
    _CANCEL + r"\s+" + _CANCEL_OBJECT + r"\b",
    # "your previous instructions are void"
    r"\b(?:your|tus)\s+(?:" + _PRE + r"\s+)?" + _RULES + r"\s+(?:are|is|son|estan|quedan)\s+(?:now\s+)?"
    r"(?:void|cancel+ed|revoked|null|obsolete|no longer valid|anuladas?|canceladas?|sin efecto)",
    # personas: "you are now X", "a partir de ahora eres X", "your new role"
    r"\byou(?:'re| are) now\s+" + _GAP % 3 + r"[\"']?" + _PERSONA + r"\b",
    _TIME_FROM_NOW_EN + r",?\s+you(?:'re| are| will be)\s+" + _GAP % 3 + r"[\"']?" + _PERSONA + r"\b",
    r"\byou(?:'re| are)\s+[\"']?(?:\w+bot|\w+gpt|dan)\b",
    r"\b(?:ahora eres|eres ahora|ahora sos|sos ahora|ahora seras|" + _TIME_FROM_NOW_ES + r",?\s+(?:tu\s+)?"
    r"(?:eres|sos|seras))\s+" + _GAP % 3 + r"[\"']?" + _PERSONA + r"\b",
    r"\b(?:your|tu)\s+(?:new|real|true|only|actual|nuev[oa]|unic[oa]|verdader[oa]|real)\s+(?:role|task|name|"
    r"identity|goal|objective|purpose|persona|job|mission|instructions?|rol|tarea|nombre|identidad|objetivo|"
    r"proposito|mision|funcion)\b",
    # "from now on you answer...", "de aquí en adelante, contesta..."
    _TIME_FROM_NOW_EN + r",?\s+(?:you\s+(?:will|must|shall|should|are to|'ll)?\s*)?(?:only\s+)?(?:answer|respond|"
    r"reply|act|behave|pretend|speak|talk|roleplay|output)\b",
    _TIME_FROM_NOW_ES + r",?\s+(?:tu\s+|vos\s+)?(?:solo\s+|solamente\s+|siempre\s+|unicamente\s+)?(?:respond\w*|"
    r"contest\w*|habl\w*|actu\w*|di|deci|dices|decis|escrib\w*)\b",
    # announced instructions: "New instructions:", "Nuevas directivas para la IA:"
    r"\b(?:new|updated|revised|real|true|actual|secret|hidden|additional|priority|override)\s+(?:instructions?|"
    r"rules|directives|orders|commands|task|system prompt)(?:\s+(?:for|to)\s+(?:the\s+|any\s+|all\s+)?"
    + _AI_NOUN + r"s?)?\s*:",
    r"\b(?:nuevas?|actualizadas?|verdaderas?|reales|secretas?|ocultas?|prioritarias?)\s+(?:instrucci(?:on|ones)|"
    r"directivas|directrices|reglas|ordenes|tarea)(?:\s+para\s+(?:el|la|los|las)?\s*" + _AI_NOUN + r")?\s*:",
    r"\b(?:instrucci(?:on|ones)|directivas|reglas|ordenes)\s+(?:nuevas?|prioritarias?|actualizadas?|secretas?)"
    r"(?:\s+para\s+(?:el|la|los|las)?\s*" + _AI_NOUN + r")?\s*:",
    # a fixed reply whatever the question: "respond only with 'X'", "la palabra X"
    r"\b" + _REPLY + r"\s+" + _ONLY + r"\s*(?:with|con)?\s*(?:(?:the|la|el)\s+(?:single\s+)?" + _WORD_NOUN
    + r"\s*)?[:,]?\s*" + _QUOTE,
    r"\b" + _REPLY + r"\s+(?:" + _ONLY + r"\s+)?(?:with|con)?\s*(?:the|la|el)\s+(?:single\s+)?" + _WORD_NOUN
    + r"\s+\S",
    r"\b" + _REPLY + r"\s+(?:to\s+|a\s+)?" + _EVERY_QUESTION + r"\s+(?:with|con)\b",
    r"\b" + _REPLY + r"\s+" + _ONLY + r"\s+" + _QUOTE + r"?[^\s\"']+[^.!?\n]{0,60}" + _QUOTE
    + r"?\s+(?:to|a)\s+" + _EVERY_QUESTION,
    r"\b(?:nothing else|nada mas)\b(?=[^.!?\n]{0,40}$)",
    # addressed to the model: "Note to any language model reading this:", "Querido asistente,"
    r"\b(?:note|message|instructions?|attention|important|reminder|warning|nota|mensaje|instrucci(?:on|ones)|"
    r"atencion|importante|aviso|recordatorio)\s+(?:(?:to|for|para)\s+)?(?:the\s+|any\s+|all\s+|el\s+|la\s+|"
    r"los\s+|las\s+|cualquier\s+)?(?:" + _AI_NOUN + r")s?(?:\s+(?:reading|processing|summarizing|que lea)"
    r"[^:,.]{0,40})?\s*[:,]\s*" + _GAP % 6 + _IMPERATIVE + r"\b",
    r"\b(?:dear|hey|hi|hello|querid[oa]|estimad[oa]|hola)\s+" + _AI_NOUN + r"\s*[,:]",
    r"\b(?:if|si)\s+(?:you are|you're|eres|sos|usted es)\s+(?:an?\s+|una?\s+)?" + _AI_NOUN + r"\b",
    r"\b(?:any|all|every|cualquier|todo)\s+" + _AI_NOUN + r"s?\s+(?:\w+\s+){0,4}?(?:should|must|shall|debe|deben)\b",
    _AI_NOUN + r"s?\s+(?:reading|processing|summarizing|parsing|that reads?|que (?:lea|procese|resuma))\s+"
    r"(?:this|these|este|esta|estos)\s+\w+\s+(?:should|must|shall|debe|deben)\b",
    r"(?:^|[.!?:\n]\s*)(?:to the\s+|para el\s+|para la\s+)?" + _AI_NOUN + r"(?: reading this)?\s*[:,]\s*"
    + _IMPERATIVE + r"\b",
    # reveal the prompt
    r"\b(?:reveal|show|print|display|output|repeat|share|leak|dump|expose|tell me|give me|write out|copy|recite|"
    r"revela|muestra|mostra|mostrame|muestrame|dime|decime|imprime|repite|repeti|copia|escribe|transcribe|"
    r"transcribi|comparte|ensename)\s+(?:me\s+)?(?:aqui\s+|here\s+|all\s+|back\s+|verbatim\s+)?(?:your|tu|tus)\s+"
    r"(?:\w+\s+){0,2}?(?:system prompt|prompt|system message|instructions|rules|guidelines|configuration|"
    r"directives|instrucciones|reglas|directrices|pautas|configuracion|mensaje de sistema)\b",
    r"\b(?:reveal|show|print|display|output|repeat|share|leak|dump|expose|give me|copy|recite|revela|muestra|"
    r"mostra|mostrame|muestrame|imprime|repite|repeti|copia|transcribe|transcribi)\s+(?:me\s+)?(?:the|el|la|"
    r"las|los)\s+(?:(?:full|complete|entire|hidden|initial|original|secret|system|completo|oculto)\s+)*"
    r"(?:system prompt|prompt|system message|system instructions|hidden instructions|initial instructions|"
    r"instrucciones de sistema|mensaje de sistema|prompt de sistema)\b",
    # leave the persona or the safety rules
    r"\b(?:pretend|imagine)\s+(?:that\s+)?(?:you(?:'re| are| have| were)|to be)\b",
    r"\b(?:finge|finja|fingi|simula|simule|haz de cuenta|hace de cuenta|imagina|imaginate)\s+(?:que\s+)?"
    r"(?:eres|sos|seas|fueras|no tienes|no tenes|no tuvieras|ser|tener)\b",
    r"\b(?:act|actua|actue)\s+(?:as|como)\s+(?:if|though|si)\b",
    r"\b(?:act|actua|actue)\s+(?:as|como)\s+(?:(?:a|an|the|un|una|el|la)\s+)?(?:\S+\s+){0,2}?(?:dan|\w*bot|\w*gpt|"
    r"ai|ia|assistant|asistente|chatbot|model|modelo|terminal|console|consola|unfiltered|unrestricted|"
    r"sin filtros|sin restricciones|evil|malvad[oa])\b",
    r"\b(?:stop being|deja de ser)\s+(?:(?:a|an|the|un|una|el)\s+)?(?:\S+\s+){0,2}?" + _AI_NOUN + r"\b",
    r"\b(?:disobey|desobedece|desobedezca|no obedezcas)\b",
    r"\b(?:disable|turn off|deactivate|switch off|remove|bypass|desactiva|apaga|quita|elimina)\s+(?:your|tus|tu)\s+"
    r"(?:\w+\s+)?(?:filters?|restrictions|guardrails|rules|filtros|restricciones|reglas|limits|limites|"
    r"safety|seguridad)\b",
    r"\b(?:safety|content|security)\s+(?:rules|filters?|polic(?:y|ies)|restrictions)\s+(?:off|disabled)\b",
    r"\b(?:you have|you've got|with|tienes|tenes|tuvieras|tengas|no tuvieras|no tienes|no tenes|" + _AI_NOUN
    + r")\s+(?:\S+\s+){0,1}?(?:no|without|sin|ninguna|ningun|zero)\s+(?:rules|restrictions|limits|filters|"
    r"limitations|guardrails|ethics|censorship|reglas?|restricci(?:on|ones)|limites?|filtros?|limitaciones|"
    r"etica|censura)\b",
    r"\b(?:unrestricted|unfiltered|uncensored|jailbroken)\s+(?:ai|assistant|mode|model|bot|chatbot|version|gpt)\b",
    r"\b(?:modo|mode)\s+(?:sin censura|sin filtros?|sin restricciones|jailbreak|dan|god|dios|unrestricted|"
    r"uncensored)\b",
    r"\bdo anything now\b",
    # citations and sources
    r"\b(?:do not|don't|never|no|nunca)\s+(?:cite|quote|mention|include|provide|give|add|use|cites|menciones|"
    r"incluyas|uses|des|agregues|pongas|nombres)\s+(?:any\s+|the\s+|ninguna\s+|ningun\s+|las\s+|los\s+|tus\s+|"
    r"your\s+)?(?:provided\s+)?(?:sources?|citations?|references?|fuentes?|citas|referencias|documents|"
    r"documentos|context|contexto)\b",
    _REPLY + r"\s+(?:\S+\s+){0,4}?(?:without|sin)\s+(?:any\s+)?(?:citing|citar|citations?|citas|sources|fuentes|"
    r"references|referencias)\b",
]

# Only in questions: the asker is talking to the system itself, so these
# phrasings have no innocent reading there (in documents they may: "use your
# knowledge of the product").
_QUESTION_RULES = [
    r"\b(?:your|tu|tus)\s+(?:(?:system|initial|original|hidden|secret|inicial|oculto|ocultas|de sistema)\s+)?"
    r"(?:prompt|system prompt|system message|mensaje de sistema)\b",
    r"\b(?:your|tus)\s+(?:(?:system|initial|original|hidden|secret)\s+)?instructions\b",
    r"\btus\s+instrucciones\s+(?:de sistema|del sistema|iniciales|ocultas|originales)\b",
    r"\b(?:what|which)\s+(?:are|were|is|was)\s+your\s+(?:\w+\s+)?(?:instructions|rules|guidelines|prompt)\b",
    r"\b(?:cuales|que)\s+son\s+tus\s+(?:\w+\s+)?(?:instrucciones|reglas|directrices|pautas)\b",
    r"\b(?:system prompt|system message|mensaje de sistema|prompt de sistema|prompt del sistema|"
    r"instrucciones de sistema|instrucciones del sistema|initial prompt|prompt inicial|hidden prompt)\b"
    r"(?!\s+(?:the|a|an|users?|you|for)\b)",
    r"\b(?:repeat|print|output|copy|show|write|reproduce|recite)\s+(?:back\s+)?(?:all\s+)?(?:of\s+)?(?:the\s+)?"
    r"(?:text|words|content|everything|message|instructions|lines)\s+(?:above|before|that precedes|preceding|"
    r"prior|earlier)\b",
    r"\b(?:repite|repeti|copia|muestra|mostra|escribe|transcribe)\s+(?:palabra por palabra\s+|textualmente\s+)?"
    r"(?:todo\s+)?(?:el texto|lo que|las instrucciones|el contenido|los mensajes)\s+(?:que\s+)?(?:\w+\s+){0,3}?"
    r"(?:arriba|anterior|antes|previo)\b",
    r"\b(?:roleplay|role-play|role play)\s+as\b|\bplay the role of\b|\b(?:juega|interpreta)\s+(?:el\s+)?"
    r"(?:rol|papel)\s+de\b",
    r"\b(?:make up|invent|fabricate|inventa|invente|inventes|inventar)\s+(?:the\s+|la\s+|los\s+|las\s+|some\s+|"
    r"any\s+)?(?:numbers|figures|facts|answer|data|respuesta|datos|cifras|numeros|hechos)\b",
    r"\b(?:use|usa|utiliza)\s+(?:your|tu)\s+(?:own\s+|general\s+|propio\s+)?(?:knowledge|conocimiento)\b",
    r"\b(?:use|using)\s+what you know\b|\bfrom your (?:own )?knowledge\b|\bcon lo que sepas\b",
    r"\b(?:jailbreak mode|dan mode|modo dan|developer mode enabled|modo desarrollador activado)\b",
    r"\bignore\s+(?:your|the)\s+(?:content|safety)\s+polic(?:y|ies)\b",
]

_OVERRIDE_RE = [re.compile(p, re.M) for p in _OVERRIDE_RULES]
_QUESTION_RE = [re.compile(p, re.M) for p in _QUESTION_RULES]
# "DAN" the jailbreak is written in capitals; "Dan" is a colleague.
_DAN = re.compile(r"\b(?:as|are|eres|sos|como|modo|mode|now)\s+[\"']?DAN\b|\bDAN\s+(?:mode|modo)\b")

# --- role markers ---------------------------------------------------------------

_TOKEN_PAIRS = [  # opening token (view), closing token: the block between them is the marker
    (r"<\|im_start\|>", r"<\|im_end\|>"),
    (r"<\|start_header_id\|>", r"<\|eot_id\|>"),
    (r"\[inst\]", r"\[/inst\]"),
    (r"<<sys>>", r"<</sys>>"),
    (r"<start_of_turn>", r"<end_of_turn>"),
]
_TEMPLATE_TOKEN = re.compile(
    r"<\|[a-z_]{2,24}\|>|\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>|<\uff5c[^\uff5c>\n]{1,30}\uff5c>"
    r"|^[ \t]*#{2,4}[ \t]*(?:instruction|response|input|system|human|assistant|user)[ \t]*:", re.M)
_PAIRED = [(re.compile(o), re.compile(c)) for o, c in _TOKEN_PAIRS]
_ROLE_LABEL = re.compile(r"^[ \t>*_-]*(system|user|human|assistant|ai|bot)[ \t*_]*:[ \t*_]*(.*)$", re.M)
_USER_SIDE = {"user", "human"}
_MODEL_SIDE = {"assistant", "ai", "bot"}
_ADDRESSED = re.compile(r"\b" + _SECOND_PERSON + r"\b|^" + _IMPERATIVE + r"\b|" + _TIME_FROM_NOW_EN + "|"
                        + _TIME_FROM_NOW_ES + r"|\b(?:always|never|siempre|nunca)\b")
_QUESTION_LIKE = re.compile(r"\?\s*$|^\s*\u00bf|^(?:hi|hello|hola|buenas)\b|^(?:what|when|where|how|who|which|why|"
                            r"can|could|do|does|is|are|que|cuando|donde|como|quien|cual|cuanto)\b")

# --- hidden text ----------------------------------------------------------------

_COMMENT = re.compile(r"<!--(.{0,5000}?)-->", re.S)
_HIDDEN_ELEMENT = re.compile(
    r"<(div|span|p|section|td|li|font|a|small|em|b|i|strong|label|article|aside|header|footer|ul|ol|h\d)\b"
    r"([^>]{0,400})>(.{0,5000}?)</\1\s*>", re.S)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*(?:0*\.?0+|0?\.\d+|1)\s*(?:px|pt|em|rem|%)?"
    r"\s*(?:;|\"|'|$)|opacity\s*:\s*0*(?:\.0+)?\s*(?:;|\"|'|$)|(?<![\w-])hidden(?![\w-])")
_TELLS_READER = re.compile(
    r"\b(?:tell|inform|remind|say|state|claim|answer|reply|respond|recommend|describe|summari[sz]e|mention)\b"
    r"[^.!?\n]{0,60}\b(?:that|users?|customers?|patients?|readers?|students?|as)\b"
    r"|\b(?:di|deci|decile|dile|indica|indique|indicá|afirma|responde|contesta|recomienda|recomenda|resume|"
    r"describe|menciona|asegura)\b[^.!?\n]{0,60}\b(?:que|al usuario|a los usuarios|al cliente|como)\b"
    r"|\bwhen (?:summari[sz]ing|answering|asked|responding)\b|\b(?:al (?:responder|resumir)|cuando (?:te pregunten|"
    r"respondas|resumas))\b")
_AI_MENTION = re.compile(r"\b" + _AI_NOUN + r"s?\b")
_EMOJI_ZWJ_NEIGHBOUR = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\U0001f3fb-\U0001f3ff\u2640\u2642]")
_ZERO_WIDTH_RUN = re.compile(f"[{_ZERO_WIDTH}]+")
_BIDI_RUN = re.compile(f"[{_BIDI}]+")
_TAG_RUN = re.compile(f"[{_TAGS}]+")
_VS_RUN = re.compile(f"[{_VARIATION_SUPPLEMENT}]{{2,}}")
_BLACK_FLAG = "\U0001f3f4"

# --- exfiltration ---------------------------------------------------------------

_DATA_WORD = _words("conversation", "conversacion", "chat", "history", "historial", "question", "pregunta",
                    "prompt", "users?", "usuarios?", "messages?", "mensajes?", "data", "datos", "email", "correo",
                    "passwords?", "contrasenas?", "claves?", "secrets?", "secretos?", "summary", "resumen",
                    "context", "contexto", "cliente", "customer", "name", "nombre", "credentials?", "credenciales",
                    "api.?keys?", "tokens?")
_MD_LINK = re.compile(r"(!?)\[([^\]\n]{0,200})\]\(\s*(https?://[^)\n]{1,600})\)")
_PLACEHOLDER = re.compile(r"\{[^}]{1,80}\}|\[[^\]]{1,80}\]|<[^>]{1,80}>|\$\{?\w+|%7b|\b[a-z]+(?:_[a-z]+){2,}\b")
_URL_OR_ADDRESS = r"(?:https?://\S+|[\w.+-]+@[\w-]+\.[\w.-]+)"
_SEND = re.compile(
    r"\b(?:send|forward|post|email|e-mail|upload|transmit|submit|leak|exfiltrate|envia|reenvia|remiti|remite|"
    r"reenvie|envie|manda|sube|publica|comparte)\b[^.\n]{0,150}?\b(?:conversation|chat|history|historial|"
    r"conversacion|(?:previous|earlier) messages|message history|mensajes anteriores|the user'?s?|users'|"
    r"del usuario|de los usuarios|del cliente|api keys?|passwords?|credentials|secrets?|tokens?|contrasenas|"
    r"claves|credenciales|secretos)\b[^.\n]{0,150}?" + _URL_OR_ADDRESS)
_APPEND_TO_URL = re.compile(
    r"\b(?:append|add|attach|include|put|insert|concatenate|agrega|anade|adjunta|concatena|pon|pone|incluye|"
    r"inclui)\b[^.\n]{0,120}?\b" + _DATA_WORD + r"\b[^\n]{0,120}?https?://")
_DATA_IN_PLACEHOLDER = re.compile(r"(?<![a-z])" + _DATA_WORD + r"(?![a-z])")
_NEGATED = re.compile(r"(?:never|not|don't|no|nunca|jamas)\s+(?:\w+\s+)?$")


# --- findings -------------------------------------------------------------------
# Internally a finding is (kind, start, end, excerpt-or-None) in original
# offsets; the excerpt is the text itself unless the text is invisible.

def _excerpt(text, start, end):
    excerpt = " ".join(_INVISIBLE.sub("", text[start:end]).split())
    return excerpt if len(excerpt) <= 200 else excerpt[:197] + "..."


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _to_sentence_end(view, pos, limit=300):
    """Where the sentence containing `pos` ends: an override's excerpt is the
    whole instruction, and that is what an obedient model would repeat."""
    m = _SENTENCE_END.search(view, pos, min(len(view), pos + limit))
    return m.end() if m else min(len(view), pos + limit)


def _override_spans(view, rules):
    return [(m.start(), _to_sentence_end(view, m.end())) for rx in rules for m in rx.finditer(view)]


def _template_spans(view):
    spans = []
    for m in _TEMPLATE_TOKEN.finditer(view):
        end = m.end()
        for opening, closing in _PAIRED:
            if opening.fullmatch(m.group()):
                c = closing.search(view, m.end(), m.end() + 1500)
                if c:
                    end = c.end()
                else:
                    newline = view.find("\n", m.end())
                    end = newline if newline != -1 else len(view)
                break
        else:
            if m.group().lstrip().startswith("#"):  # an Alpaca header runs to the next blank line
                blank = view.find("\n\n", m.end())
                end = blank if blank != -1 else len(view)
        spans.append((m.start(), max(end, m.end())))
    return spans


def _role_label_spans(view, in_question=False):
    """Line-initial LLM role labels that open a turn: followed by words
    addressed to the model, or alternating user/assistant lines where the
    user side asks something. A glossary entry ("System: the combination of
    hardware…") is neither. In a question any such label is a forged turn."""
    labels = [(m.start(), m.end(), m.group(1), m.group(2).strip()) for m in _ROLE_LABEL.finditer(view)]
    if not labels:
        return []
    if in_question:
        return [(s, e) for s, e, _, _ in labels]
    roles = {r for _, _, r, _ in labels}
    dialogue = (roles & _USER_SIDE and roles & _MODEL_SIDE
                and any(_QUESTION_LIKE.search(c) for _, _, r, c in labels if r in _USER_SIDE))
    return [(s, e) for s, e, r, c in labels if dialogue or _ADDRESSED.search(c)]


def _instruction_like(view_fragment):
    return (any(rx.search(view_fragment) for rx in _OVERRIDE_RE) or bool(_TELLS_READER.search(view_fragment))
            or (bool(_AI_MENTION.search(view_fragment)) and len(view_fragment.split()) >= 4))


def _hidden_markup_spans(view):
    """HTML comments and elements hidden by style that carry instructions:
    markup comments, TODO notes, collapsed menus and accordions do not."""
    spans = [(m.start(), m.end()) for m in _COMMENT.finditer(view) if _instruction_like(m.group(1))]
    for m in _HIDDEN_ELEMENT.finditer(view):
        if _HIDDEN_STYLE.search(m.group(2)) and _instruction_like(re.sub(r"<[^>]*>", " ", m.group(3))):
            spans.append((m.start(), m.end()))
    return spans


def _is_emoji_joiner(text, m):
    if m.group() != "\u200d":
        return False
    before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
    return bool(before and after and _EMOJI_ZWJ_NEIGHBOUR.match(before) and _EMOJI_ZWJ_NEIGHBOUR.match(after))


def _is_flag_sequence(text, m):
    """Subdivision flags (England, Scotland, Wales) are black flag + tags."""
    return text[m.start() - 1:m.start()] == _BLACK_FLAG and m.group().endswith("\U000e007f")


def _decode_tags(s):
    return "".join(chr(ord(c) - 0xE0000) if 0xE0000 <= ord(c) <= 0xE007F else c for c in s)


def _invisible_findings(text):
    """Characters a reader cannot see: tag characters (ASCII smuggling), bidi
    overrides and isolates, runs of zero-width characters. A leading byte
    order mark, joiners inside emoji and a stray zero-width space or two are
    ordinary copy-and-paste debris."""
    out = []
    for m in _TAG_RUN.finditer(text):
        if not _is_flag_sequence(text, m):
            out.append(("hidden_text", m.start(), m.end(), f"tag characters: {_decode_tags(m.group())!r}"))
    for m in _BIDI_RUN.finditer(text):
        codes = " ".join(f"U+{ord(c):04X}" for c in m.group())
        around = _INVISIBLE.sub("", text[max(0, m.start() - 25):m.end() + 25])
        out.append(("hidden_text", m.start(), m.end(), f"bidi control {codes} in {around!r}"))
    runs = [m for m in _ZERO_WIDTH_RUN.finditer(text)
            if not (m.start() == 0 and m.group() == "\ufeff") and not _is_emoji_joiner(text, m)]
    if sum(len(m.group()) for m in runs) >= 3:
        out += [("hidden_text", m.start(), m.end(), f"{len(m.group())} zero-width character(s)") for m in runs]
    out += [("hidden_text", m.start(), m.end(), f"{len(m.group())} variation selectors") for m in _VS_RUN.finditer(text)]
    return out


def _exfiltration_spans(view):
    spans = []
    for m in _MD_LINK.finditer(view):
        placeholders = " ".join(p.group() for p in _PLACEHOLDER.finditer(m.group(3)))
        if placeholders and _DATA_IN_PLACEHOLDER.search(placeholders):
            spans.append((m.start(), m.end()))
    for rx in (_SEND, _APPEND_TO_URL):
        for m in rx.finditer(view):
            if not _NEGATED.search(view[max(0, m.start() - 20):m.start()]):
                spans.append((m.start(), _to_sentence_end(view, m.end())))
    return spans


def _merge(raw):
    """One finding per kind and stretch of text, in text order."""
    out = []
    for kind, s, e, excerpt in sorted(raw, key=lambda r: (r[1], r[2])):
        prev = next((p for p in reversed(out) if p[0] == kind), None)
        if prev is not None and s < prev[2]:
            if e > prev[2]:
                prev[2] = e
                prev[3] = None if prev[3] is None or excerpt is None else prev[3]
            continue
        out.append([kind, s, e, excerpt])
    return out


def _scan(text, question=False):
    """Raw findings (kind, start, end, excerpt-or-None), and the view."""
    view, index = _view(text)
    spans = {
        "override": _override_spans(view, _OVERRIDE_RE + (_QUESTION_RE if question else [])),
        "role_marker": _template_spans(view) + _role_label_spans(view, in_question=question),
        "hidden_text": _hidden_markup_spans(view),
        "exfiltration": _exfiltration_spans(view),
    }
    raw = [(kind, *_span(index, vs, ve), None) for kind, lst in spans.items() for vs, ve in lst]
    raw += [("override", m.start(), m.end(), None) for m in _DAN.finditer(text)]
    raw += _invisible_findings(text)
    return raw, view, index


def _as_dicts(text, merged):
    return [{"kind": k, "start": s, "end": e, "excerpt": x if x is not None else _excerpt(text, s, e)}
            for k, s, e, x in merged]


def injection_findings(text):
    """Instruction-like content in a document: a list of {"kind", "start",
    "end", "excerpt"} (offsets into `text`), empty for ordinary text."""
    if not text:
        return []
    return _as_dicts(text, _merge(_scan(text)[0]))


# A question that quotes an attack to ask about it ("how do we protect our
# bot against 'ignore previous instructions'?") is not an attempt.
_QUOTED = re.compile(r"\"[^\"\n]{3,200}\"|(?<![a-z])'[^'\n]{3,200}'(?![a-z])")
_ASKS_ABOUT = re.compile(
    r"\b(?:what is|what's|what does|what do|what are|means?|meaning|like|such as|example|called|protect|prevent|"
    r"stop|detect|block|defend|handle|avoid|filter|recogni[sz]e|obeying|que es|que significa|que quiere decir|"
    r"como|proteg\w*|preven\w*|evit\w*|detect\w*|bloque\w*|decia|dice|dijo|phishing|ataque|attack|es seguro|"
    r"is it safe)\b")


def question_findings(question):
    """A question that tries to override the system (jailbreak phrasing,
    role markers, asking for the prompt): the same shape as
    injection_findings."""
    if not question:
        return []
    raw, view, index = _scan(question, question=True)
    quoted = [_span(index, m.start(), m.end()) for m in _QUOTED.finditer(view)]
    if quoted and _ASKS_ABOUT.search(view):
        raw = [r for r in raw if not (r[0] == "override" and any(s <= r[1] < e for s, e in quoted))]
    return _as_dicts(question, _merge(raw))


# --- sentences ------------------------------------------------------------------

def sentence_spans(text):
    """(start, end, sentence) for the sentences of `text` as the answer path
    sees them (paragraphs split on blank lines, whitespace collapsed), with
    offsets into `text`."""
    out, pos = [], 0
    for para in text.split("\n\n"):
        words = [(m.start() + pos, m.end() + pos) for m in re.finditer(r"\S+", para)]
        norm_starts, n = [], 0
        for s, e in words:
            norm_starts.append(n)
            n += e - s + 1
        norm = " ".join(text[s:e] for s, e in words)
        cursor = 0
        for sent in split_sentences(norm):
            k = norm.find(sent, cursor)
            cursor = k + len(sent)
            first = _bisect_right(norm_starts, k) - 1
            last = _bisect_right(norm_starts, cursor - 1) - 1
            out.append((words[first][0], words[last][1], sent))
        pos += len(para) + 2
    return out


def _bisect_right(xs, x):
    lo, hi = 0, len(xs)
    while lo < hi:
        mid = (lo + hi) // 2
        if x < xs[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def flagged(start, end, findings):
    return any(f["start"] < end and start < f["end"] for f in findings)


@lru_cache(maxsize=512)
def _cached_findings(text):
    return tuple(tuple(f.items()) for f in injection_findings(text))


def findings_of(text):
    """injection_findings, memoised: the answer path asks for the same few
    sources several times per question."""
    return [dict(f) for f in _cached_findings(text)]


def withhold_flagged(text, findings=None, marker="[…]"):
    """(text without the sentences that hold a finding, how many were
    withheld). Each withheld sentence becomes `marker`; '' drops it."""
    findings = findings_of(text) if findings is None else findings
    if not findings:
        return text, 0
    pieces, last, n = [], 0, 0
    for s, e, _ in sentence_spans(text):
        if flagged(s, e, findings):
            pieces.append(text[last:s] + marker)
            last, n = e, n + 1
    pieces.append(text[last:])
    # a hidden block between sentences (an HTML comment on its own line) is no sentence of its own
    out = "".join(pieces)
    if n == 0:
        return text, 0
    return out, n


# --- neutralize and fence -------------------------------------------------------

_STRIP_ALWAYS = re.compile(f"[{_BIDI}{_VARIATION_SUPPLEMENT}\u2060-\u2064\u180e]")
_TEMPLATE_DEFUSE = [
    (re.compile(r"<\|([A-Za-z_]{2,24})\|>"), "\u2039\\1\u203a"),
    (re.compile(r"<\uff5c([^\uff5c>\n]{1,30})\uff5c>"), "\u2039\\1\u203a"),
    (re.compile(r"\[(/?)(INST)\]", re.I), "\u2039\\1\\2\u203a"),
    (re.compile(r"<<(/?)(SYS)>>", re.I), "\u2039\\1\\2\u203a"),
    (re.compile(r"<((?:start|end)_of_turn)>", re.I), "\u2039\\1\u203a"),
    (re.compile(r"</?s>"), lambda m: m.group().replace("<", "\u2039").replace(">", "\u203a")),
    (re.compile(r"^([ \t]*#{2,4}[ \t]*)(instruction|response|input|system|human|assistant|user)([ \t]*:)",
                re.I | re.M), "\\1\u00ab\\2\u00bb\\3"),
]
# The fence is <source-NONCE n="N"> … </source-NONCE>: a source may not open
# or close anything that looks like it.
_FENCE_COLLISION = re.compile(r"<(/?)(source)", re.I)
_ROLE_LABEL_ORIGINAL = re.compile(r"^([ \t>*_-]*)(system|user|human|assistant|ai|bot)([ \t*_]*:)", re.I | re.M)


def _strip_invisible(text):
    def zero_width(m):
        if (m.start() == 0 and m.group() == "\ufeff") or _is_emoji_joiner(text, m):
            return m.group() if m.group() != "\ufeff" else ""
        return ""

    def tags(m):
        return m.group() if _is_flag_sequence(text, m) else ""
    text = _ZERO_WIDTH_RUN.sub(zero_width, text)
    text = _TAG_RUN.sub(tags, text)
    return _STRIP_ALWAYS.sub("", text)


def neutralize(text):
    """Source text safe inside a fence: invisible characters out, template
    tokens and turn-opening role labels defused (‹im_start›, «Assistant»:),
    fence look-alikes defused. Ordinary text comes back unchanged."""
    if not text:
        return text or ""
    text = _strip_invisible(text)
    view, _ = _view(text)
    turn_lines = {view.count("\n", 0, s) for s, _ in _role_label_spans(view)}
    if turn_lines:
        lines = text.split("\n")
        for i in turn_lines:
            lines[i] = _ROLE_LABEL_ORIGINAL.sub("\\1\u00ab\\2\u00bb\\3", lines[i], count=1)
        text = "\n".join(lines)
    for rx, repl in _TEMPLATE_DEFUSE:
        text = rx.sub(repl, text)
    return _FENCE_COLLISION.sub("\u2039\\1\\2", text)


_NONCE = re.compile(r"[0-9A-Za-z]{8,64}")


def fence_sources(sources, nonce):
    """The sources as data for the user message: each one inside
    <source-NONCE n="N"> … </source-NONCE>, headed by "[N] title" so [N]
    citations keep working. `nonce` must be unguessable (secrets.token_hex(8)):
    a document cannot forge the closing tag without it."""
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        raise ValueError("fence nonce must be 8 to 64 letters or digits")
    blocks = []
    for n, src in enumerate(sources, start=1):
        title = " ".join(neutralize(src.get("title") or "").split())
        blocks.append(f'<source-{nonce} n="{n}">\n[{n}] {title}\n{neutralize(src["content"]).strip()}\n'
                      f"</source-{nonce}>")
    return "\n\n".join(blocks)


# --- did an answer obey a planted instruction? ----------------------------------

_PAYLOAD_QUOTED = re.compile(r"\"([^\"\n]{2,80})\"|“([^”\n]{2,80})”|«([^»\n]{2,80})»|‘([^’\n]{2,80})’"
                             r"|(?:(?<=[\s:(¡¿])|^)'([^'\n]{2,80})'(?![A-Za-z])")
_PAYLOAD_WORD = re.compile(r"\b(?:word|phrase|palabra|frase)\s+([^\s.,;:!?]+(?:\s+[A-ZÁÉÍÓÚÑ]{2,})*)", re.I)
_PAYLOAD_CAPS = re.compile(r"\b[A-ZÁÉÍÓÚÑ]{4,}(?:\s+[A-ZÁÉÍÓÚÑ]{2,})*\b")
_PAYLOAD_NAME = re.compile(r"\b\w+(?:Bot|GPT|bot|gpt)\b")
_PAYLOAD_LINK = re.compile(r"https?://([^\s/)\]>\"']+)|[\w.+-]+@[\w-]+\.[\w.-]*\w")
_PAYLOAD_NUMBER = re.compile(r"(?<![\w.,])\d[\d.,:/-]*\d(?![\w])|(?<![\w.,])\d{2,}(?![\w])")
_NOT_PAYLOAD = {"IMPORTANT", "IMPORTANTE", "NOTE", "NOTA", "SYSTEM", "USER", "ASSISTANT", "HUMAN", "INST", "SYS",
                "ATTENTION", "ATENCIÓN", "ATENCION", "WARNING", "AVISO", "CHATBOT", "ROBOT"}


def _context_of(text, f):
    """The sentences around a finding, with smuggled tag characters decoded."""
    start = max(text.rfind(".", 0, f["start"]), text.rfind("\n", 0, f["start"])) + 1
    stop = re.compile(r"[.!?](?=\s|$)|\n").search(text, f["end"])
    end = stop.end() if stop else len(text)
    return _decode_tags(text[start:max(end, f["end"])])


def _norm(s):
    return " ".join(_INVISIBLE.sub("", s).translate(_FOLD).lower().split())


def planted_payloads(text, findings=None, clean_text=None):
    """Strings an obedient model would repeat from the flagged sentences of
    `text` (quoted replies, "the word X", capitalised slogans, bot names,
    link hosts and addresses, numbers) that the rest of the text does not
    contain: a legitimate answer has no reason to say them."""
    findings = findings_of(text) if findings is None else findings
    if not findings:
        return set()
    clean = _norm(clean_text if clean_text is not None else withhold_flagged(text, findings, marker=" ")[0])
    found = set()
    for f in findings:
        ctx = _context_of(text, f)
        cands = [next(g for g in m.groups() if g) for m in _PAYLOAD_QUOTED.finditer(ctx)]
        cands += [m.group(1) for m in _PAYLOAD_WORD.finditer(ctx)]
        cands += [m.group() for m in _PAYLOAD_CAPS.finditer(ctx) if m.group() not in _NOT_PAYLOAD]
        cands += [m.group() for m in _PAYLOAD_NAME.finditer(ctx) if m.group().lower() not in ("chatbot", "robot")]
        cands += [m.group(1) or m.group() for m in _PAYLOAD_LINK.finditer(ctx)]
        cands += [m.group() for m in _PAYLOAD_NUMBER.finditer(ctx)]
        for c in cands:
            c = c.strip(" '\"¡!¿?.,;:")
            n = _norm(c)
            if len(n) >= 2 and not _contains(clean, n):
                found.add(c)
    return found


def _contains(haystack, needle):
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", haystack) is not None


def echoed_payload(answer, payloads):
    """The first payload the answer repeats, or None."""
    a = _norm(answer)
    for p in sorted(payloads, key=len, reverse=True):
        if _contains(a, _norm(p)):
            return p
    return None
