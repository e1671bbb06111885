"""`sitegen purge`: which of each survey's responses and contacts have outlived their `retention:`, and deleting them.

The moments are decided here, from the site (pure: `cutoffs_of`); the
store deletes (`sitegen.store.retention`). Two rules shape the moments:

- A contact is kept while its case is open, and `contacts` after the later
  of the answer and its case's closing; the answers' own expiry takes it
  with them whatever the case.
- An anonymous survey's answers go only by whole periods of every
  scorecard that reads the survey (and never a day before it has ended), so
  a scorecard rebuilt after a purge loses whole closed periods, each already
  a union of published units (`sitegen.privacy`), and no difference between
  two builds isolates the answers of part of one.

`purge(store, site, now)` is the one entry point, for the command and for
`sitegen collect --refresh`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sitegen.metrics.periods import Period, period_label, period_start
from sitegen.models.retention import Retention
from sitegen.models.scorecard import SurveyMetric
from sitegen.question_types import type_of
from sitegen.site import Site
from sitegen.store import ResponseStore
from sitegen.store.retention import BATCH_SIZE, Cutoffs, SurveyPurge, purge_survey


@dataclass(frozen=True)
class PurgeReport:
    """What one purge deleted (or, dry, would delete), survey by survey in the site's order."""

    surveys: tuple[SurveyPurge, ...]
    dry_run: bool = False

    @property
    def is_nothing(self) -> bool:
        """Nothing was (or would be) deleted: what a second purge at the same moment says."""
        return all(survey.is_nothing for survey in self.surveys)

    def lines(self) -> list[str]:
        """One line per survey saying what was deleted, then a summary: what `sitegen purge` prints."""
        deleted, dropped = ("would delete", "would drop") if self.dry_run else ("deleted", "dropped")
        found = []
        for survey in self.surveys:
            parts = []
            if survey.responses or survey.anonymous:
                with_cases = f" with {_counted(survey.cases, 'case')}" if survey.cases else ""
                anonymous = f" and {survey.anonymous} anonymous" if survey.responses and survey.anonymous else ""
                whole = _counted(survey.responses, "response") + anonymous if survey.responses else ""
                whole = whole or _counted(survey.anonymous, "anonymous response")
                parts.append(f"{deleted} {whole}{with_cases}")
            if survey.contacts or survey.case_contacts:
                places = [_counted(survey.contacts, "response"), _counted(survey.case_contacts, "case")]
                parts.append(f"{dropped} the contacts of " + " and ".join(p for p in places if not p.startswith("0 ")))
            if not parts:
                parts.append("kept forever (no retention)" if survey.is_kept_forever else "nothing past retention")
            found.append(f"{survey.survey_id}: {'; '.join(parts)}")
        if self.is_nothing:
            found.append("Nothing to purge.")
        return found


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def purge_moment(site: Site, as_of: dt.date | None) -> dt.datetime:
    """The moment a purge deletes up to: now, or the end of the `as_of` day in the site's timezone if earlier."""
    now = dt.datetime.now(dt.UTC)
    if as_of is None:
        return now
    zone = ZoneInfo(site.config.model.timezone)
    return min(now, dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC))


def purge(
    store: ResponseStore, site: Site, now: dt.datetime, *, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> PurgeReport:
    """Delete from `store` what of the site's surveys is past retention at `now` (aware); `dry_run` only counts.

    Idempotent: run again at the same `now`, it deletes nothing. Each batch of rows is its own transaction.
    """
    return PurgeReport(
        tuple(
            purge_survey(store.engine, cutoffs, dry_run=dry_run, batch_size=batch_size)
            for cutoffs in cutoffs_of(site, now)
        ),
        dry_run,
    )


def cutoffs_of(site: Site, now: dt.datetime) -> list[Cutoffs]:
    """Each survey's cutoffs at `now`: its own `retention:` over sitegen.yaml's, in the site's order."""
    zone = ZoneInfo(site.config.model.timezone)
    default = site.config.model.retention
    found = []
    for source in site.surveys:
        survey = source.model
        kept = (survey.retention or Retention()).over(default)
        answers_before = kept.answers.cutoff(now) if kept.answers else None
        whole_periods = whole_periods_before(answers_before, periods_reading(site, survey.id), zone)
        found.append(
            Cutoffs(
                survey.id,
                contact_questions=tuple(q.id for q in survey.questions if type_of(q).is_contact),
                contacts_before=kept.contacts.cutoff(now) if kept.contacts else None,
                answers_before=whole_periods if survey.is_anonymous else answers_before,
                anonymous_before=whole_periods,
            )
        )
    return found


def periods_reading(site: Site, survey_id: str) -> set[Period]:
    """The kinds of period (week, month, quarter) of the scorecards with a metric on the survey."""
    return {
        source.model.period
        for source in site.scorecards
        if any(isinstance(metric, SurveyMetric) and metric.survey == survey_id for metric in source.model.metrics)
    }


def whole_periods_before(moment: dt.datetime | None, periods: set[Period], zone: dt.tzinfo) -> dt.datetime | None:
    """The latest local midnight at or before `moment` that starts a period of every kind in `periods` (none: the
    day), in UTC: what lies before it is whole days, and whole periods of each kind.

    Weeks and months meet only where a month starts on a Monday, so a survey read by both keeps its answers up to a
    year (a quarter with weeks: a few years) past its retention. Never shorter than promised, and never half a period.
    """
    if moment is None:
        return None
    day = moment.astimezone(zone).date()
    while (aligned := min((period_start(period_label(day, kind)) for kind in periods), default=day)) != day:
        day = aligned
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
