"""The override rules of the prompt-injection guardrails (py_udfs/
guardrails.py): phrases that cancel the model's instructions, give it a new
persona, demand a fixed reply or address it, in documents and (QUESTION_RULES)
in questions; each is run only when one of its key words is in the text."""
import re

from .injection_words import (
    ABOUT_A_SUBJECT, AI_KEYS, AI_NOUN, CANCEL, CANCEL_OBJECT, EVERY_QUESTION, GAP, IMPERATIVE, ONLY,
    ONLY_KEYS, PERSONA, PRE, QUESTION_KEYS, QUOTE, REPLY, RULES, TIME_FROM_NOW_EN, TIME_FROM_NOW_ES,
    WORD_NOUN, words)

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
