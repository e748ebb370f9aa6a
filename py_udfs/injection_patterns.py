"""The patterns of the prompt-injection guardrails (py_udfs/guardrails.py)
other than the override rules (injection_rules.py): role markers, hidden
text, exfiltration, obfuscation, and the tables that neutralize and payload
extraction use. Regular expressions over the guardrails' view of a text
(lower-case, accents folded, quotes made ASCII, invisible characters
removed). Pure data; the label rules they implement are in
data/guardrails/README.md."""
import re

from .injection_words import (
    AI_NOUN, BIDI, IMPERATIVE, SECOND_PERSON, TAGS, TIME_FROM_NOW_EN, TIME_FROM_NOW_ES, VARIATION_SUPPLEMENT,
    ZERO_WIDTH, words)

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
