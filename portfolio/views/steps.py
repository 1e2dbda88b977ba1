"""
The one way long lists are sent: in steps (models/steps.py). A page shows the first step, and
its More link (templates/portfolio/_step_more.html) names the next: `?after=<cursor>`. Followed
without JavaScript it is the next step as a page, with a link back to the start; htmx follows
it as the visitor nears it and swaps in that step alone, with its own More link.
"""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse

from portfolio.models import InvalidCursor, Step, SteppedQuerySet
from portfolio.views.htmx import HtmxHttpRequest, vary_on_htmx, wants_fragment

AFTER = "after"  # The query parameter that names where a step starts.


class StepsMixin:
    """A page whose list comes in steps: get_step() reads one, step_template_name shows it."""

    request: HtmxHttpRequest
    # A step alone, for htmx: its items and its More link.
    step_template_name: str

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        # The same address answers a page, and htmx its step alone.
        return vary_on_htmx(super().dispatch(request, *args, **kwargs))

    def get_step(self, queryset: SteppedQuerySet) -> Step:
        """The step the address asks for; a cursor this site never made is a 400."""
        after = self.request.GET.get(AFTER, "")
        try:
            return queryset.step(after, settings.PORTFOLIO_STEP_SIZE)
        except InvalidCursor as error:
            raise BadRequest(str(error)) from None

    def step_context(self, step: Step) -> dict:
        """What _step_more.html needs: the step, the next one's address and the start's."""
        return {
            "step": step,
            "next_step_url": self.step_url(step.next_cursor),
            "first_step_url": self.step_url(""),
            # The items before the first: a step htmx loads is below the first screen, and
            # every image of it loads lazily.
            "index_offset": settings.PORTFOLIO_STEP_SIZE if self.wants_step() else 0,
        }

    def step_url(self, cursor: str) -> str:
        """This address with its other parameters (favourites=1), starting after `cursor`."""
        query = self.request.GET.copy()
        query.pop(AFTER, None)
        if cursor:
            query[AFTER] = cursor
        return f"{self.request.path}?{query.urlencode()}" if query else self.request.path

    def wants_step(self) -> bool:
        return wants_fragment(self.request) and AFTER in self.request.GET

    def get_template_names(self) -> list[str]:
        if self.wants_step():
            return [self.step_template_name]
        return super().get_template_names()
