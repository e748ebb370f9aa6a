"""Writes dev.jsonl and test.jsonl: hand-written contexts (templates below)
filled with generated values, so that every check digit is right (or, for the
hard negatives, deliberately wrong) and every span offset is exact.

    python data/pii/make_sets.py

The seed is fixed: running it again rewrites the same files. Dev and test use
different templates and disjoint halves of the name pools, so nothing tuned on
dev's wording or names carries over to test for free.

Placeholders: {EMAIL} {PHONE_AR} {PHONE_EN} {DNI} {CUIT} {CUIT_CO} {CARD}
{IBAN} {PERSON_ES} {PERSON_EN} {PERSON_ES_FORM} are labelled; {BAD_CUIT}
{BAD_CARD} {BAD_IBAN} {INVOICE} {ORDER} {AMOUNT_ES} {AMOUNT_EN} {DATE_ES}
{DATE_EN} {IP} {VERSION} {ISBN} {CP} {MASKED_CARD} are hard negatives and are
not labelled.
"""
import json
import random
import re
import sys
from pathlib import Path

from stdnum import iban as std_iban

HERE = Path(__file__).resolve().parent
SEED = 20241122
COPIES = 3  # instances of each template, each with fresh values

# --- names: each pool is split in halves, dev takes the even ones, test the odd

FIRST_ES = ["María", "Juan", "Lucía", "Martín", "Sofía", "Santiago", "Valentina", "Mateo",
            "Camila", "Nicolás", "Florencia", "Facundo", "Agustina", "Gonzalo", "Micaela",
            "Federico", "Julieta", "Matías", "Rocío", "Ignacio", "Carolina", "Tomás", "Romina",
            "Ezequiel", "Belén", "Hernán", "Milagros", "Leandro", "Ana Laura", "Juan Pablo",
            "María José", "Pablo", "Graciela", "Sergio", "Silvina", "Diego", "Marcela", "Lautaro",
            "Noelia", "Ramiro"]
LAST_ES = ["González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez",
           "García", "Sánchez", "Romero", "Sosa", "Álvarez", "Torres", "Ruiz", "Ramírez",
           "Flores", "Acosta", "Benítez", "Medina", "Herrera", "Suárez", "Aguirre", "Giménez",
           "Gutiérrez", "Pereyra", "Rojas", "Molina", "Castro", "Ortiz", "Núñez", "Luna",
           "Ferreyra", "Godoy", "Rossi", "Bianchi", "Lombardi", "Cabrera", "Iglesias", "Quiroga"]
FIRST_EN = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
            "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
            "Thomas", "Sarah", "Daniel", "Emily", "Andrew", "Olivia", "Kevin", "Rachel",
            "Brian", "Megan", "George", "Hannah", "Steven", "Laura", "Edward", "Chloe"]
LAST_EN = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
           "Anderson", "Taylor", "Thompson", "Moore", "Jackson", "Harris", "Clark", "Lewis",
           "Walker", "Hall", "Young", "King", "Wright", "O'Brien", "Murphy", "Kelly",
           "Nguyen", "Patel", "Chen", "Fischer", "Sullivan", "Bennett", "Hughes", "Foster"]

DOMAINS = ["gmail.com", "hotmail.com", "yahoo.com.ar", "outlook.com", "fibertel.com.ar",
           "empresa.com.ar", "estudio-contable.com.ar", "acme.io", "mail.example.org",
           "uba.ar", "live.com.ar", "northwind.co.uk", "contoso.com", "globant.com"]
AR_AREAS = ["11", "351", "341", "261", "221", "223", "381", "299", "2944", "3541", "342", "387"]
US_AREAS = ["212", "415", "312", "617", "646", "305", "206", "512", "718", "303"]


def half(pool, split):
    return pool[0::2] if split == "dev" else pool[1::2]


def strip_accents(s):
    table = str.maketrans("áéíóúÁÉÍÓÚñÑü", "aeiouAEIOUnNu")
    return s.translate(table)


