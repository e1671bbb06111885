"""Survey pages as HTML: the right control per type, HTML5 rules from the model, the pages around the form."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest
import segno
from bs4 import BeautifulSoup, Tag

from sitegen import question_types
from sitegen.build import render_site
from sitegen.refusals import MESSAGES
from sitegen.render import environment as render_environment
from sitegen.render.surveys import SCRIPT_MESSAGES, form_action, open_period, qr_code_svg
from sitegen.site import load_site

SURVEY = """\
id: visit
title: {lv: Apmeklējums, en: Your visit}
audience: customer
opens: 2026-11-01
closes: 2026-12-15
hidden: {location: [riga-centre, jelgava]}
questions:
  - {id: recommend, type: nps, required: true, label: {lv: "Ieteiktu?", en: "Recommend?"}}
  - id: improve
    type: textarea
    required: true
    max_length: 500
    show_if: {question: recommend, lt: 9}
    label: {lv: "Kas jāuzlabo?", en: "What to improve?"}
  - {id: stars, type: rating, points: 4, label: Stars}
  - {id: faces, type: rating, style: faces, label: Faces}
  - {id: agree, type: likert, points: 7, label: "Agree?"}
  - {id: met, type: expectations, label: "Met?"}
  - {id: one, type: single, required: true, label: One, choices: [{id: a, label: A}, {id: b, label: B}]}
  - id: many
    type: multiple
    min_picks: 1
    max_picks: 2
    label: Many
    choices: [{id: a, label: A}, {id: b, label: B}, {id: c, label: C}]
  - {id: pick, type: dropdown, label: Pick, choices: [{id: a, label: A}, {id: b, label: B}]}
  - {id: ok, type: yes_no, label: "OK?"}
  - {id: name, type: text, max_length: 80, label: Name}
  - {id: years, type: number, min: 0, max: 50, label: Years}
  - {id: email, type: email, label: E-mail}
  - {id: day, type: date, label: Day}
  - {id: opened_at, type: datetime, label: Opened}
  - {id: grid, type: matrix, points: 5, label: Grid, items: [{id: coffee, label: Coffee}, {id: tea, label: Tea}]}
  - id: order
    type: ranking
    required: true
    label: Order
    choices: [{id: a, label: A}, {id: b, label: B}, {id: c, label: C}]
  - {id: agreed, type: consent, label: Agreed, text: {lv: /lv/terms/, en: /en/terms/}, version: "2026-11"}
