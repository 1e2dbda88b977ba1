"""
Long lists read in steps: a first screen's worth, then each next one after the last shown.

A step is found by keyset on its list's order (the values of the last item shown, the
cursor), never by an OFFSET, which reads every row it skips: the tenth step costs what the
first does. The querysets that list in steps (pictures, the studio's projects) say how their
order is cut (SteppedQuerySet).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import models

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Beyond, SQLite overflows (a 500): a cursor holds only what a row may hold.
LARGEST = 2**63 - 1


class InvalidCursor(ValueError):
    """A cursor this list never handed out: not its shape, or values no row can hold."""


@dataclass(frozen=True)
class Step:
    items: list
    after: str  # The cursor this step starts after: "" for the first.
    next_cursor: str  # Where the next step starts: "" for the last.

    @property
    def is_first(self) -> bool:
        return not self.after


@dataclass(frozen=True)
class Place:
    """Where an item is in a list read in steps (SteppedQuerySet.place_of)."""

    index: int  # Its place in the list, from 0.
    step: int  # Its step's, from 0 (the first).
    after: str  # The cursor its step starts after, as the More links name it: "" for the first.


class SteppedQuerySet(models.QuerySet):
    """A queryset read in steps: its subclass names its order and how a cursor cuts it."""

    # Two fields, the last one unique: the list's order, "-" for descending.
    step_order: tuple[str, str]

    def step(self, after: str, size: int) -> Step:
        """The `size` items after the cursor `after` ("": from the start), in one query."""
        items = self.after(after) if after else self.order_by(*self.step_order)
        items = list(items[: size + 1])  # One more tells whether another step follows.
        next_cursor = self.cursor_of(items[size - 1]) if len(items) > size else ""
        return Step(items[:size], after, next_cursor)

    def place_of(self, pk: int, size: int) -> Place | None:
        """
        Where the item `pk` is, read in steps of `size`; None when this list does not hold it.
        Three queries at most, whatever the list holds: the item, a count of those before it
        (one range on the list's index), and the last item of the step before its own,
        counted back from it (at most `size` rows).
        """
        names = [field.lstrip("-") for field in self.step_order]
        values = self.filter(pk=pk).values_list(*names).first()
        if values is None:
            return None
        earlier = self.after_values(*values, backwards=True)
        index = earlier.order_by().count()
        step, index_in_step = divmod(index, size)
        if step == 0:
            return Place(index, step, "")
        nearest_first = earlier.order_by(*(_reversed(field) for field in self.step_order))
        # The last item of the step before its own.
        step_after = nearest_first.values_list(*names)[index_in_step]
        return Place(index, step, _cursor(step_after))

    def count_before(self, item: models.Model) -> int:
        """How many come before `item` in the list's order: a count of one range on its index."""
        values = (getattr(item, field.lstrip("-")) for field in self.step_order)
        return self.after_values(*values, backwards=True).order_by().count()

    def after(self, cursor: str) -> "SteppedQuerySet":
        """Those after the item the cursor names, in order; InvalidCursor if it names none."""
        first, second = self.parse_cursor(cursor)
        return self.after_values(first, second).order_by(*self.step_order)

    def before(self, cursor: str) -> "SteppedQuerySet":
        """Those before the item the cursor names, nearest first (the list's order reversed)."""
        first, second = self.parse_cursor(cursor)
        return self.after_values(first, second, backwards=True).order_by(
            *(_reversed(field) for field in self.step_order)
        )

    def after_values(self, first, second, *, backwards: bool = False) -> "SteppedQuerySet":
        """
        Those after (first, second) in the list's order (before it, backwards): one range on
        its index, `first` bounding the range (an OR of the two would not), the ties on
        `first` settled by `second`.
        """
        order = [_reversed(field) for field in self.step_order] if backwards else self.step_order
        (first_name, first_op), (second_name, second_op) = map(_lookup, order)
        from_first = {"gt": "gte", "lt": "lte"}[first_op]
        not_past_second = {"gt": "lte", "lt": "gte"}[second_op]
        return self.filter(**{f"{first_name}__{from_first}": first}).exclude(
            **{first_name: first, f"{second_name}__{not_past_second}": second}
        )

    def cursor_of(self, item: models.Model) -> str:
        return _cursor(getattr(item, field.lstrip("-")) for field in self.step_order)

    def parse_cursor(self, cursor: str) -> tuple:
        parts = cursor.split(".")
        if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
            raise InvalidCursor("A cursor is two whole numbers, as in 12.345.")
        numbers = [int(part) for part in parts]
        if any(number > LARGEST for number in numbers):
            raise InvalidCursor("That cursor is beyond any item.")
        names = (field.lstrip("-") for field in self.step_order)
        return tuple(
            self._from_number(name, number) for name, number in zip(names, numbers, strict=True)
        )

    def _from_number(self, name: str, number: int):
        if isinstance(self.model._meta.get_field(name), models.DateTimeField):
            try:
                return EPOCH + timedelta(microseconds=number)
            except OverflowError:
                raise InvalidCursor("That cursor is beyond any date.") from None
        return number


def _reversed(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def _lookup(field: str) -> tuple[str, str]:
    return (field[1:], "lt") if field.startswith("-") else (field, "gt")


def _cursor(values) -> str:
    return ".".join(str(_as_number(value)) for value in values)


def _as_number(value) -> int:
    """A cursor's value as a whole number: a date as microseconds since 1970."""
    if isinstance(value, datetime):
        return (value - EPOCH) // timedelta(microseconds=1)
    return int(value)
