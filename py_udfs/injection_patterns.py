"""The patterns of the prompt-injection guardrails (py_udfs/guardrails.py):
regular expressions over the guardrails' view of a text (lower-case, accents
folded, quotes made ASCII, invisible characters removed), and the tables
that neutralize and payload extraction use. Pure data; the label rules they
implement are in data/guardrails/README.md."""
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

OVERRIDE_RULES = [
    # "ignore all previous instructions", "olvida lo que te dijeron antes"
    (("igno", "disregard", "forget", "skip", "bypass", "override", "overlook", "discard", "abandon", "aside",
      "attention", "follow", "following", "disobey", "neglect", "olvi", "desestima", "desestime", "descarta",
      "descarte", "omite", "omita", "omiti", "alto", "lado", "caso", "saltate", "salta", "desobedece",
      "desobedezca", "sigas", "siga", "seguir", "anula", "anule"),
     CANCEL + r"\s+" + CANCEL_OBJECT + r"\b"),
    # "your previous instructions are void"
    (("your", "tus"),
     r"\b(?:your|tus)\s+(?:" + PRE + r"\s+)?" + RULES + r"\s+(?:are|is|son|estan|quedan)\s+(?:now\s+)?"
     r"(?:void|cancel+ed|revoked|null|obsolete|no longer valid|anuladas?|canceladas?|sin efecto)"),
    # personas: "you are now X", "a partir de ahora eres X", "your new role"
    (("you",), r"\byou(?:'re| are) now\s+" + GAP % 3 + r"[\"']?" + PERSONA + r"\b"),
    (("you",), TIME_FROM_NOW_EN + r",?\s+you(?:'re| are| will be)\s+" + GAP % 3 + r"[\"']?" + PERSONA + r"\b"),
    (("you",), r"\byou(?:'re| are)\s+[\"']?(?:\w+bot|\w+gpt|dan)\b"),
    (("eres", "sos", "sera"),
     r"\b(?:ahora eres|eres ahora|ahora sos|sos ahora|ahora seras|" + TIME_FROM_NOW_ES + r",?\s+(?:tu\s+)?"
     r"(?:eres|sos|seras))\s+" + GAP % 3 + r"[\"']?" + PERSONA + r"\b"),
    (("your", "tu"),
     r"\b(?:your|tu)\s+(?:new|real|true|only|actual|nuev[oa]|unic[oa]|verdader[oa]|real)\s+(?:role|task|name|"
     r"identity|goal|objective|purpose|persona|job|mission|instructions?|rol|tarea|nombre|identidad|objetivo|"
     r"proposito|mision|funcion)\b"),
    # "from now on you answer...", "de aquí en adelante, contesta..."
    (("from", "henc", "goin", "star"),
     TIME_FROM_NOW_EN + r",?\s+(?:you\s+(?:will|must|shall|should|are to|'ll)?\s*)?(?:only\s+)?(?:answer|respond|"
     r"reply|act|behave|pretend|speak|talk|roleplay|output)\b"),
    (("ahor", "adel", "mome", "mens"),
     TIME_FROM_NOW_ES + r",?\s+(?:tu\s+|vos\s+)?(?:solo\s+|solamente\s+|siempre\s+|unicamente\s+)?(?:respond\w*|"
     r"contest\w*|habl\w*|actu\w*|di|deci|dices|decis|escrib\w*)\b"),
    # announced instructions: "New instructions:", "Nuevas directivas para la IA:"
    (("inst", "rule", "dire", "orde", "comm", "task", "syst"),
     r"\b(?:new|updated|revised|real|true|actual|secret|hidden|additional|priority|override)\s+(?:instructions?|"
     r"rules|directives|orders|commands|task|system prompt)(?:\s+(?:for|to)\s+(?:the\s+|any\s+|all\s+)?"
     + AI_NOUN + r"s?)?\s*:"),
    (("inst", "dire", "regl", "orde", "tare"),
     r"\b(?:nuevas?|actualizadas?|verdaderas?|reales|secretas?|ocultas?|prioritarias?)\s+(?:instrucci(?:on|ones)|"
     r"directivas|directrices|reglas|ordenes|tarea)(?:\s+para\s+(?:el|la|los|las)?\s*" + AI_NOUN + r")?\s*:"),
    (("inst", "dire", "regl", "orde"),
     r"\b(?:instrucci(?:on|ones)|directivas|reglas|ordenes)\s+(?:nuevas?|prioritarias?|actualizadas?|secretas?)"
     r"(?:\s+para\s+(?:el|la|los|las)?\s*" + AI_NOUN + r")?\s*:"),
    # a fixed reply whatever the question: "respond only with 'X'", "la palabra X"
    (ONLY_KEYS,
     r"\b" + REPLY + r"\s+" + ONLY + r"\s*(?:with|con)?\s*(?:(?:the|la|el)\s+(?:single\s+)?" + WORD_NOUN
     + r"\s*)?[:,]?\s*" + QUOTE),
    (("word", "phra", "sent", "text", "stri", "pala", "fras", "orac"),
     r"\b" + REPLY + r"\s+(?:" + ONLY + r"\s+)?(?:with|con)?\s*(?:the|la|el)\s+(?:single\s+)?" + WORD_NOUN
     + r"\s+\S"),
    (QUESTION_KEYS,
     r"\b" + REPLY + r"\s+(?:to\s+|a\s+)?" + EVERY_QUESTION + r"\s+(?:with|con)\s*(?:(?:the|la|el)\s+(?:single\s+)?"
     + WORD_NOUN + r"\s*)?[:,]?\s*" + QUOTE),
    (QUESTION_KEYS,
     r"\b" + REPLY + r"\s+" + ONLY + r"\s+" + QUOTE + r"?[^\s\"']+[^.!?\n]{0,60}" + QUOTE
     + r"?\s+(?:to|a)\s+" + EVERY_QUESTION),
    # "... and nothing else" closing a demanded reply; a licence's "However,
    # nothing else grants you permission" is no instruction
    (("noth", "nada"), r"\b(?:and|y)\s+(?:nothing else|nada mas)\b(?=[^.!?\n]{0,40}$)"),
    # addressed to the model: "Note to any language model reading this:", "Querido asistente,"
    (AI_KEYS,
     r"\b(?:note|message|instructions?|attention|important|reminder|warning|nota|mensaje|instrucci(?:on|ones)|"
     r"atencion|importante|aviso|recordatorio)\s+(?:(?:to|for|para)\s+)?(?:the\s+|any\s+|all\s+|el\s+|la\s+|"
     r"los\s+|las\s+|cualquier\s+)?(?:" + AI_NOUN + r")s?(?:\s+(?:reading|processing|summarizing|que lea)"
     r"[^:,.]{0,40})?\s*[:,]\s*" + GAP % 6 + IMPERATIVE + r"\b"),
    (("dear", "hey", "hi", "hell", "quer", "esti", "hola"),
     r"\b(?:dear|hey|hi|hello|querid[oa]|estimad[oa]|hola)\s+" + AI_NOUN + r"\s*[,:]"),
    (AI_KEYS, r"\b(?:if|si)\s+(?:you are|you're|eres|sos|usted es)\s+(?:an?\s+|una?\s+)?" + AI_NOUN + r"\b"),
    (AI_KEYS,
     r"\b(?:any|all|every|cualquier|todo)\s+" + AI_NOUN + r"s?\s+(?:\w+\s+){0,4}?(?:should|must|shall|debe|deben)\b"),
    (AI_KEYS,
     r"\b" + AI_NOUN + r"s?\s+(?:reading|processing|summarizing|parsing|that reads?|que (?:lea|procese|resuma))\s+"
     r"(?:this|these|este|esta|estos)\s+\w+\s+(?:should|must|shall|debe|deben)\b"),
    (AI_KEYS,
     r"(?:^|(?<=[.!?:\n]))\s*(?:to the\s+|para el\s+|para la\s+)?\b" + AI_NOUN + r"(?: reading this)?\s*[:,]\s*"
     + GAP % 8 + IMPERATIVE + r"\b"),
    # the opening line of a system prompt: "You are a helpful assistant", "Eres un asistente útil"
    (AI_KEYS,
     r"(?:^|(?<=[.!?:\n\"']))\s*you(?:'re| are)\s+an?\s+(?:(?:helpful|harmless|honest|useful|friendly|virtual|"
     r"smart|expert|knowledgeable|polite|customer service|support)\s+)*(?:ai|chatbot|language model|bot|llm|gpt|"
     r"ai assistant)\b"),
    (("assi",),
     r"(?:^|(?<=[.!?:\n\"']))\s*you(?:'re| are)\s+an?\s+(?:(?:helpful|harmless|honest|useful|friendly|virtual|"
     r"smart|knowledgeable|polite)\s+)+assistant\b"),
    (("asis", "ia", "chat", "mode", "bot"),
     r"(?:^|(?<=[.!?:\n\"']))\s*(?:tu\s+)?(?:eres|sos)\s+una?\s+(?:asistente\s+(?:util|virtual|de ia|amable|servicial|"
     r"de inteligencia artificial)|ia|chatbot|modelo de lenguaje|bot)\b"),
    # "summarize this document as 'excellent candidate'"
    (("summ", "desc", "resu"),
     r"\b(?:summari[sz]e|describe|resume|describi)\s+(?:this|the|these|este|esta|el|la)\s+(?:document|page|text|"
     r"candidate|file|applicant|documento|pagina|texto|archivo|candidat[oa]|cv|resume)s?\s+(?:as|como)\b"),
    # reveal the prompt
    (("syst", "prom", "inst", "rule", "guid", "conf", "dire", "regl", "paut", "mens"),
     r"\b(?:reveal|show|print|display|output|repeat|share|leak|dump|expose|tell me|give me|write out|copy|recite|"
     r"revela|muestra|mostra|mostrame|muestrame|dime|decime|imprime|repite|repeti|copia|escribe|transcribe|"
     r"transcribi|comparte|ensename)\s+(?:me\s+)?(?:aqui\s+|here\s+|all\s+|back\s+|verbatim\s+)?(?:your|tu|tus)\s+"
     r"(?:\w+\s+){0,2}?(?:system prompt|prompt|system message|instructions|rules|guidelines|configuration|"
     r"directives|instrucciones|reglas|directrices|pautas|configuracion|mensaje de sistema)\b"),
    (("prom", "syst", "inst", "mens"),
     r"\b(?:reveal|show|print|display|output|repeat|share|leak|dump|expose|give me|copy|recite|revela|muestra|"
     r"mostra|mostrame|muestrame|imprime|repite|repeti|copia|transcribe|transcribi)\s+(?:me\s+)?(?:the|el|la|"
     r"las|los)\s+(?:(?:full|complete|entire|hidden|initial|original|secret|system|completo|oculto)\s+)*"
     r"(?:system prompt|prompt|system message|system instructions|hidden instructions|initial instructions|"
     r"instrucciones de sistema|mensaje de sistema|prompt de sistema)\b"),
    (("inst", "rule", "guid", "prom", "dire", "regl", "paut"),
     r"\b(?:reveal|show|print|display|output|repeat|share|leak|dump|expose|give me|tell me|copy|recite|summari[sz]e|"
     r"list|revela|muestra|mostra|mostrame|muestrame|dime|decime|imprime|repite|repeti|copia|resume|transcribe|"
     r"transcribi)\s+(?:me\s+|us\s+)?(?:\S+\s+){0,4}?(?:instructions|rules|guidelines|prompt|directives|"
     r"instrucciones|reglas|directrices|pautas)\s+(?:that\s+)?(?:you\s+(?:were|have been)\s+(?:given|provided)|"
     r"you\s+(?:received|got)|que\s+(?:te\s+dieron|recibiste|te\s+pasaron))\b"),
    # leave the persona or the safety rules
    (("pret", "imag"), r"\b(?:pretend|imagine)\s+(?:that\s+)?(?:you(?:'re| are| have| were)|to be)\b"),
    (("fing", "finj", "simu", "haz", "hace", "imag"),
     r"\b(?:finge|finja|fingi|simula|simule|haz de cuenta|hace de cuenta|imagina|imaginate)\s+(?:que\s+)?"
     r"(?:eres|sos|seas|fueras|no tienes|no tenes|no tuvieras|ser|tener)\b"),
    (("act", "actu"), r"\b(?:act|actua|actue)\s+(?:as|como)\s+(?:if|though|si)\b"),
    (("act", "actu"),
     r"\b(?:act|actua|actue)\s+(?:as|como)\s+(?:(?:a|an|the|un|una|el|la)\s+)?(?:\S+\s+){0,2}?(?:dan|\w*bot|\w*gpt|"
     r"ai|ia|assistant|asistente|chatbot|model|modelo|terminal|console|consola|unfiltered|unrestricted|"
     r"sin filtros|sin restricciones|evil|malvad[oa])\b"),
    (("stop", "deja"), r"\b(?:stop being|deja de ser)\s+(?:(?:a|an|the|un|una|el)\s+)?(?:\S+\s+){0,2}?" + AI_NOUN
     + r"\b"),
    (("diso", "deso", "obed"), r"\b(?:disobey|desobedece|desobedezca|no obedezcas)\b"),
    (("your", "tus", "tu"),
     r"\b(?:disable|turn off|deactivate|switch off|remove|bypass|desactiva|apaga|quita|elimina)\s+(?:your|tus|tu)\s+"
     r"(?:\w+\s+)?(?:filters?|restrictions|guardrails|rules|filtros|restricciones|reglas|limits|limites|"
     r"safety|seguridad)\b"),
    (("safety", "security", "content", "seguridad", "contenido"),
     r"\b(?:safety|content|security)\s+(?:rules|filters?|polic(?:y|ies)|restrictions|protocols?|checks|guidelines)\s+"
     r"(?:(?:are|is|have been|has been|were|now)\s+)?(?:off|disabled|lifted|removed|suspended|bypassed)\b"
     r"|\b(?:reglas|filtros|politicas?|restricciones|protocolos|controles)\s+de\s+(?:seguridad|contenido)\s+"
     r"(?:(?:estan|quedan|fueron|han sido)\s+)?(?:desactivad[oa]s|suspendid[oa]s|eliminad[oa]s|levantad[oa]s)\b"),
    # "your rules have changed", "tus reglas cambiaron"
    (("rule", "inst", "guid", "rest", "regl", "paut", "dire"),
     r"\b(?:your|tus)\s+(?:rules|instructions|guidelines|restrictions|reglas|instrucciones|pautas|directrices|"
     r"restricciones)\s+(?:have|has|han)\s+(?:been\s+)?(?:changed|updated|lifted|removed|cambiado|sido levantadas|"
     r"sido eliminadas)\b|\b(?:tus)\s+(?:reglas|instrucciones|pautas|restricciones)\s+(?:cambiaron|ya no aplican)\b"),
    # memory poisoning: "remember for all future tasks"
    (("remember", "recuerda", "recorda", "memoriza"),
     r"\b(?:remember|recuerda|recorda|memoriza)\b[^.!?\n]{0,40}\b(?:for|in|para|en)\s+(?:all\s+|todas\s+las\s+|"
     r"todos\s+los\s+)?(?:future|subsequent|next|futur[oa]s|proxim[oa]s|siguientes)\s+(?:tasks|conversations|"
     r"sessions|answers|replies|chats|tareas|conversaciones|sesiones|respuestas)\b"),
    (("rule", "rest", "limi", "filt", "guar", "ethi", "cens", "regl", "etic"),
     r"\b(?:you have|you've got|with|tienes|tenes|tuvieras|tengas|no tuvieras|no tienes|no tenes|" + AI_NOUN
     + r")\s+(?:\S+\s+){0,1}?(?:no|without|sin|ninguna|ningun|zero)\s+(?:rules|restrictions|limits|filters|"
     r"limitations|guardrails|ethics|censorship|reglas?|restricci(?:on|ones)|limites?|filtros?|limitaciones|"
     r"etica|censura)\b"),
    (("unre", "unfi", "unce", "jail"),
     r"\b(?:unrestricted|unfiltered|uncensored|jailbroken)\s+(?:ai|assistant|mode|model|bot|chatbot|version|gpt)\b"),
    (("modo", "mode"),
     r"\b(?:modo|mode)\s+(?:sin censura|sin filtros?|sin restricciones|jailbreak|dan|god|dios|unrestricted|"
     r"uncensored)\b"),
    (("anyt",), r"\bdo anything now\b"),
    (("deco", "deci", "desc", "tran", "trad"),
     r"\b(?:decode|decipher|decodifica|descifra|translate|traduce)\b[^.!?\n]{0,80}\b(?:do|follow|execute|obey|"
     r"carry out|haz|hace|sigue|segui|ejecuta|obedece|cumple)\s+(?:exactly\s+)?(?:what|the instructions?|"
     r"lo que|las instrucciones|la instruccion)\b"),
    # citations and sources
    (("sour", "cita", "refe", "fuen", "docu", "context", "contexto"),
     r"\b(?:do not|don't|never|no|nunca)\s+(?:cite|quote|mention|include|provide|give|add|use|cites|menciones|"
     r"incluyas|uses|des|agregues|pongas|nombres)\s+(?:any\s+|the\s+|ninguna\s+|ningun\s+|las\s+|los\s+|tus\s+|"
     r"your\s+)?(?:provided\s+)?(?:sources?|citations?|references?|fuentes?|citas|referencias|documents|"
     r"documentos|context|contexto)\b" + ABOUT_A_SUBJECT),
    (("rest", "limi", "filt", "cens", "rule", "regl"),
     r"\b(?:" + REPLY + r"|responder|contestar|comply|proceed)\s+(?:\S+\s+){0,4}?(?:without|sin)\s+"
     r"(?:any\s+|ninguna\s+)?"
     r"(?:restrictions|limits|filters|censorship|rules|restricci(?:on|ones)|limites|filtros|censura|reglas)\b"),
    (("citi", "cita", "sour", "fuen", "refe"),
     r"\b" + REPLY + r"\s+(?:\S+\s+){0,4}?(?:without|sin)\s+(?:any\s+)?(?:citing|citar|citations?|citas|sources|"
     r"fuentes|references|referencias)\b"),
]

