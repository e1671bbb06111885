"""The thank-you page that answers a post to a survey with an incentive: rendered once, then filled with each code.

The page is the survey's own `thanks.html` with the answer's code. It is the
answer to the post itself, not a redirect: a code in an address would stay
in the browser's history and in the logs of whatever lies between.
`no-store` keeps it out of caches; a reload posts again and, the answer being
stored once, shows the same code. Rendering the template costs about ten
times what storing the answer does, so each survey's page is rendered once
per language and snapshot with a slot where the code goes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from starlette.responses import Response

from sitegen.collector.guards import error_page_policy, origin_of
from sitegen.collector.snapshots import Snapshot
from sitegen.models.survey import Survey
from sitegen.render.pages import PagePlan, render_page
from sitegen.render.surveys import survey_tree

logger = logging.getLogger("sitegen.collector")
CODE_SLOT = "\x00code\x00"
"""Where the code goes while the page is rendered: a NUL is in no template and no survey text (the loader refuses
control characters), and nothing on the way out escapes it."""


@dataclass
class ThanksPages:
    """Each survey's thank-you page with a code slot, per language, for the snapshot it was rendered from."""

    snapshot: Snapshot | None = None
    halves: dict[tuple[str, str], tuple[bytes, bytes]] = field(default_factory=dict)

    def answer(self, snapshot: Snapshot, survey: Survey, lang: str, code: str) -> Response:
        """The page with `code`, and headers that keep it private and let the site's survey script run.

        The script tells the survey's next form to start a new response.
        """
        before, after = self._halves(snapshot, survey, lang)
        config = snapshot.config
        origins = (origin_of(url) for url in (config.base_url, config.intranet_url) if url)
        headers = {
            "Cache-Control": "no-store",
            "Content-Security-Policy": error_page_policy(origins, with_scripts=True),
        }
        return Response(before + code.encode() + after, media_type="text/html; charset=utf-8", headers=headers)

    def _halves(self, snapshot: Snapshot, survey: Survey, lang: str) -> tuple[bytes, bytes]:
        if snapshot is not self.snapshot:  # the files changed: the pages are made again from the new snapshot
            self.snapshot, self.halves = snapshot, {}
        halves = self.halves.get((survey.id, lang))
        if halves is None:
            values = {"survey": survey, "code": CODE_SLOT}
            plan = PagePlan(survey_tree(survey), lang, f"surveys/{survey.id}/thanks/", "thanks.html", values)
            base = snapshot.link_base(survey)
            html = render_page(snapshot.environment, snapshot.shared, plan, snapshot.site.files.root, link_base=base)
            before, slot, after = html.partition(CODE_SLOT.encode())
            if not slot:  # an owner's templates/thanks.html from before codes
                logger.error(
                    "templates/thanks.html shows no {{ code }}: the thank-you pages of %s show none", survey.id
                )
            halves = self.halves[survey.id, lang] = (before, after)
        return halves
