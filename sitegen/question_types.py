"""Question types: one entry per `type:` of a survey question, holding everything the rest of the code asks of it.

An entry names the type's model, how its answer is read from a form or JSON
body, the page's form control, its CSV cells, how the store keeps it for
scorecards, which metric kinds may read it (`is_numeric`, `is_choice`,
`is_ranking`), its bounds and fixed choices, its typed column in a Parquet
export (`column`), and the model keys that give an answer its meaning
(`meaning_keys`: an edit to any other key, such as a label, leaves stored
answers meaning what they meant). `answers`, `checks`,
`interchange`, `metric_kinds`, `scorecards` and the templates look the entry
up (`type_of`); none of them matches a type's name.

Adding a type: its model in `models/survey.py` (and `QUESTION_MODELS`),
its reader (and `plain`, where the reader keeps some JSON values as they
are) and one entry in `TYPES` below, its form control
`theme/_question_<type>.html`, its check in `theme/static/survey.js` where
the browser's own does not do, new messages in `refusals.MESSAGES` and the
catalogs (`scripts/update-catalogs`), and a row in README. A plugin's type
joins the same registry (`register_type`, docs/plugins.md).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import msgspec

from sitegen.date_formats import LocalFormat, date_format, datetime_format
from sitegen.models.common import per_model
from sitegen.models.survey import (
    QUESTION_MODELS,
    BaseQuestion,
    ConsentQuestion,
    DateQuestion,
    DatetimeQuestion,
    DropdownQuestion,
    EmailQuestion,
    ExpectationsQuestion,
    LikertQuestion,
    MatrixQuestion,
    MultipleQuestion,
    NpsQuestion,
    NumberQuestion,
    RankingQuestion,
    RatingQuestion,
    SingleQuestion,
    Survey,
    TextareaQuestion,
    TextQuestion,
    YesNoQuestion,
)
from sitegen.refusals import CONTROL_CHARACTERS, N_, Refused, first_refused_character

if TYPE_CHECKING:
    from sitegen.store.responses import FieldKind

NPS_SCALE = (0, 10)
"""How likely to recommend, 0 (not at all) to 10 (extremely): the NPS question's fixed scale."""
MAX_EMAIL_LENGTH = 254
"""RFC 5321's longest path, as the form's `maxlength` and the collector both hold it."""
MAX_NUMBER = 10**15
CHOICE_SEPARATOR = ";"
"""Between the choice ids of one CSV cell (`multiple`, `ranking`): no slug contains it."""
EMAIL = re.compile(  # the HTML Standard's definition of a valid e-mail address, as browsers check it
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
"""The HTML Standard's valid floating-point number (what `<input type=number>` sends): ASCII digits, no spaces."""
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?")
"""What `<input type=date>` / `datetime-local` send; `fromisoformat` alone would also take `2026-W01-1`."""
LINE_BREAKS = str.maketrans({"\u2028": "\n", "\u2029": "\n"})
"""Unicode's line and paragraph separators (pasted from word processors) become the plain line break they mean."""

ColumnKind = Literal["text", "integer", "number", "date", "datetime", "choices", "table"]
"""What a typed column (`sitegen.parquet_export`) holds of an answer: a whole number, a date, a list of choice ids..."""
Reader = Callable[[Any, list[Any]], Any]
"""(question, its non-empty raw values) -> the answer to store; raises Refused."""
Bounds = Callable[[Any], tuple[float, float] | None]


# ---- reading one answer -------------------------------------------------------------------------------


def _single(values: list[Any]) -> Any:
    if len(values) != 1:
        raise Refused("one_value")
    return values[0]


def _as_number(raw: Any) -> int | float:
    """A number from a form string or a JSON number; never a bool, NaN or a 400-digit integer."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise Refused("not_a_number")
    if isinstance(raw, int):
        number: float = raw if abs(raw) <= MAX_NUMBER else math.inf
    elif isinstance(raw, float):
        number = raw
    elif len(raw) <= 40 and NUMBER.fullmatch(raw):
        number = float(raw)  # Python's float() would also take "1_0", " 7 " and Arabic-Indic digits
    else:
        raise Refused("not_a_number")
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise Refused("not_a_number")
    return int(number) if float(number).is_integer() else float(number)


def _read_scale(question: BaseQuestion, values: list[Any]) -> int:
    """A whole point of the scale: nps, rating, likert and each row of a matrix."""
    number = _as_number(_single(values))
    if not isinstance(number, int):
        raise Refused("not_a_whole_number")
    low, high = scale_bounds(question)  # type: ignore[misc]
    if not low <= number <= high:
        raise Refused("out_of_range", min=f"{low:g}", max=f"{high:g}")
    return number


def _read_number(question: NumberQuestion, values: list[Any]) -> int | float:
    number = _as_number(_single(values))
    low, high = question.min, question.max
    if low is not None and high is not None and not low <= number <= high:
        raise Refused("out_of_range", min=f"{low:g}", max=f"{high:g}")
    if low is not None and number < low:
        raise Refused("too_small", min=f"{low:g}")
    if high is not None and number > high:
        raise Refused("too_large", max=f"{high:g}")
    return number


def _read_choice(question: BaseQuestion, values: list[Any]) -> str:
    choice = _single(values)
    if not isinstance(choice, str) or choice not in choice_ids(question):
        raise Refused("not_a_choice")
    return choice


def _known_once(question: BaseQuestion, values: list[Any]) -> tuple[str, ...]:
    """The question's choice ids, once `values` are each one of them, at most once."""
    allowed = choice_ids(question)
    if any(not isinstance(choice, str) or choice not in allowed for choice in values):
        raise Refused("not_a_choice")
    if len(set(values)) != len(values):
        raise Refused("repeated_choice")
    return allowed


def _read_choices(question: MultipleQuestion, values: list[Any]) -> list[str]:
    allowed = _known_once(question, values)
    fewest, most = question.min_picks, question.max_picks
    if fewest is not None and len(values) < fewest:
        raise Refused("too_few_picks", num=fewest)
    if most is not None and len(values) > most:
        raise Refused("too_many_picks", num=most)
    return [choice for choice in allowed if choice in values]


def _read_ranking(question: RankingQuestion, values: list[Any]) -> list[str]:
    """Choice ids first to last. A required ranking places every choice; an optional one may stop early (the top
    three of seven), and positions left empty close up, as the form's selects post only those chosen."""
    allowed = _known_once(question, values)
    if question.required and len(values) < len(allowed):
        raise Refused("incomplete_ranking", num=len(allowed))
    return list(values)


def _read_consent(question: ConsentQuestion, values: list[Any]) -> str:
    """The ticked box posts the version of the text it was shown; an older page's version no longer counts."""
    version = _single(values)
    if not isinstance(version, str):
        raise Refused("not_allowed")
    if version != question.version:
        raise Refused("changed_consent")
    return version


def _text(values: list[Any]) -> str:
    text = _single(values)
    if not isinstance(text, str):
        raise Refused("not_text")
    if first_refused_character(CONTROL_CHARACTERS, text) is not None:
        raise Refused("control_characters")
    # Browsers send line breaks as CRLF but count them as one character for maxlength.
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(LINE_BREAKS)


def _read_text(question: TextQuestion | TextareaQuestion, values: list[Any]) -> str:
    text = _text(values)
    if len(text) > question.max_length:
        raise Refused("too_long", num=question.max_length)
    return text


def _read_email(_question: EmailQuestion, values: list[Any]) -> str:
    email = _text(values).strip()
    if len(email) > MAX_EMAIL_LENGTH:
        raise Refused("too_long", num=MAX_EMAIL_LENGTH)
    if not EMAIL.fullmatch(email):
        raise Refused("not_an_email")
    return email


def _read_date(_question: DateQuestion, values: list[Any]) -> str:
    text = _text(values)
    try:
        if not DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise Refused("not_a_date") from None


def _read_datetime(_question: DatetimeQuestion, values: list[Any]) -> str:
    """`datetime-local` sends `2026-05-01T10:00` (seconds optional); kept as given, in ISO 8601."""
    text = _text(values)
    try:
        if not DATETIME.fullmatch(text):
            raise ValueError(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Refused("not_a_datetime") from None
    return moment.isoformat(timespec="minutes" if len(text) == 16 else "seconds")


# ---- the JSON values a reader keeps as they are ------------------------------------------------------------


def _plain_point(question: BaseQuestion) -> Any:
    """A whole point of the scale as a JSON integer: `_read_scale` gives it back unchanged."""
    low, high = scale_bounds(question)  # type: ignore[misc]
    return Annotated[int, msgspec.Meta(ge=int(low), le=int(high))]


def _plain_choice(question: BaseQuestion) -> Any:
    """One of the choice ids as a JSON string: `_read_choice` gives it back unchanged."""
    allowed = choice_ids(question)
    return Literal[allowed] if allowed else None


# ---- bounds and CSV cells -----------------------------------------------------------------------------


def _no_bounds(_question: Any) -> None:
    return None


def _nps_bounds(_question: NpsQuestion) -> tuple[float, float]:
    return NPS_SCALE


def _points(question: RatingQuestion | LikertQuestion | MatrixQuestion) -> tuple[float, float]:
    return (1, question.points)


def _number_bounds(question: NumberQuestion) -> tuple[float, float] | None:
    return (question.min, question.max) if question.min is not None and question.max is not None else None


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _as_given(cell: str) -> Any:
    return cell  # `read_json` types it (the number 9 arrives as "9") or refuses it


def _joined(value: Any) -> str:
    return CHOICE_SEPARATOR.join(str(item) for item in value)


def _split(cell: str) -> list[str]:
    return cell.split(CHOICE_SEPARATOR)


@dataclass(frozen=True)
class CsvCodec:
    """How one answer becomes a CSV cell and back, before `read_json` checks it like any posted answer.

    `is_per_item`: one column `<question>.<item>` per item (a matrix), each cell coded as here.
    """

    write: Callable[[Any], str] = _cell
    read: Callable[[str], Any] = _as_given
    is_per_item: bool = False


ONE_CELL = CsvCodec()
CHOICE_LIST = CsvCodec(_joined, _split)
"""Choice ids in one cell, joined by `;`: in the question's order (`multiple`) or in rank order (`ranking`)."""
PER_ITEM = CsvCodec(is_per_item=True)


@dataclass(frozen=True)
class QuestionType:
    """Everything one question type is: see the module docstring for who asks what.

    `store_kind` is how `scorecards` has the store hand its answers over:
    numbers, JSON (lists and tables), text that repeats (categories) or
    text that seldom does (free text and moments, as strings). `fixed_choices` are (id,
    label) of a type whose choices are not the owner's. `is_table`: the answer
    is a mapping item -> one `reader` answer. `local_format`: a date type a
    person may type as the page's hint shows, where a browser gives a text box.
    """

    model: type[BaseQuestion]
    reader: Reader
    meaning_keys: tuple[str, ...] = ()
    store_kind: FieldKind = "text"
    csv: CsvCodec = ONE_CELL
    bounds: Bounds = _no_bounds
    fixed_choices: tuple[tuple[str, str], ...] = ()
    is_scale: bool = False
    """Whole points between `bounds`, read by the scale kinds (top_box) and the mean."""
    is_numeric: bool = False
    """Answers are numbers: `show_if` compares them, `mean` averages them."""
    is_choice: bool = False
    """Answers are choice ids: `share` counts them, scorecards break down by them."""
    is_ranking: bool = False
    """Answers are choice ids in order: `mean` averages one choice's rank."""
    is_free_text: bool = False
    """Comments: an NPS metric shows its follow-ups of this kind."""
    is_table: bool = False
    is_always_required: bool = False
    is_contact: bool = False
    """Answers reach a person (an e-mail address): `retention: contacts` drops them, `sitegen check` asks for it."""
    local_format: Callable[[str], LocalFormat] | None = None
    plain: Callable[[Any], Any] | None = None
    """The msgspec type of the JSON values the reader gives back exactly as they are, for a question (None: none
    are): `answers.plain_answers` checks those in one call to msgspec instead of the reader."""
    column: ColumnKind = "text"
    """The typed column an answer goes to in a Parquet export."""
    templates: Path | None = None
    """A plugin's folder holding its form control (`control`); the built-in types' are in the theme."""
    locales: Path | None = None
    """A plugin's folder of `<lang>.po` catalogs for the texts its control and messages show."""

    @property
    def name(self) -> str:
        """The type as surveys spell it (`nps`): the model's `type` literal."""
        literal: str = get_args(self.model.model_fields["type"].annotation)[0]
        return literal

    @property
    def control(self) -> str:
        """The theme's partial that renders the form control (a project may override it)."""
        return f"_question_{self.name}.html"


EXPECTATIONS = (
    ("below", N_("Below my expectations")),
    ("met", N_("Met my expectations")),
    ("exceeded", N_("Exceeded my expectations")),
)
YES_NO = (("yes", N_("Yes")), ("no", N_("No")))
_TYPES: dict[str, QuestionType] = {
    entry.name: entry
    for entry in (
        QuestionType(
            NpsQuestion,
            _read_scale,
            (),
            "number",
            bounds=_nps_bounds,
            is_scale=True,
            is_numeric=True,
            plain=_plain_point,
            column="integer",
        ),
        QuestionType(
            RatingQuestion,
            _read_scale,
            ("points",),
            "number",
            bounds=_points,
            is_scale=True,
            is_numeric=True,
            plain=_plain_point,
            column="integer",
        ),
        QuestionType(
            LikertQuestion,
            _read_scale,
            ("points",),
            "number",
            bounds=_points,
            is_scale=True,
            is_numeric=True,
            plain=_plain_point,
            column="integer",
        ),
        QuestionType(
            ExpectationsQuestion, _read_choice, fixed_choices=EXPECTATIONS, is_choice=True, plain=_plain_choice
        ),
        QuestionType(SingleQuestion, _read_choice, ("choices",), is_choice=True, plain=_plain_choice),
        QuestionType(
            MultipleQuestion,
            _read_choices,
            ("choices", "min_picks", "max_picks"),
            "json",
            CHOICE_LIST,
            is_choice=True,
            column="choices",
        ),
        QuestionType(DropdownQuestion, _read_choice, ("choices",), is_choice=True, plain=_plain_choice),
        QuestionType(YesNoQuestion, _read_choice, fixed_choices=YES_NO, is_choice=True, plain=_plain_choice),
        QuestionType(TextQuestion, _read_text, ("max_length",), "open_text", is_free_text=True),
        QuestionType(TextareaQuestion, _read_text, ("max_length",), "open_text", is_free_text=True),
        QuestionType(
            NumberQuestion,
            _read_number,
            ("min", "max"),
            "number",
            bounds=_number_bounds,
            is_numeric=True,
            column="number",
        ),
        QuestionType(EmailQuestion, _read_email, is_contact=True),
        QuestionType(DateQuestion, _read_date, local_format=date_format, column="date"),
        QuestionType(
            DatetimeQuestion, _read_datetime, (), "open_text", local_format=datetime_format, column="datetime"
        ),
        QuestionType(
            MatrixQuestion,
            _read_scale,
            ("points", "items"),
            "json",
            PER_ITEM,
            _points,
            is_table=True,
            plain=_plain_point,
            column="table",
        ),
        QuestionType(
            RankingQuestion, _read_ranking, ("choices",), "json", CHOICE_LIST, is_ranking=True, column="choices"
        ),
        QuestionType(ConsentQuestion, _read_consent, ("version",), is_always_required=True),
    )
}
TYPES: Mapping[str, QuestionType] = _TYPES
"""Every question type by its name: the built-in ones in the order README lists them, then the plugins'."""


def register_type(entry: QuestionType) -> None:
    """Add a plugin's type (`sitegen.plugins` has checked its name is free), and its model to a survey's questions."""
    _TYPES[entry.name] = entry
    QUESTION_MODELS.admit(entry.model, (Survey,))


def type_of(question: BaseQuestion) -> QuestionType:
    """The entry of a question's type."""
    return TYPES[question.type]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TypesWhere(Collection[str]):
    """The names of the registered types that pass `test`, read when asked rather than when a metric kind is
    defined: a plugin's numeric type, registered later, is one that `mean` accepts."""

    test: Callable[[QuestionType], bool]

    def __iter__(self) -> Iterator[str]:
        return (name for name, entry in TYPES.items() if self.test(entry))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in TYPES and self.test(TYPES[name])

    def __len__(self) -> int:
        return sum(1 for _name in self)


def names_where(test: Callable[[QuestionType], bool]) -> TypesWhere:
    """The names of the types that pass `test`, for a metric kind's accepted questions."""
    return TypesWhere(test)


@per_model
def choice_ids(question: BaseQuestion) -> tuple[str, ...]:
    """The answer ids a choice-like question accepts: its fixed choices, or the owner's (once per question: every
    answer of it asks)."""
    fixed = type_of(question).fixed_choices
    if fixed:
        return tuple(choice for choice, _label in fixed)
    return tuple(choice.id for choice in getattr(question, "choices", []))


def scale_bounds(question: BaseQuestion) -> tuple[float, float] | None:
    """The lowest and highest answer of a numeric question (or a matrix row), where it has bounds."""
    return type_of(question).bounds(question)