# Only in questions: the asker is talking to the system itself, so these
# phrasings have no innocent reading there (in documents they may: "use your
# knowledge of the product").
QUESTION_RULES = [
    (("prom", "syst", "mens"),
     r"\b(?:your|tu|tus)\s+(?:(?:system|initial|original|hidden|secret|inicial|oculto|ocultas|de sistema)\s+)?"
     r"(?:prompt|system prompt|system message|mensaje de sistema)\b"),
    (("inst",), r"\b(?:your|tus)\s+(?:(?:system|initial|original|hidden|secret)\s+)?instructions\b"),
    (("inst",), r"\btus\s+instrucciones\s+(?:de sistema|del sistema|iniciales|ocultas|originales)\b"),
    (("inst", "rule", "guid", "prom"),
     r"\b(?:what|which)\s+(?:are|were|is|was)\s+your\s+(?:\w+\s+)?(?:instructions|rules|guidelines|prompt)\b"),
    (("inst", "regl", "dire", "paut"),
     r"\b(?:cuales|que)\s+son\s+tus\s+(?:\w+\s+)?(?:instrucciones|reglas|directrices|pautas)\b"),
    (("prom", "mess", "mens", "inst"),
     r"\b(?:system prompt|system message|mensaje de sistema|prompt de sistema|prompt del sistema|"
     r"instrucciones de sistema|instrucciones del sistema|initial prompt|prompt inicial|hidden prompt)\b"
     r"(?!\s+(?:the|a|an|users?|you|for)\b)"),
    (("repe", "prin", "outp", "copy", "show", "writ", "repr", "reci"),
     r"\b(?:repeat|print|output|copy|show|write|reproduce|recite)\s+(?:back\s+)?(?:all\s+)?(?:of\s+)?(?:the\s+)?"
     r"(?:text|words|content|everything|message|instructions|lines)\s+(?:above|before|that precedes|preceding|"
     r"prior|earlier)\b"),
    (("repi", "repe", "copi", "mues", "most", "escr", "tran"),
     r"\b(?:repite|repeti|copia|muestra|mostra|escribe|transcribe)\s+(?:palabra por palabra\s+|textualmente\s+)?"
     r"(?:todo\s+)?(?:el texto|lo que|las instrucciones|el contenido|los mensajes)\s+(?:que\s+)?(?:\w+\s+){0,3}?"
     r"(?:arriba|anterior|antes|previo)\b"),
    (("role", "play", "jueg", "inte"),
     r"\b(?:roleplay|role-play|role play)\s+as\b|\bplay the role of\b|\b(?:juega|interpreta)\s+(?:el\s+)?"
     r"(?:rol|papel)\s+de\b"),
    (("make", "inve", "fabr"),
     r"\b(?:make up|invent|fabricate|inventa|invente|inventes|inventar)\s+(?:the\s+|la\s+|los\s+|las\s+|some\s+|"
     r"any\s+)?(?:numbers|figures|facts|answer|data|respuesta|datos|cifras|numeros|hechos)\b"),
    (("know", "cono"),
     r"\b(?:use|usa|utiliza)\s+(?:your|tu)\s+(?:own\s+|general\s+|propio\s+)?(?:knowledge|conocimiento)\b"),
    (("know", "sepa"), r"\b(?:use|using)\s+what you know\b|\bfrom your (?:own )?knowledge\b|\bcon lo que sepas\b"),
    (("jail", "dan", "modo", "deve"),
     r"\b(?:jailbreak mode|dan mode|modo dan|developer mode enabled|modo desarrollador activado)\b"),
    (("igno",), r"\bignore\s+(?:your|the)\s+(?:content|safety)\s+polic(?:y|ies)\b"),
]