class Values:
    """Generators of the values a template asks for, for one split."""

    def __init__(self, rnd, split):
        self.r = rnd
        self.split = split

    def digits(self, n, first_nonzero=True):
        d = "".join(self.r.choice("0123456789") for _ in range(n))
        return (self.r.choice("123456789") + d[1:]) if first_nonzero else d

    # -- people
    def person_es(self):
        first = self.r.choice(half(FIRST_ES, self.split))
        lasts = half(LAST_ES, self.split)
        last = self.r.choice(lasts)
        if self.r.random() < 0.3:
            last += " " + self.r.choice(lasts)
        return f"{first} {last}"

    def person_en(self):
        first = self.r.choice(half(FIRST_EN, self.split))
        last = self.r.choice(half(LAST_EN, self.split))
        if self.r.random() < 0.15:
            return f"{first} {self.r.choice('ABCDEFGHJKLMPRSTW')}. {last}"
        return f"{first} {last}"

    def person_es_form(self):
        first = self.r.choice(half(FIRST_ES, self.split))
        last = self.r.choice(half(LAST_ES, self.split))
        return f"{last.upper()}, {first}"

    def email(self):
        pool_f = half(FIRST_ES + FIRST_EN, self.split)
        pool_l = half(LAST_ES + LAST_EN, self.split)
        f = strip_accents(self.r.choice(pool_f).split()[0]).lower()
        l = strip_accents(self.r.choice(pool_l)).lower().replace("'", "")
        local = self.r.choice([f"{f}.{l}", f"{f[0]}{l}", f"{l}.{f}{self.r.randint(70, 99)}",
                               f"{f}_{l}", f"{f}.{l}+facturas", f"{l}{self.r.randint(1, 9)}",
                               "ventas", "rrhh", "soporte", "info"])
        mail = f"{local}@{self.r.choice(DOMAINS)}"
        return mail.upper() if self.r.random() < 0.05 else mail

    # -- phones
    def phone_ar(self):
        area = self.r.choice(AR_AREAS)
        sub_len = 10 - len(area)
        sub = self.r.choice("2345") + self.digits(sub_len - 1, False)
        mob = self.r.choice("3456") + self.digits(sub_len - 1, False)

        def fmt(s):
            if len(s) == 8:
                return self.r.choice([f"{s[:4]}-{s[4:]}", f"{s[:4]} {s[4:]}"])
            if len(s) == 7:
                return self.r.choice([f"{s[:3]}-{s[3:]}", f"{s[:3]} {s[3:]}", s])
            return f"{s[:2]}-{s[2:]}"
        forms = [f"+54 9 {area} {fmt(mob)}", f"+54 {area} {fmt(sub)}", f"0{area} {fmt(sub)}",
                 f"(0{area}) {fmt(sub)}", f"0{area} 15-{fmt(mob)}", f"{area} {fmt(mob)}",
                 f"+549{area}{mob}", f"0{area}-{sub}", f"+54 ({area}) {fmt(sub)}"]
        if area == "11":
            forms += [f"15-{fmt(mob)}", f"15 {mob[:4]} {mob[4:]}", f"11-{mob[:4]}-{mob[4:]}"]
        return self.r.choice(forms)

    def phone_en(self):
        a = self.r.choice(US_AREAS)
        ex = str(self.r.randint(201, 989))
        ln = self.digits(4, False)
        return self.r.choice([f"({a}) {ex}-{ln}", f"{a}-{ex}-{ln}", f"{a}.{ex}.{ln}",
                              f"+1 {a} {ex} {ln}", f"+1-{a}-{ex}-{ln}", f"+1 ({a}) {ex}-{ln}",
                              f"+44 20 7{self.digits(3, False)} {self.digits(4, False)}",
                              f"+44 7911 {self.digits(6, False)}",
                              f"+34 6{self.digits(2, False)} {self.digits(3, False)} {self.digits(3, False)}"])

    # -- identity and tax numbers
    def dni_number(self):
        return str(self.r.randint(5_000_000, 47_999_999))

    def dni(self):
        n = self.dni_number()
        return self.r.choice([dotted(n), dotted(n), n])

    def cuit(self, company=False):
        while True:
            prefix = self.r.choice(["30", "33", "34"] if company else ["20", "27", "20", "27", "23", "24"])
            body = self.digits(8) if company else self.dni_number().zfill(8)
            check = cuit_check_digit(prefix + body)
            if check is not None:
                return format_cuit(prefix + body + str(check), self.r)

    def bad_cuit(self):
        good = re.sub(r"\D", "", self.cuit(company=self.r.random() < 0.3))
        wrong = (int(good[-1]) + self.r.randint(1, 9)) % 10
        return format_cuit(good[:-1] + str(wrong), self.r)

    # -- cards
    def card_number(self):
        brand = self.r.choice(["visa", "visa", "mc", "mc2", "amex", "discover"])
        prefix, length = {"visa": ("4", 16), "mc": (str(self.r.randint(51, 55)), 16),
                          "mc2": (str(self.r.randint(2221, 2720)), 16),
                          "amex": (self.r.choice(["34", "37"]), 15),
                          "discover": ("6011", 16)}[brand]
        body = prefix + self.digits(length - len(prefix) - 1, False)
        return body + str(luhn_check_digit(body))

    def card(self):
        return format_card(self.card_number(), self.r)

    def bad_card(self):
        n = self.card_number()
        if len(n) == 15:
            n = "4" + n  # a 16-digit Visa-looking number ...
        while luhn_ok(n):  # ... that fails Luhn
            n = n[:-1] + str((int(n[-1]) + 1) % 10)
        return format_card(n, self.r)

    def masked_card(self):
        return self.r.choice(["**** **** **** ", "XXXX-XXXX-XXXX-", "•••• "]) + self.digits(4, False)

    # -- IBAN
    def iban_compact(self):
        while True:
            country = self.r.choice(["ES", "DE", "GB", "FR", "IT", "NL", "PT", "ES", "DE"])
            bban = {
                "ES": lambda: self.digits(20, False),
                "DE": lambda: self.digits(18, False),
                "GB": lambda: self.r.choice(["NWBK", "BARC", "LOYD", "HBUK", "MIDL"]) + self.digits(14, False),
                "FR": lambda: self.digits(10, False) + self.digits(11, False) + self.digits(2, False),
                "IT": lambda: self.r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + self.digits(10, False) + self.digits(12, False),
                "NL": lambda: self.r.choice(["ABNA", "RABO", "INGB", "TRIO"]) + self.digits(10, False),
                "PT": lambda: self.digits(21, False),
            }[country]()
            candidate = country + iban_check_digits(country, bban) + bban
            if std_iban.is_valid(candidate):  # some countries add national checks
                return candidate

    def iban(self):
        return format_iban(self.iban_compact(), self.r)

    def bad_iban(self):
        good = self.iban_compact()
        i = self.r.randint(4, len(good) - 1)
        while True:
            c = self.r.choice("0123456789") if good[i].isdigit() else self.r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            bad = good[:i] + c + good[i + 1:]
            if not std_iban.is_valid(bad):
                return format_iban(bad, self.r)

    # -- non-PII look-alikes
    def invoice(self):
        return self.r.choice([f"0003-{self.digits(8, False)}", f"A-{self.digits(4, False)}-{self.digits(8, False)}",
                              f"FC B 0{self.digits(3, False)}-{self.digits(8, False)}",
                              f"INV-{self.r.randint(2019, 2025)}-{self.digits(5, False)}"])

    def order(self):
        return self.r.choice([f"#{self.digits(6)}", f"{self.digits(10)}", f"PED-{self.digits(7)}",
                              f"{self.digits(3)}-{self.digits(7)}-{self.digits(7)}", f"N° {self.digits(8)}"])

    def amount_es(self):
        n = self.r.randint(1_000, 48_000_000)
        s = f"{n:,}".replace(",", ".")
        return self.r.choice([f"$ {s},{self.digits(2, False)}", f"${s}", f"ARS {s}", f"{s} pesos", f"$ {s}"])

    def amount_en(self):
        n = self.r.randint(100, 9_999_999)
        return self.r.choice([f"${n:,}.{self.digits(2, False)}", f"USD {n:,}", f"£{n:,}", f"€{n:,}.00"])

    def date_es(self):
        d, m, y = self.r.randint(1, 28), self.r.randint(1, 12), self.r.randint(2019, 2025)
        return self.r.choice([f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y}", f"{d:02d}-{m:02d}-{y}", f"{y}-{m:02d}-{d:02d}"])

    def date_en(self):
        d, m, y = self.r.randint(1, 28), self.r.randint(1, 12), self.r.randint(2019, 2025)
        return self.r.choice([f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{m}/{d}/{str(y)[2:]}"])

    def ip(self):
        return self.r.choice([f"192.168.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}",
                              f"10.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}",
                              f"{self.r.randint(11, 223)}.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"])

    def version(self):
        return self.r.choice([f"{self.r.randint(1, 12)}.{self.r.randint(0, 30)}.{self.r.randint(0, 40)}",
                              f"v{self.r.randint(1, 5)}.{self.r.randint(0, 20)}",
                              f"{self.r.randint(2019, 2025)}.{self.r.randint(1, 12)}.{self.r.randint(1, 9)}"])

    def isbn(self):
        body = "978" + self.r.choice(["950", "987", "84", "0"])
        body += self.digits(12 - len(body), False)
        check = (10 - sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(body)) % 10) % 10
        n = body + str(check)
        return self.r.choice([n, f"{n[:3]}-{n[3:6]}-{n[6:8]}-{n[8:12]}-{n[12]}"])

    def cp(self):
        return self.r.choice([f"C{self.r.randint(1000, 1499)}{''.join(self.r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ') for _ in range(3))}",
                              f"{self.r.choice(['5000', '2000', '1900', '7600', '8400', '4000', '5500'])}",
                              f"B{self.r.randint(1600, 1900)}{''.join(self.r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ') for _ in range(3))}"])


def dotted(n):
    return f"{int(n):,}".replace(",", ".")


def cuit_check_digit(first10):
    """Mod-11 with weights 5,4,3,2,7,6,5,4,3,2; None when the result is 10
    (such a number is never issued: the prefix changes instead)."""
    total = sum(int(d) * w for d, w in zip(first10, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)))
    result = 11 - total % 11
    return {11: 0, 10: None}.get(result, result)


def format_cuit(n, r):
    return r.choice([f"{n[:2]}-{n[2:10]}-{n[10]}", f"{n[:2]}-{n[2:10]}-{n[10]}", n, f"{n[:2]} {n[2:10]} {n[10]}"])


def luhn_check_digit(body):
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return (10 - total % 10) % 10


def luhn_ok(n):
    return luhn_check_digit(n[:-1]) == int(n[-1])


def format_card(n, r):
    if len(n) == 15:
        return r.choice([f"{n[:4]} {n[4:10]} {n[10:]}", n, f"{n[:4]}-{n[4:10]}-{n[10:]}"])
    groups = [n[i:i + 4] for i in range(0, 16, 4)]
    return r.choice([" ".join(groups), "-".join(groups), n, " ".join(groups)])


def iban_check_digits(country, bban):
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def format_iban(n, r):
    if r.random() < 0.35:
        return n
    return " ".join(n[i:i + 4] for i in range(0, len(n), 4))


LABELLED = {"EMAIL": ("EMAIL", "email"), "PHONE_AR": ("PHONE", "phone_ar"), "PHONE_EN": ("PHONE", "phone_en"),
            "DNI": ("DNI", "dni"), "CUIT": ("CUIT", "cuit"), "CUIT_CO": ("CUIT", "cuit_company"),
            "CARD": ("CREDIT_CARD", "card"), "IBAN": ("IBAN", "iban"), "PERSON_ES": ("PERSON", "person_es"),
            "PERSON_EN": ("PERSON", "person_en"), "PERSON_ES_FORM": ("PERSON", "person_es_form")}
UNLABELLED = {"BAD_CUIT": "bad_cuit", "BAD_CARD": "bad_card", "BAD_IBAN": "bad_iban", "INVOICE": "invoice",
              "ORDER": "order", "AMOUNT_ES": "amount_es", "AMOUNT_EN": "amount_en", "DATE_ES": "date_es",
              "DATE_EN": "date_en", "IP": "ip", "VERSION": "version", "ISBN": "isbn", "CP": "cp",
              "MASKED_CARD": "masked_card"}
PLACEHOLDER = re.compile(r"\{([A-Z_]+)\}")


def fill(template, values):
    """The template with each placeholder replaced, and the labelled spans."""
    values.cuit_company = lambda: values.cuit(company=True)
    out, spans, pos = [], [], 0
    for m in PLACEHOLDER.finditer(template):
        out.append(template[pos:m.start()])
        name = m.group(1)
        start = sum(len(p) for p in out)
        if name in LABELLED:
            label, method = LABELLED[name]
            text = getattr(values, method)()
            spans.append({"type": label, "start": start, "end": start + len(text)})
        elif name in UNLABELLED:
            text = getattr(values, UNLABELLED[name])()
        else:
            raise ValueError(f"unknown placeholder {name!r} in {template[:40]!r}")
        out.append(text)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans


def build(split, templates, rnd):
    values = Values(rnd, split)
    items = []
    for lang, group in templates:
        for t_index, template in enumerate(group):
            for copy in range(COPIES):
                text, spans = fill(template.strip(), values)
                items.append({"id": f"{split}-{lang}-{t_index:02d}-{copy}", "language": lang,
                              "text": text, "spans": spans})
    return items


def main():
    sys.path.insert(0, str(HERE))
    from templates_dev import EN as DEV_EN, ES as DEV_ES
    from templates_test import EN as TEST_EN, ES as TEST_ES
    shared = set(DEV_EN + DEV_ES) & set(TEST_EN + TEST_ES)
    assert not shared, f"templates shared by dev and test: {shared}"
    rnd = random.Random(SEED)
    for split, templates in (("dev", [("es", DEV_ES), ("en", DEV_EN)]),
                             ("test", [("es", TEST_ES), ("en", TEST_EN)])):
        items = build(split, templates, rnd)
        with open(HERE / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(split, summary(items))


def summary(items):
    counts = {}
    for it in items:
        for s in it["spans"]:
            counts[s["type"]] = counts.get(s["type"], 0) + 1
    es = sum(1 for it in items if it["language"] == "es")
    return {"items": len(items), "spanish": es, "spans": dict(sorted(counts.items()))}


if __name__ == "__main__":
    main()
