"""py_udfs.pii: check digits, detection of each type, masking, limits.
No database: these run on the module alone."""
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from py_udfs import pii

ROOT = Path(__file__).resolve().parent.parent
STRUCTURED = [t for t in pii.TYPES if t != "PERSON"]


def found(text, entities=None, language=None):
    return [(s["type"], text[s["start"]:s["end"]]) for s in pii.find_pii(text, language, entities or STRUCTURED)]


# --- check digits

@pytest.mark.parametrize("value", ["20-05536168-2", "20267565393", "33-69345023-9", "27 39985110 1"])
def test_valid_cuit_cuil(value):
    assert pii.cuit_is_valid(value)


@pytest.mark.parametrize("value", [
    "20-05536168-3",   # wrong check digit
    "21-05536168-2",   # no such prefix
    "20300000029",     # the formula gives 10: never issued (python-stdnum accepts it)
    "2005536168",      # ten digits
    "20-0553616a-2",
])
def test_invalid_cuit_cuil(value):
    assert not pii.cuit_is_valid(value)


def test_luhn():
    assert pii.luhn_is_valid("4111 1111 1111 1111")
    assert pii.luhn_is_valid("3782-822463-10005")
    assert not pii.luhn_is_valid("4111 1111 1111 1112")
    assert not pii.luhn_is_valid("")


def test_iban():
    assert pii.iban_is_valid("GB82 WEST 1234 5698 7654 32")
    assert pii.iban_is_valid("DE89370400440532013000")
    assert not pii.iban_is_valid("GB82 WEST 1234 5698 7654 33")
    assert not pii.iban_is_valid("DE89 3704 0044 0532 0130 0")


# --- each type in context

@pytest.mark.parametrize("text, value", [
    ("DNI 12.345.678, nacido en Salta", "12.345.678"),
    ("D.N.I. N° 7.654.321", "7.654.321"),
    ("documento: 12345678", "12345678"),
    ("Their national ID (DNI) is 30123456.", "30123456"),
    ("firmó 12.345.678 en la planilla", "12.345.678"),  # the dotted form is a DNI unless it reads as money
])
def test_dni_formats(text, value):
    assert found(text) == [("DNI", value)]


@pytest.mark.parametrize("text", [
    "Pedido 12345678 despachado",      # bare digits without a DNI word
    "Total: $ 12.345.678",              # money
    "Saldo 12.345.678,50",
    "Se vendieron 12.345.678 pesos",
    "IP 10.123.456.7",
])
def test_numbers_that_are_not_dnis(text):
    assert found(text, ["DNI"]) == []


def test_cuit_wins_over_the_dni_inside_it():
    assert found("CUIL 20-05536168-2") == [("CUIT", "20-05536168-2")]


def test_invalid_cuit_is_not_reported():
    assert found("CUIT 20-05536168-3") == []


@pytest.mark.parametrize("value", [
    "+54 9 11 4321-5678", "011 4321-5678", "(0351) 423-4567", "+5491143215678", "0351 15-423-4567",
    "+1 (415) 555-0132", "+44 20 7946 0958",
])
def test_phone_formats_without_a_phone_word(value):
    assert found(f"Datos: {value}. Gracias") == [("PHONE", value)]


@pytest.mark.parametrize("text, value", [
    ("Cel. 15-4321-5678", "15-4321-5678"),
    ("tel 4321-5678", "4321-5678"),
    ("mi whatsapp 1143215678", "1143215678"),
])
def test_local_phones_need_a_phone_word(text, value):
    assert found(text) == [("PHONE", value)]
    assert found(text.split()[-1]) == []


@pytest.mark.parametrize("text", ["Pedido 1143215678", "Call notes 2019-05-03", "versión 4.3.21"])
def test_numbers_that_are_not_phones(text):
    assert found(text, ["PHONE"]) == []


def test_cards_pass_luhn_and_a_network_prefix():
    text = "Visa 4111 1111 1111 1111, Amex 3782 822463 10005, mala 4111 1111 1111 1112, pedido 1234567890123456"
    assert found(text) == [("CREDIT_CARD", "4111 1111 1111 1111"), ("CREDIT_CARD", "3782 822463 10005")]


def test_iban_stops_where_the_checksum_does():
    assert found("IBAN GB82 WEST 1234 5698 7654 32 PARA el pago") == [("IBAN", "GB82 WEST 1234 5698 7654 32")]
    assert found("IBAN GB82 WEST 1234 5698 7654 33") == []


def test_email():
    assert found("escribime a Juan.Perez+fact@estudio-contable.com.ar.") == [
        ("EMAIL", "Juan.Perez+fact@estudio-contable.com.ar")]