def compile_rules(rules):
    return [(frozenset(keys), re.compile(pattern, re.M)) for keys, pattern in rules]


OVERRIDE_RE = compile_rules(OVERRIDE_RULES)
QUESTION_RE = compile_rules(QUESTION_RULES)
WORD_RE = re.compile(r"[a-z0-9]+")


def word_keys(view):
    """The view's words and the 4-letter starts of its longer words: what
    rule keys are looked up in."""
    seen = set(WORD_RE.findall(view))
    return seen | {w[:4] for w in seen if len(w) > 4}


def runnable(rules, keys):
    return [rx for rule_keys, rx in rules if not rule_keys.isdisjoint(keys)]


# "DAN" the jailbreak is written in capitals; "Dan" is a colleague.
DAN = re.compile(r"\b(?:as|are|eres|sos|como|modo|mode|now)\s+[\"']?DAN\b|\bDAN\s+(?:mode|modo)\b")

# --- role markers ---------------------------------------------------------------

TOKEN_PAIRS = [  # opening token (view), closing token: the block between them is the marker
    (r"<\|im_start\|>", r"<\|im_end\|>"),
    (r"<\|start_header_id\|>", r"<\|eot_id\|>"),
    (r"\[inst\]", r"\[/inst\]"),
    (r"<<sys>>", r"<</sys>>"),
    (r"<start_of_turn>", r"<end_of_turn>"),
]
TEMPLATE_TOKEN = re.compile(
    r"\[(?:system|assistant|user)\]\(#[\w-]+\)|<\|[a-z_]{2,24}\|>|\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>"
    r"|<\uff5c[^\uff5c>\n]{1,30}\uff5c>"
    r"|^[ \t]*#{2,4}[ \t]*(?:instruction|response|input|system|human|assistant|user)[ \t]*:", re.M)
