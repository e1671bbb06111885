"""The collector's side of invitations: the personal link's page, the unsubscribe link, and the claim an answer makes.

`GET /i/<token>` answers with the survey's own form, rendered here with the
token as a hidden field: one link that works with or without JavaScript, no
cookie, and the public survey pages stay as they are for everyone else.
`/u/<token>` unsubscribes the invitation's address from every invitation of
the site: GET shows a button (a link scanner's GET changes nothing), POST
does it, as RFC 8058's one-click `List-Unsubscribe-Post` sends it.

A post that carries a token `claim`s its invitation before the answer is
stored (`InvitationStore.claim`); a second post with it is refused with 409.
On a survey that is not anonymous the invitation's segment values become the
answer's hidden-field values; on an anonymous one nothing of the invitation
reaches the answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sitegen.answers import Submission
from sitegen.collector.guards import error_page_policy, origin_of
from sitegen.collector.snapshots import Snapshot
from sitegen.i18n import UiText
from sitegen.invitations.tokens import is_token_shaped, token_lookup
from sitegen.models.survey import Survey
from sitegen.refusals import N_
from sitegen.render.pages import PagePlan, render_page
from sitegen.render.surveys import form_action, is_closed_on, survey_key, survey_tree, survey_values
from sitegen.store.invitations import UNSUBSCRIBED, Claim, Invitation, InvitationStore

INVITATION_FIELD = "_invitation"
"""The form field (and JSON key) a personal link's token comes in; it starts with `_`, so no question can take it."""
NOT_VALID = N_("This invitation link is not valid.")
NOT_VALID_DETAIL = N_("Please open the survey with the link from your invitation e-mail, exactly as it was sent.")
USED = N_("You have already answered this survey.")
USED_DETAIL = N_("Your invitation link has been used to answer already: each invitation answers once.")
ONLY_INVITED = N_("This survey is answered by invitation.")
ONLY_INVITED_DETAIL = N_("Please open it with the personal link from your invitation e-mail.")


@dataclass(frozen=True)
class Refusal:
    """Why a post's invitation does not let it be stored: the status and the texts of the page."""

    status: int
    title: str
    detail: str


def claim_invitation(store: InvitationStore, survey: Survey, token: str | None) -> Invitation | Refusal | None:
    """Claim the post's invitation: the invitation, None for a post without one where the survey allows that, or
    why it is refused."""
    if token is None:
        return Refusal(403, ONLY_INVITED, ONLY_INVITED_DETAIL) if survey.invitation_only else None
    if not is_token_shaped(token):
        return Refusal(403, NOT_VALID, NOT_VALID_DETAIL)
    lookup = token_lookup(token)
    invitation = store.find(lookup)
    if invitation is None or invitation.survey_id != survey.id:
        return Refusal(403, NOT_VALID, NOT_VALID_DETAIL)
    claim = store.claim(lookup, survey.id, hides_order=survey.is_anonymous)
    if claim is Claim.USED:
        return Refusal(409, USED, USED_DETAIL)
    return invitation if claim is Claim.CLAIMED else Refusal(403, NOT_VALID, NOT_VALID_DETAIL)


def with_segment(survey: Survey, submission: Submission, invitation: Invitation) -> Submission:
    """The answer with its invitation's segment values as hidden fields; on an anonymous survey, as it was."""
    if survey.is_anonymous:
        return submission
    segment = {name: value for name, value in invitation.segment.items() if name in survey.hidden}
    return dataclasses.replace(submission, meta={**submission.meta, **segment})


def release_invitation(store: InvitationStore, survey: Survey, invitation: Invitation) -> None:
    """Give a claim back when its answer could not be stored: the link must work for the next try."""
    store.release(invitation.lookup, survey.id, hides_order=survey.is_anonymous)


def _collector_page(
    snapshot: Snapshot,
    status: int,
    survey: Survey | None,
    lang: str,
    heading: str,
    paragraphs: Sequence[str],
    action: dict[str, str] | None = None,
) -> Response:
    tree = survey_tree(survey) if survey else "public"
    base = snapshot.link_base(survey)
    values = {"heading": heading, "paragraphs": list(paragraphs), "problems": [], "survey_url": None, "action": action}
    plan = PagePlan(tree, lang, "", "collector.html", values)
    return _private_page(snapshot, plan, base, status, lambda origins: error_page_policy(origins, "'self'"))


