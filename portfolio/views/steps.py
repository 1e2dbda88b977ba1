"""
The one way long lists are sent: in steps (models/steps.py). A page shows the first step, and
its More link (templates/portfolio/_step_more.html) names the next: `?after=<cursor>`. Followed
without JavaScript it is the next step as a page, with a link back to the start; htmx follows
it as the visitor nears it and swaps in that step alone, with its own More link.

Asked where an item is (`?at=<id>`: a link to a picture far down), the page answers with its
step's address rather than every step before it: htmx is told in an event, anyone else is
sent there.
"""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404, HttpResponse, HttpResponseRedirect

from portfolio.models import InvalidCursor, Step, SteppedQuerySet
from portfolio.models.steps import LARGEST
from portfolio.views.events import step_found
from portfolio.views.htmx import HtmxHttpRequest, vary_on_htmx, wants_fragment

AFTER = "after"  # The query parameter that names where a step starts.
AT = "at"  # The query parameter that asks where an item is.


class StepsMixin:
    """A page whose list comes in steps: get_step() reads one, step_template_name shows it."""

    request: HtmxHttpRequest
    # A step alone, for htmx: its items and its More link.
    step_template_name: str
    # The id of an item's element on the page, the anchor a link to it names ("picture-{pk}"):
    # where_is() needs it.
    item_anchor: str

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

    def asks_where(self) -> bool:
        return AT in self.request.GET

    def where_is(self, queryset: SteppedQuerySet) -> HttpResponse:
        """
        Where `?at=<id>` is in the list as this viewer sees it: the address of its step with
        its anchor, in a step-found event for htmx (204), a redirect for anyone else; 404 when
        the list does not hold it, 400 for what is no id.
        """
        asked = self.request.GET[AT]
        if not (asked.isascii() and asked.isdigit()) or int(asked) > LARGEST:
            raise BadRequest("An item is named by a whole number, as in at=123.")
        pk = int(asked)
        place = queryset.place_of(pk, settings.PORTFOLIO_STEP_SIZE)
        if place is None:
            raise Http404("This list holds no such item.")
        url = f"{self.step_url(place.after)}#{self.item_anchor.format(pk=pk)}"
        if not wants_fragment(self.request):
            return HttpResponseRedirect(url)
        near = place.step <= settings.PORTFOLIO_STEPS_LOADED_FOR_A_LINK
        return step_found(HttpResponse(status=204), url=url, step=place.step, near=near)

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
        query.pop(AT, None)
        if cursor:
            query[AFTER] = cursor
        return f"{self.request.path}?{query.urlencode()}" if query else self.request.path

    def wants_step(self) -> bool:
        return wants_fragment(self.request) and AFTER in self.request.GET

    def get_template_names(self) -> list[str]:
        if self.wants_step():
            return [self.step_template_name]
        return super().get_template_names()