PAIRED = [(re.compile(o), re.compile(c)) for o, c in TOKEN_PAIRS]
ROLE_LABEL = re.compile(r"^[ \t>*_-]*(system|user|human|assistant|ai|bot)[ \t*_]*:[ \t*_]*(.*)$", re.M)
USER_SIDE = {"user", "human"}
MODEL_SIDE = {"assistant", "ai", "bot"}
ADDRESSED = re.compile(r"\b" + SECOND_PERSON + r"\b|^" + IMPERATIVE + r"\b|" + TIME_FROM_NOW_EN + "|"
                       + TIME_FROM_NOW_ES + r"|\b(?:always|never|siempre|nunca)\b")
QUESTION_LIKE = re.compile(r"\?\s*$|^\s*\u00bf|^(?:hi|hello|hola|buenas)\b|^(?:what|when|where|how|who|which|why|"
                           r"can|could|do|does|is|are|que|cuando|donde|como|quien|cual|cuanto)\b")

# --- hidden text ----------------------------------------------------------------

COMMENT = re.compile(r"<!--(.{0,5000}?)-->", re.S)
HIDDEN_ELEMENT = re.compile(
    r"<(div|span|p|section|td|li|font|a|small|em|b|i|strong|label|article|aside|header|footer|ul|ol|h\d)\b"
    r"([^>]{0,400})>(.{0,5000}?)</\1\s*>", re.S)
HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*(?:0*\.?0+|0?\.\d+|1)\s*(?:px|pt|em|rem|%)?"
    r"\s*(?:;|\"|'|$)|opacity\s*:\s*0*(?:\.0+)?\s*(?:;|\"|'|$)|(?<![\w-])hidden(?![\w-])")
TELLS_READER = re.compile(
    r"\b(?:tell|inform|remind|say|state|claim|answer|reply|respond|recommend|describe|summari[sz]e|mention)\b"
    r"[^.!?\n]{0,60}\b(?:that|users?|customers?|patients?|readers?|students?|as)\b"
    r"|\b(?:di|deci|decile|dile|indica|indique|afirma|responde|contesta|recomienda|recomenda|resume|"
    r"describe|menciona|asegura)\b[^.!?\n]{0,60}\b(?:que|al usuario|a los usuarios|al cliente|como)\b"
    r"|\bwhen (?:summari[sz]ing|answering|asked|responding)\b|\b(?:al (?:responder|resumir)|cuando (?:te pregunten|"
    r"respondas|resumas))\b")
AI_MENTION = re.compile(r"\b" + AI_NOUN + r"s?\b")
EMOJI_ZWJ_NEIGHBOUR = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\U0001f3fb-\U0001f3ff\u2640\u2642]")
ZERO_WIDTH_RUN = re.compile(f"[{ZERO_WIDTH}]+")
BIDI_RUN = re.compile(f"[{BIDI}]+")
TAG_RUN = re.compile(f"[{TAGS}]+")
VS_RUN = re.compile(f"[{VARIATION_SUPPLEMENT}]{{2,}}")
BLACK_FLAG = "\U0001f3f4"
HAS_INVISIBLE = re.compile(f"[{ZERO_WIDTH}{BIDI}{TAGS}{VARIATION_SUPPLEMENT}]")