# --- masking and the shape of the answer

SAMPLE = ("Hola, soy Carolina Álvarez (DNI 30.123.456, CUIT 20-05536168-2). Llamame al +54 9 11 4321-5678 "
          "o escribime a carolina@empresa.com.ar. Tarjeta 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32. "
          "Factura A-0003-00012345 por $ 45.320,50 del 02/09/2025; versión 2.13.0; ISBN 978-950-07-3456-1.")


def test_mask_keeps_everything_else_byte_identical():
    spans = pii.find_pii(SAMPLE, entities=STRUCTURED)
    masked = pii.mask_pii(SAMPLE, entities=STRUCTURED)
    expected, pos = "", 0
    for s in spans:
        expected += SAMPLE[pos:s["start"]] + f"<{s['type']}>"
        pos = s["end"]
    assert masked == expected + SAMPLE[pos:]
    assert "<EMAIL>" in masked and "<CREDIT_CARD>" in masked and "<IBAN>" in masked
    assert "A-0003-00012345 por $ 45.320,50 del 02/09/2025; versión 2.13.0; ISBN 978-950-07-3456-1." in masked


def test_text_without_pii_is_unchanged():
    text = ("Resumen 2024: 1845 tickets, $ 1.250.000,00 facturados (A-0003-00012345), servidor 192.168.0.12 "
            "en la versión 3.11.2, CP C1425BQD, ISBN 9789500734561, tarjeta 4111 1111 1111 1112, "
            "CUIT 20-05536168-3, cuenta GB82 WEST 1234 5698 7654 33, **** **** **** 4821.")
    assert pii.mask_pii(text, entities=STRUCTURED) == text


def test_spans_are_sorted_and_never_overlap():
    items = [json.loads(line) for line in (ROOT / "data" / "pii" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    for item in items:
        spans = pii.find_pii(item["text"], item["language"], STRUCTURED)
        assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:])), item["id"]
        assert all(set(s) == {"type", "start", "end", "score"} and s["type"] in pii.TYPES for s in spans)


def test_empty_and_none():
    assert pii.find_pii(None) == [] and pii.find_pii("") == []
    assert pii.mask_pii(None) is None and pii.mask_pii("") == ""


def test_input_limits():
    with pytest.raises(pii.PiiInputError):
        pii.find_pii("x" * (pii.MAX_CHARS + 1), entities=["EMAIL"])
    with pytest.raises(pii.PiiInputError):
        pii.find_pii(12345678, entities=["DNI"])
    with pytest.raises(pii.PiiInputError):
        pii.find_pii("a", entities=["PASSPORT"])


def test_entities_restrict_and_accept_cuil():
    assert found(SAMPLE, ["CUIL"]) == [("CUIT", "20-05536168-2")]
    assert {t for t, _ in found(SAMPLE, ["EMAIL", "IBAN"])} == {"EMAIL", "IBAN"}


def test_concurrent_calls_agree():
    expected = pii.find_pii(SAMPLE, entities=STRUCTURED)
    results = []
    threads = [threading.Thread(target=lambda: results.append(pii.find_pii(SAMPLE, entities=STRUCTURED)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 8


def test_structured_types_do_not_load_spacy():
    code = ("import sys; from py_udfs import pii; "
            "assert pii.find_pii('CUIT 20-05536168-2', entities=['CUIT', 'EMAIL', 'PHONE']); "
            "print(sorted(m for m in ('spacy', 'thinc', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- names

needs_ner = pytest.mark.skipif(pii.ner_model_name("en") is None,
                               reason="no spaCy NER pipeline installed (requirements.txt pins one)")


@needs_ner
def test_names_in_english():
    text = "Call notes: spoke with Jennifer Walsh about the renewal; her assistant Robert Chen will email the PO."
    names = [v for t, v in found(text, ["PERSON"], "en")]
    assert names == ["Jennifer Walsh", "Robert Chen"]


@needs_ner
def test_names_in_spanish_and_surname_first_forms():
    text = "Apellido y nombre: GÓMEZ, María Laura\nHablé con Juan Pérez por el reclamo."
    names = [v for t, v in found(text, ["PERSON"], "es")]
    assert "GÓMEZ, María Laura" in names and "Juan Pérez" in names


@needs_ner
def test_mask_with_names_and_everything_else():
    masked = pii.mask_pii(SAMPLE, language="es")
    assert masked.startswith("Hola, soy <PERSON> (DNI <DNI>, CUIT <CUIT>). Llamame al <PHONE>")
