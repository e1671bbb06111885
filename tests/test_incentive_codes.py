"""Incentive codes as derived from the site secret: short, readable, forgiving of how they are typed, sealed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.incentive_codes import (
    CodeKey,
    CodeSecretMissing,
    canonical_code,
    required_key,
    secret_key,
)
from sitegen.models.survey import Survey

SECRET = "a-test-secret-that-is-long-enough-for-hmac-0123"
KEY = CodeKey(SECRET.encode())
SHOWN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")


def test_a_code_is_two_groups_of_five_crockford_symbols_and_the_same_for_the_same_response() -> None:
    code = KEY.code("resp-0001")
    assert SHOWN.match(code)
    assert KEY.code("resp-0001") == code
    assert KEY.code("resp-0002") != code
    assert CodeKey(b"another-secret-that-is-long-enough-for-hmac-01").code("resp-0001") != code


def test_a_code_reads_back_however_it_is_typed() -> None:
    code = KEY.code("resp-0001")
    canonical = code.replace("-", "")
    assert canonical_code(code) == canonical
    assert canonical_code(f"  {code.lower()} ") == canonical
    assert canonical_code(canonical[:5] + " " + canonical[5:]) == canonical
    assert canonical_code("O0OO0-IL1I1") == "00000-11111".replace("-", "")


@pytest.mark.parametrize("typed", ["", "ABC", "K7QM4-XPAR2X", "K7QM4-XPAU2", "K7QM4_XPAR2", "K7QM4-XPAŖ2"])
def test_anything_but_ten_code_symbols_is_no_code(typed: str) -> None:
    assert canonical_code(typed) is None


@given(st.text(max_size=40))
def test_canonical_code_never_fails_on_any_text(typed: str) -> None:
    canonical = canonical_code(typed)
    assert canonical is None or len(canonical) == 10


def test_the_seal_opens_only_with_its_own_code_and_secret() -> None:
    issued = KEY.issued("resp-0001", "anon.0123", "after-visit", "riga-centre")
    canonical = canonical_code(KEY.code("resp-0001"))
    other = canonical_code(KEY.code("resp-0002"))
    assert canonical is not None and other is not None
    assert issued.lookup == KEY.lookup(canonical) and issued.lookup != KEY.lookup(other)
    assert b"anon.0123" not in issued.sealed
    assert KEY.unsealed(canonical, issued.sealed) == "anon.0123"
    assert KEY.unsealed(other, issued.sealed) is None
    assert CodeKey(b"another-secret-that-is-long-enough-for-hmac-01").unsealed(canonical, issued.sealed) is None


def survey(incentive: bool) -> Survey:
    fields = {"id": "after-visit", "title": "Visit", "audience": "customer"}
    question = {"id": "recommend", "type": "nps", "label": "Recommend?"}
    return Survey.model_validate({**fields, "questions": [question], **({"incentive": "Coffee"} if incentive else {})})


def test_a_survey_with_an_incentive_and_no_secret_is_refused_by_name() -> None:
    with pytest.raises(CodeSecretMissing, match=r"after-visit.*SITEGEN_SECRET"):
        required_key([survey(True)], {})
    assert required_key([survey(False)], {}) is None
    assert required_key([survey(True)], {"SITEGEN_SECRET": SECRET}) == KEY


def test_a_short_secret_is_refused_and_reading_codes_needs_one() -> None:
    with pytest.raises(CodeSecretMissing, match="at least 32"):
        CodeKey.from_environment({"SITEGEN_SECRET": "short"})
    with pytest.raises(CodeSecretMissing, match="not set"):
        secret_key({})