# --- exfiltration ---------------------------------------------------------------

DATA_WORD = words("conversation", "conversacion", "chat", "history", "historial", "question", "pregunta",
                  "prompt", "users?", "usuarios?", "messages?", "mensajes?", "data", "datos", "email", "correo",
                  "passwords?", "contrasenas?", "claves?", "secrets?", "secretos?", "summary", "resumen",
                  "context", "contexto", "cliente", "customer", "name", "nombre", "credentials?", "credenciales",
                  "api.?keys?", "tokens?")
MD_LINK = re.compile(r"(!?)\[([^\]\n]{0,200})\]\(\s*(https?://[^)\n]{1,600})\)")
PLACEHOLDER = re.compile(r"\{[^}]{1,80}\}|\[[^\]]{1,80}\]|<[^>]{1,80}>|\$\{?\w+|%7b|\b[a-z]+(?:_[a-z]+){2,}\b")
# Patterns that can start inside a long run of word characters begin with a
# look-behind, so each run is tried once, not once per character.
URL_OR_ADDRESS = r"(?:https?://\S+|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+)"
SEND = re.compile(
    r"\b(?:send|forward|post|email|e-mail|upload|transmit|submit|leak|exfiltrate|envia|reenvia|remiti|remite|"
    r"reenvie|envie|manda|sube|publica|comparte)\b[^.\n]{0,150}?\b(?:conversation|chat|history|historial|"
    r"conversacion|(?:previous|earlier) messages|message history|mensajes anteriores|the user'?s?|users'|"
    r"del usuario|de los usuarios|del cliente|api keys?|passwords?|credentials|secrets?|tokens?|contrasenas|"
    r"claves|credenciales|secretos|customer (?:list|emails|data|records|database)|lista de clientes|"
    r"datos de (?:los )?clientes)\b[^.\n]{0,150}?" + URL_OR_ADDRESS)