"""


@pytest.fixture
def project(minimal_project: Path) -> Path:
    for old in (minimal_project / "surveys").glob("*.yaml"):
        old.unlink()
    (minimal_project / "content/scorecards").mkdir(exist_ok=True)
    for scorecard in (minimal_project / "content/scorecards").glob("*.yaml"):
        scorecard.unlink()
    for standard in (minimal_project / "content/standards").glob("*.yaml"):
        text = standard.read_text(encoding="utf-8")
        standard.write_text(re.sub(r"(?m)^measured_by:.*\n", "", text), encoding="utf-8")
    (minimal_project / "surveys/visit.yaml").write_text(SURVEY, encoding="utf-8")
    return minimal_project


A_DAY_WHEN_VISIT_IS_OPEN = dt.date(2026, 11, 20)


def built(project: Path, as_of: dt.date = A_DAY_WHEN_VISIT_IS_OPEN) -> dict[str, str]:
    return {path: content.decode() for path, content in render_site(load_site(project), as_of=as_of).items()}


@pytest.fixture
def files(project: Path) -> dict[str, str]:
    return built(project)


@pytest.fixture
def form(files: dict[str, str]) -> Tag:
    page = BeautifulSoup(files["public/en/surveys/visit/index.html"], "html.parser")
    found = page.find("form", class_="survey-form")
    assert isinstance(found, Tag)
    return found


def question(form: Tag, question_id: str) -> Tag:
    found = form.find("fieldset", id=f"q-{question_id}")
    assert isinstance(found, Tag), question_id
    return found


def controls(form: Tag, question_id: str) -> list[Tag]:
    return question(form, question_id).find_all(["input", "select", "textarea"])


def test_the_form_posts_to_the_collector_with_lang_rid_and_hidden_fields(form: Tag) -> None:
    assert form["method"] == "post" and form["action"] == "/s/visit"
    assert form.find("input", attrs={"name": "lang"})["value"] == "en"
    rid = form.find("input", attrs={"name": "rid"})
    assert rid["type"] == "hidden" and rid.has_attr("disabled")  # JavaScript fills and enables it
    location = form.find("input", attrs={"name": "location"})
    assert location.has_attr("disabled") and location["data-allowed"] == '["riga-centre", "jelgava"]'


def test_collector_url_from_sitegen_yaml_is_the_form_action(project: Path) -> None:
    config = project / "sitegen.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "collector_url: https://forms.example.com/\n", encoding="utf-8"
    )
    site = load_site(project)
    assert form_action(site.config.model, site.surveys[0].model) == "https://forms.example.com/s/visit"


def test_every_question_is_a_fieldset_with_a_legend(form: Tag) -> None:
    fieldsets = form.find_all("fieldset", class_="question")
    assert len(fieldsets) == 18
    for fieldset in fieldsets:
        assert fieldset.find("legend") is not None


def test_nps_is_an_eleven_point_scale_with_end_labels(form: Tag) -> None:
    radios = controls(form, "recommend")
    assert [radio["value"] for radio in radios] == [str(value) for value in range(11)]
    assert all(radio["type"] == "radio" and radio.has_attr("required") for radio in radios)
    text = question(form, "recommend").get_text(" ")
    assert "Not at all likely" in text and "Extremely likely" in text


def test_a_follow_up_is_never_required_in_the_html_and_says_it_is_optional(form: Tag) -> None:
    follow_up = question(form, "improve")
    area = controls(form, "improve")[0]
    assert area.name == "textarea" and not area.has_attr("required") and area["maxlength"] == "500"
    assert follow_up["data-required"] == "true"
    assert follow_up["data-show-if"] == '{"lt": 9.0, "question": "recommend"}'
    assert "Optional follow-up to question 1" in follow_up.get_text()


def test_rating_stars_and_faces_are_real_radio_buttons_with_names(form: Tag) -> None:
    assert [radio["value"] for radio in controls(form, "stars")] == ["1", "2", "3", "4"]
    assert "1 of 4" in question(form, "stars").get_text()
    faces = question(form, "faces")
    assert len(faces.find_all("svg", class_="face")) == 5
    assert "Very dissatisfied" in faces.get_text() and "Very satisfied" in faces.get_text()


def test_likert_and_expectations_and_yes_no_use_their_fixed_answers(form: Tag) -> None:
    assert [radio["value"] for radio in controls(form, "agree")] == [str(value) for value in range(1, 8)]
    assert "Somewhat agree" in question(form, "agree").get_text()
    assert [radio["value"] for radio in controls(form, "met")] == ["below", "met", "exceeded"]
    assert [radio["value"] for radio in controls(form, "ok")] == ["yes", "no"]


def test_choice_questions_use_choice_ids(form: Tag) -> None:
    single = controls(form, "one")
    assert [(c["type"], c["value"]) for c in single] == [("radio", "a"), ("radio", "b")]
    assert all(c.has_attr("required") for c in single)
    many = controls(form, "many")
    assert [(c["type"], c["name"]) for c in many] == [("checkbox", "many")] * 3
    picks = question(form, "many").find(class_="picks")
    assert (picks["data-min-picks"], picks["data-max-picks"]) == ("1", "2")
    select = controls(form, "pick")[0]
    assert select.name == "select" and [o["value"] for o in select.find_all("option")] == ["", "a", "b"]


def test_typed_inputs_carry_the_model_limits(form: Tag) -> None:
    name, years, email, day, opened = (controls(form, q)[0] for q in ("name", "years", "email", "day", "opened_at"))
    assert (name["type"], name["maxlength"]) == ("text", "80")
    assert (years["type"], years["min"], years["max"]) == ("number", "0", "50")
    assert email["type"] == "email" and day["type"] == "date" and opened["type"] == "datetime-local"


def test_matrix_items_post_as_question_dot_item(form: Tag) -> None:
    names = {radio["name"] for radio in controls(form, "grid")}
    assert names == {"grid.coffee", "grid.tea"}
    assert len(question(form, "grid").find_all("fieldset", class_="matrix-row")) == 2


def test_a_ranking_is_one_required_select_per_place_each_offering_every_choice(form: Tag) -> None:
    selects = controls(form, "order")
    assert [(select.name, select["name"]) for select in selects] == [("select", "order")] * 3
    assert all(select.has_attr("required") for select in selects)
    assert all([option["value"] for option in select.find_all("option")] == ["", "a", "b", "c"] for select in selects)
    assert [form.find(id=select["aria-labelledby"].split()[1]).get_text() for select in selects] == [
        "Place 1",
        "Place 2",
        "Place 3",
    ]


def test_a_consent_is_a_required_checkbox_posting_its_version_below_a_link_to_the_text(form: Tag) -> None:
    (box,) = controls(form, "agreed")
    assert (box["type"], box["value"], box.has_attr("required")) == ("checkbox", "2026-11", True)
    link = question(form, "agreed").find("a")
    # `/en/terms/` is a page of the survey's tree, linked from en/surveys/<id>/ like the theme's own links
    assert link["href"] == "../../terms/" and link.get_text() == "Read the text (version 2026-11)"
    assert link.find_parent(id=box["aria-describedby"].split()[0]) is not None


def test_bounds_and_fixed_choices_come_from_the_registry_not_the_templates(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(question_types, "NPS_SCALE", (0, 12))
    monkeypatch.setitem(
        question_types.TYPES,
        "yes_no",
        dataclasses.replace(question_types.TYPES["yes_no"], fixed_choices=(("si", "Yes"), ("no", "No"))),
    )
    monkeypatch.setattr(render_environment, "MAX_EMAIL_LENGTH", 99)
    page = BeautifulSoup(built(project)["public/en/surveys/visit/index.html"], "html.parser")
    rebuilt = page.find("form", class_="survey-form")
    assert isinstance(rebuilt, Tag)
    assert [radio["value"] for radio in controls(rebuilt, "recommend")] == [str(value) for value in range(13)]
    assert controls(rebuilt, "email")[0]["maxlength"] == "99"
    assert [radio["value"] for radio in controls(rebuilt, "ok")] == ["si", "no"]


def test_the_script_gets_the_collectors_messages_under_the_collectors_codes(form: Tag) -> None:
    messages = json.loads(str(form["data-messages"]))
    assert set(messages) == set(SCRIPT_MESSAGES) and set(SCRIPT_MESSAGES) <= set(MESSAGES)
    assert all(messages[code] == MESSAGES[code] for code in SCRIPT_MESSAGES)


def test_every_control_is_labelled_and_tied_to_its_error_slot(form: Tag) -> None:
    for fieldset in form.find_all("fieldset", class_="question"):
        error_id = f"error-{fieldset['data-question']}"
        assert fieldset.find(id=error_id) is not None
        for control in fieldset.find_all(["input", "select", "textarea"]):
            assert error_id in control["aria-describedby"].split()
            assert control.find_parent("label") is not None or control.has_attr("aria-labelledby")


def test_dates_are_written_in_the_page_language(project: Path, files: dict[str, str]) -> None:
    survey = load_site(project).surveys[0].model
    assert open_period(survey, "en") == "Open from November 1, 2026 to December 15, 2026."
    assert open_period(survey, "lv") == "Atvērta no 2026. gada 1. novembris līdz 2026. gada 15. decembris."
    assert 'data-opens="2026-11-01" data-closes="2026-12-15"' in files["public/en/surveys/visit/index.html"]


def test_each_survey_has_a_thank_you_page_per_language(files: dict[str, str]) -> None:
    assert "Your answers to “Your visit” have been received." in files["public/en/surveys/visit/thanks/index.html"]
    assert '<html lang="lv">' in files["public/lv/surveys/visit/thanks/index.html"]


def test_the_intranet_has_a_qr_poster_per_location_linking_to_its_public_page(files: dict[str, str]) -> None:
    page = files["intranet/en/surveys/visit/qr/jelgava/index.html"]
    assert "saulite.example/en/surveys/visit/at/jelgava/" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'class="qr-code"' in page
    assert "intranet/en/surveys/visit/qr/riga-centre/index.html" in files
    assert "public/en/surveys/visit/qr/jelgava/index.html" not in files


def qr_svg(page: str) -> str:
    found = re.search(r"<svg .*?</svg>", page, re.S)
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("paper", ["", "a6/"])
def test_a_poster_encodes_the_location_page_of_its_language(files: dict[str, str], paper: str) -> None:
    page = files[f"intranet/lv/surveys/visit/qr/jelgava/{paper}index.html"]
    url = "https://saulite.example/lv/surveys/visit/at/jelgava/"
    assert qr_svg(page) == qr_code_svg(url, "visit jelgava")
    assert segno.make(url, error="m").designator in ("4-M", "5-M")  # a short address: few, large modules


@pytest.mark.parametrize("paper", ["", "a6/"])
def test_a_poster_shows_the_site_title_incentive_and_short_address_in_the_page_language(
    project: Path, paper: str
) -> None:
    survey = project / "surveys/visit.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace(
            "audience: customer", "audience: customer\nincentive: {lv: Bezmaksas kafija, en: A free coffee}"
        ),
        encoding="utf-8",
    )
    files = {path: content.decode() for path, content in render_site(load_site(project)).items()}
    poster = BeautifulSoup(files[f"intranet/lv/surveys/visit/qr/jelgava/{paper}index.html"], "html.parser")
    article = poster.select_one("article.poster")
    assert isinstance(article, Tag)
    assert [text.get_text(" ", strip=True) for text in article.select(".poster-site, h1, .poster-incentive")] == [
        "Kafejnīca Saulīte",
        "Apmeklējums",
        "Bezmaksas kafija",
    ]
    assert article.select_one(".qr-link").get_text() == "saulite.example/lv/surveys/visit/at/jelgava/"  # type: ignore[union-attr]
    assert f"poster-{paper.strip('/') or 'a4'}" in article["class"]


def test_each_poster_links_to_its_other_paper_size(files: dict[str, str]) -> None:
    a4 = BeautifulSoup(files["intranet/en/surveys/visit/qr/jelgava/index.html"], "html.parser")
    a6 = BeautifulSoup(files["intranet/en/surveys/visit/qr/jelgava/a6/index.html"], "html.parser")
    assert [link["href"] for link in a4.select(".poster-tools a")] == ["a6/"]
    assert [link["href"] for link in a6.select(".poster-tools a")] == ["../"]


def test_employee_surveys_live_on_the_intranet_and_are_marked_anonymous(project: Path) -> None:
    survey = project / "surveys/visit.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace("audience: customer", "audience: employee"), encoding="utf-8"
    )
    files = built(project)
    assert "intranet/en/surveys/visit/index.html" in files and "public/en/surveys/visit/index.html" not in files
    assert "This survey is anonymous." in files["intranet/en/surveys/visit/index.html"]


def test_labels_and_choices_follow_the_page_language(files: dict[str, str]) -> None:
    latvian = files["public/lv/surveys/visit/index.html"]
    assert "Ieteiktu?" in latvian and "Nemaz nav ticams" in latvian and "Nosūtīt atbildes" in latvian


def test_the_surveys_list_links_only_to_qr_pages_that_exist(project: Path) -> None:
    survey = project / "surveys/visit.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace("audience: customer", "audience: employee"), encoding="utf-8"
    )
    files = built(project)
    assert "/qr/" not in files["intranet/en/surveys/index.html"]  # no intranet_url: no QR pages for employee surveys
    assert not [path for path in files if "/qr/" in path]
    config = project / "sitegen.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "intranet_url: https://intranet.saulite.example\n", encoding="utf-8"
    )
    files = built(project)
    assert 'href="visit/qr/jelgava/"' in files["intranet/en/surveys/index.html"]
    assert (
        "intranet.saulite.example/en/surveys/visit/at/jelgava/"
        in files["intranet/en/surveys/visit/qr/jelgava/index.html"]
    )


def test_the_static_thank_you_page_of_an_incentive_promises_no_reward_to_whoever_opens_it(project: Path) -> None:
    survey = project / "surveys/visit.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace(
            "audience: customer", "audience: customer\nincentive: {en: A free coffee}"
        ),
        encoding="utf-8",
    )
    files = built(project)
    thanks = files["public/en/surveys/visit/thanks/index.html"]
    assert "A free coffee" not in thanks  # the collector's answer to the post shows it, with the code
    assert '<p class="incentive">The code for the reward is shown only once, right after the answers are sent.</p>' in (
        thanks
    )


def test_the_form_carries_an_empty_labelled_honeypot_out_of_the_tab_order(form: Tag) -> None:
    trap = form.find("input", attrs={"name": "_website"})
    assert trap["value"] == "" and trap["tabindex"] == "-1" and trap["autocomplete"] == "off"
    assert form.find("label", attrs={"for": trap["id"]}).get_text() == "Leave this field empty"


def test_each_location_has_its_own_survey_page_carrying_the_location_in_the_form(files: dict[str, str]) -> None:
    page = BeautifulSoup(files["public/lv/surveys/visit/at/jelgava/index.html"], "html.parser")
    field = page.select_one('form.survey-form input[name="location"]')
    assert field is not None and field.get("value") == "jelgava" and not field.has_attr("disabled")
    assert page.select("form.survey-form fieldset.question")  # the whole survey, not a stub
    assert "public/en/surveys/visit/at/riga-centre/index.html" in files
    assert not [path for path in files if "/at/" in path and not path.startswith("public/")]
    plain = BeautifulSoup(files["public/lv/surveys/visit/index.html"], "html.parser")
    assert plain.select_one('input[name="location"]').has_attr("disabled")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("as_of", "is_closed"),
    [
        (dt.date(2026, 10, 31), True),
        (dt.date(2026, 11, 1), False),
        (dt.date(2026, 12, 15), False),
        (dt.date(2026, 12, 16), True),
    ],
)
def test_the_build_day_decides_whether_the_closed_notice_or_the_form_is_shown_in_the_html(
    project: Path, as_of: dt.date, is_closed: bool
) -> None:
    for path in ("public/en/surveys/visit/index.html", "public/en/surveys/visit/at/jelgava/index.html"):
        page = BeautifulSoup(built(project, as_of)[path], "html.parser")
        notice, form = page.select_one(".notice-closed"), page.select_one("form.survey-form")
        assert notice is not None and form is not None
        assert notice.has_attr("hidden") is not is_closed and form.has_attr("hidden") is is_closed
        assert "This survey is closed." in notice.get_text()


def test_only_a_survey_that_allows_it_offers_to_answer_again(project: Path, files: dict[str, str]) -> None:
    page = BeautifulSoup(files["public/en/surveys/visit/index.html"], "html.parser")
    notice = page.select_one(".notice-answered")
    assert notice is not None and notice.has_attr("hidden")
    assert "You have already answered this survey." in notice.get_text() and notice.select_one(".answer-again")
    survey = project / "surveys/visit.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace("audience: customer", "audience: employee"), encoding="utf-8"
    )
    staff = BeautifulSoup(built(project)["intranet/en/surveys/visit/index.html"], "html.parser")
    assert staff.select_one(".notice-answered") is not None and staff.select_one(".answer-again") is None


@pytest.mark.parametrize(("lang", "hint"), [("lv", "Formāts: dd.mm.gggg"), ("en", "Format: mm/dd/yyyy")])
def test_a_date_field_shows_the_page_languages_format_and_announces_it(
    files: dict[str, str], lang: str, hint: str
) -> None:
    form = BeautifulSoup(files[f"public/{lang}/surveys/visit/index.html"], "html.parser")
    field = form.select_one("#input-day")
    assert isinstance(field, Tag)
    described = str(field["aria-describedby"]).split()
    assert described[0] == "format-day"
    assert form.select_one("#format-day").get_text() == hint  # type: ignore[union-attr]
    assert "hh:mm" in form.select_one("#format-opened_at").get_text()  # type: ignore[union-attr]


def test_the_sites_logo_is_copied_to_both_trees_and_heads_each_poster(project: Path) -> None:
    (project / "assets").mkdir()
    (project / "assets/Logo.SVG").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    config = project / "sitegen.yaml"
    config.write_text("logo: assets/Logo.SVG\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    built = render_site(load_site(project))
    assert (
        built["public/static/logo.svg"]
        == built["intranet/static/logo.svg"]
        == (project / "assets/Logo.SVG").read_bytes()
    )
    poster = BeautifulSoup(built["intranet/en/surveys/visit/qr/jelgava/a6/index.html"].decode(), "html.parser")
    logo = poster.select_one("article.poster img.poster-logo")
    assert isinstance(logo, Tag)
    assert (logo["src"], logo["alt"]) == ("../../../../../../static/logo.svg", "")