def thanks_page(snapshot: Snapshot, survey: Survey, lang: str) -> Response:
    """The thank-you page as the answer to an invited post itself: an invitee of an employee survey has no staff
    sign-in for the intranet's copy of it."""
    plan = PagePlan(survey_tree(survey), lang, f"surveys/{survey.id}/thanks/", "thanks.html", {"survey": survey})
    base = snapshot.link_base(survey)
    return _private_page(snapshot, plan, base, 200, lambda origins: error_page_policy(origins, with_scripts=True))


def _private_page(
    snapshot: Snapshot, plan: PagePlan, base: str, status: int, policy: Callable[[list[str]], str]
) -> Response:
    """A page of an invitation: never cached, its address kept from other sites, a policy naming the site's origins."""
    html = render_page(snapshot.environment, snapshot.shared, plan, snapshot.site.files.root, link_base=base)
    config = snapshot.config
    origins = [origin_of(url) for url in (config.base_url, config.intranet_url) if url]
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": policy(origins),
    }
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=headers)


def _invitation_of(request: Request, store: InvitationStore) -> Invitation | None:
    token = request.path_params["token"]
    return store.find(token_lookup(token)) if is_token_shaped(token) else None


async def invitation_page(request: Request) -> Response:
    """The survey's form with the invitation's token, in the invitee's language."""
    collector = request.app.state.collector
    snapshot: Snapshot = collector.surveys.snapshot
    invitation = await run_in_threadpool(_invitation_of, request, collector.store.invitations)
    survey = snapshot.surveys.get(invitation.survey_id) if invitation else None
    if invitation is None or survey is None:
        lang = snapshot.site.languages[0]
        ui = UiText(lang)
        return _collector_page(snapshot, 404, None, lang, ui.gettext(NOT_VALID), [ui.gettext(NOT_VALID_DETAIL)])
    ui = UiText(invitation.lang)
    if invitation.answered:
        return _collector_page(snapshot, 409, survey, invitation.lang, ui.gettext(USED), [ui.gettext(USED_DETAIL)])
    day = collector.clock().astimezone(snapshot.zone).date()
    values = survey_values(snapshot.config, survey, invitation.lang, day) | {"invitation": request.path_params["token"]}
    plan = PagePlan(survey_tree(survey), invitation.lang, survey_key(survey), "survey.html", values)
    base = snapshot.link_base(survey)
    html = render_page(snapshot.environment, snapshot.shared, plan, snapshot.site.files.root, link_base=base)
    config = snapshot.config
    origins = [origin_of(url) for url in (config.base_url, config.intranet_url) if url]
    policy = error_page_policy(origins, f"'self' {origin_of(form_action(config, survey))}", with_scripts=True)
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "Content-Security-Policy": policy}
    status = 410 if is_closed_on(survey, day) else 200
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=headers)


async def unsubscribe(request: Request) -> Response:
    """GET: a button to unsubscribe; POST (the button, or a mail client's one-click): the address opts out."""
    collector = request.app.state.collector
    snapshot: Snapshot = collector.surveys.snapshot
    store: InvitationStore = collector.store.invitations
    invitation = await run_in_threadpool(_invitation_of, request, store)
    if invitation is None:
        lang = snapshot.site.languages[0]
        ui = UiText(lang)
        return _collector_page(snapshot, 404, None, lang, ui.gettext(NOT_VALID), [ui.gettext(NOT_VALID_DETAIL)])
    ui = UiText(invitation.lang)
    if request.method != "POST":
        action = {"url": str(request.url.path), "label": ui.gettext("Unsubscribe")}
        paragraph = ui.gettext("You will receive no more survey invitations or reminders from us at this address.")
        heading = ui.gettext("Unsubscribe from survey invitations?")
        return _collector_page(snapshot, 200, None, invitation.lang, heading, [paragraph], action)
    day = collector.clock().astimezone(snapshot.zone).date()
    await run_in_threadpool(store.opt_out, [invitation.email], UNSUBSCRIBED, day)
    heading = ui.gettext("You are unsubscribed.")
    paragraph = ui.gettext("We will send no more survey invitations or reminders to this address.")
    return _collector_page(snapshot, 200, None, invitation.lang, heading, [paragraph])


def invitation_routes() -> list[Route]:
    """The routes of personal links and unsubscribe links."""
    return [
        Route("/i/{token}", invitation_page, methods=["GET", "HEAD"]),
        Route("/u/{token}", unsubscribe, methods=["GET", "HEAD", "POST"]),
    ]