DATA_THEN_SEND = re.compile(
    r"\b(?:conversation|chat history|customer (?:list|emails|data|records|database)|api keys?|passwords?|"
    r"credentials|secrets|lista de clientes|datos de (?:los )?clientes|contrasenas|credenciales|claves)\b"
    r"[^.\n]{0,80}?\b(?:send|forward|post|email|upload|envia|reenvia|manda|remiti)\s+(?:them|it|todo|los|las)\b"
    r"[^.\n]{0,40}?" + URL_OR_ADDRESS)
APPEND_TO_URL = re.compile(
    r"\b(?:append|add|attach|include|put|insert|concatenate|agrega|anade|adjunta|concatena|pon|pone|incluye|"
    r"inclui)\b[^.\n]{0,120}?\b" + DATA_WORD + r"\b[^\n]{0,120}?https?://")
DATA_IN_PLACEHOLDER = re.compile(r"(?<![a-z])" + DATA_WORD + r"(?![a-z])")
NEGATED = re.compile(r"(?:never|not|don't|no|nunca|jamas)\s+(?:\w+\s+)?$")


LEET = str.maketrans("013457@$", "oieastas")
LEET_WORD = re.compile(r"\b(?=[a-z0-9@$]*[a-z])(?=[a-z0-9@$]*[0-9@$])[a-z0-9@$]{3,}\b")
SPACED = re.compile(r"\b(?:[a-z] ){3,}[a-z]\b")
ENCODED = [
    ("base64", re.compile(r"(?<![\w+/=])[A-Za-z0-9+/]{16,}={0,2}(?![\w+/=])")),
    ("base32", re.compile(r"(?<![\w=])[A-Z2-7]{16,}={0,6}(?![\w=])")),
    ("hex", re.compile(r"(?<![\w])(?:[0-9a-fA-F]{2}){8,}(?![\w])")),
    ("binary", re.compile(r"(?<![\w])[01]{8}(?: [01]{8}){3,}(?![\w])")),
    ("percent-encoding", re.compile(r"(?<!\S)[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*){3,}")),
]


