"""The answer-support decision (py_udfs/support.py) on scored sentences as
extractive.score_sentences returns them: (score, cosine, overlap, n, sentence),
best first. The rows are real ones from the near-topic refusal set (XQuAD,
ragsql/eval_refusal.py), cut to their best sentences; no database."""
from py_udfs import support

BRONCOS = [
    (1.009, 0.897, 0.75, 1, "The Broncos defeated the Pittsburgh Steelers in the divisional round, 23–16, by scoring 11 "
                            "points in the final three minutes of the game."),
    (0.862, 0.824, 0.25, 2, "Meanwhile, Denver's offense was kept out of the end zone for three plays, but a holding "
                            "penalty on cornerback Josh Norman gave the Broncos a new set of downs."),
    (0.861, 0.824, 0.25, 3, "The past record was held by John Elway, who led the Broncos to victory in Super Bowl "
                            "XXXIII at age 38 and is currently Denver's Executive Vice President of Football "
                            "Operations and General Manager."),
    (0.803, 0.803, 0.0, 1, "They then beat the defending Super Bowl XLIX champion New England Patriots in the AFC "
                           "Championship Game, 20–18, by intercepting a pass on New England's 2-point conversion."),
]

BRONCOS_ES = [
    (0.997, 0.884, 0.75, 1, "Los Broncos vencieron a los Pittsburgh Steelers en la ronda divisional por 23 a 16 al "
                            "conseguir anotar 11 puntos en los últimos tres minutos del partido."),
    (0.884, 0.846, 0.25, 3, "Mientras tanto, la ofensiva de Denver se mantuvo fuera de la zona de anotación durante "
                            "tres jugadas, hasta que un penalti por agarrón al esquinero Josh Norman le dio a los "
                            "Broncos una nueva serie de downs."),
    (0.873, 0.836, 0.25, 2, "El récord anterior estaba en manos de John Elway que condujo a los Broncos a la victoria "
                            "en la Super Bowl XXXIII a los 38 años de edad."),
    (0.826, 0.826, 0.0, 1, "Posteriormente, en el Campeonato de la AFC, batieron al defensor del título de la Super "
                           "Bowl XLIX, los New England Patriots por 20 a 18."),
]

# Andy Taylor's paragraph was withheld: the Newcastle article's other
# paragraphs answer nothing about him, though they share the city's name.
NEWCASTLE_ES = [
    (0.856, 0.813, 0.286, 1, "La Universidad de Newcastle ahora es una de las principales universidades "
                             "internacionales del Reino Unido."),
    (0.816, 0.794, 0.143, 1, "La Universidad de Northumbria tiene sus orígenes en el Politécnico de Newcastle, se "
                             "estableció en 1969 y se convirtió en la Universidad de Northumbria en Newcastle en "
                             "1992."),
    (0.814, 0.793, 0.143, 4, "La red está operada por DB Regio en nombre de Nexus y transporta más de 37 millones de "
                             "pasajeros al año, extendiéndose hasta el Aeropuerto de Newcastle."),
    (0.811, 0.79, 0.143, 1, "La ciudad tiene dos universidades, la Universidad de Newcastle y la Universidad de "
                            "Northumbria."),
]

FUMBLES = [
    (0.802, 0.772, 0.2, 1, "They killed many of the Canadians, including their commanding officer, Joseph Coulon de "
                           "Jumonville, whose head was reportedly split open by Tanaghrisson with a tomahawk."),
    (0.78, 0.75, 0.2, 3, "American economist, social theorist, political philosopher, and author Thomas Sowell is "
                         "also an alumnus."),
    (0.775, 0.775, 0.0, 2, "Some forms of civil disobedience, such as illegal boycotts and sit-ins, make it more "
                           "difficult for a system to function."),
    (0.774, 0.774, 0.0, 1, "After Washington had returned to Williamsburg, Dinwiddie ordered him to lead a larger "
                           "force to assist Trent in his work."),
]


def test_a_sentence_that_answers_the_question_supports_it():
    assert support.supported("Who lost to the Broncos in the divisional round?", BRONCOS)
    assert support.supported("¿Quién perdió contra los Broncos en la ronda divisional?", BRONCOS_ES)


def test_same_topic_without_the_asked_name_is_refused():
    question = "¿De qué grupo es exguitarrista principal el oriundo de Newcastle Andy Taylor?"
    assert not support.supported(question, NEWCASTLE_ES)
    f = dict(zip(support.FEATURES, support.features(question, NEWCASTLE_ES)))
    assert f["names_anywhere"] < 0.5  # Newcastle is there, Andy Taylor is not


def test_a_number_question_over_sentences_about_other_things_is_refused():
    assert not support.supported("How many forced fumbles did Thomas Davis have?", FUMBLES)


def test_no_sentences_no_support():
    assert not support.supported("Who won Super Bowl 50?", [])
    assert support.features("Who won Super Bowl 50?", []) == [0.0] * len(support.FEATURES)


def test_expected_answer_types():
    assert support.answer_type("How many forced fumbles did Thomas Davis have?") == "number"
    assert support.answer_type("¿Cuántos hugonotes huyeron de Francia?") == "number"
    assert support.answer_type("¿En qué año fue lanzada la canción?") == "date"
    assert support.answer_type("When did France rebuild its empire?") == "date"
    assert support.answer_type("¿Quién ejecutó el himno nacional?") == "person"
    assert support.answer_type("What do some people protest against?") is None


def test_a_type_the_question_already_gives_is_not_an_answer():
    q = "What happened to the Broncos in 2015?"
    assert not support.has_type("date", "The Broncos played in 2015.", q)
    assert support.has_type("date", "The Broncos won in 2016.", q)
    assert support.has_type("number", "The Broncos scored 11 points.", "How many points did Denver score?")
    assert support.has_type("person", "Lady Gaga sang the anthem.", "Who sang the anthem?")


def test_names_are_the_capitalised_words_after_the_first():
    assert support.names("Who did Andy Taylor play for?") == {"andy", "taylor"}
    assert support.names("¿Qué canal lanzó ABC en 1981?") == {"abc"}