MAY_BE_ENCODED = re.compile(r"[A-Za-z0-9+/]{16}|%[0-9A-Fa-f]{2}|[01]{8} [01]{8}")


# Respelt only into words of attacks, so "mp3", "covid19" and "U S A" stay as they are.
ATTACK_WORDS = frozenset("""ignore ignora ignorar disregard forget olvida olvidar previous prior above earlier all
any todas todo instructions instruction instrucciones anteriores previas rules reglas system sistema prompt reveal
revela show muestra print password passwords contrasena admin secret secrets secretos jailbreak pretend bypass
override restrictions restricciones""".split())


MAY_BE_RESPELT = re.compile(r"[a-z][0-9@$]|[0-9@$][a-z]|\b[a-z] [a-z] [a-z] ")
# A question that quotes an attack to ask about it ("how do we protect our
# bot against 'ignore previous instructions'?") is not an attempt.
QUOTED = re.compile(r"\"[^\"\n]{3,200}\"|(?<![a-z])'[^'\n]{3,200}'(?![a-z])")
ASKS_ABOUT = re.compile(
    r"\b(?:what is|what's|what does|what do|what are|means?|meaning|like|such as|example|called|protect|prevent|"
    r"stop|detect|block|defend|handle|avoid|filter|recogni[sz]e|obeying|que es|que significa|que quiere decir|"
    r"como|proteg\w*|preven\w*|evit\w*|detect\w*|bloque\w*|decia|dice|dijo|phishing|ataque|attack|es seguro|"
    r"is it safe)\b")


STRIP_ALWAYS = re.compile(f"[{BIDI}{VARIATION_SUPPLEMENT}\u2060-\u2064\u180e]")
TEMPLATE_DEFUSE = [
    (re.compile(r"<\|([A-Za-z_]{2,24})\|>"), "\u2039\\1\u203a"),
    (re.compile(r"\[(system|assistant|user)\]\(#", re.I), "\u2039\\1\u203a(#"),
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
FENCE_COLLISION = re.compile(r"<(/?)(source)", re.I)
ROLE_LABEL_ORIGINAL = re.compile(r"^([ \t>*_-]*)(system|user|human|assistant|ai|bot)([ \t*_]*:)", re.I | re.M)


NONCE = re.compile(r"[0-9A-Za-z]{8,64}")
PAYLOAD_QUOTED = re.compile(r"\"([^\"\n]{2,80})\"|“([^”\n]{2,80})”|«([^»\n]{2,80})»|‘([^’\n]{2,80})’"
                            r"|(?:(?<=[\s:(¡¿])|^)'([^'\n]{2,80})'(?![A-Za-z])")
PAYLOAD_WORD = re.compile(r"\b(?:word|phrase|palabra|frase)\s+([^\s.,;:!?]+(?:\s+[A-ZÁÉÍÓÚÑ]{2,})*)", re.I)
PAYLOAD_CAPS = re.compile(r"\b[A-ZÁÉÍÓÚÑ]{4,}(?:\s+[A-ZÁÉÍÓÚÑ]{2,})*\b")
PAYLOAD_NAME = re.compile(r"\b\w+(?:Bot|GPT|bot|gpt)\b"
                          r"|\b[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+(?:[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+)+\b")  # brand names: LeoMás
PAYLOAD_LINK = re.compile(r"https?://([^\s/)\]>\"']+)|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]*\w")
PAYLOAD_NUMBER = re.compile(r"(?<![\w.,])\d[\d.,:/-]*\d(?![\w])|(?<![\w.,])\d{2,}(?![\w])")
NOT_PAYLOAD = {"IMPORTANT", "IMPORTANTE", "NOTE", "NOTA", "SYSTEM", "USER", "ASSISTANT", "HUMAN", "INST", "SYS",
                "ATTENTION", "ATENCIÓN", "ATENCION", "WARNING", "AVISO", "CHATBOT", "ROBOT"}
