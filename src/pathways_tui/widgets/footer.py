"""A Footer that rebuilds itself only when the keys it shows change.

Textual's Footer recomposes (unmounts and mounts one widget per key) on every bindings refresh,
and Textual refreshes bindings on every focus change. Measured in the wizard: about eight
recomposes per answer, a large share of answer -> next question latency. This one compares what it
would show: when only enabled/greyed-out states change it updates the keys in place, and when
nothing changed it does nothing.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as _Footer
from textual.widgets._footer import FooterKey

__all__ = ["Footer"]


class Footer(_Footer):
    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if not (self.is_attached and screen is self.screen):
            return
        active = [b for b in screen.active_bindings.values() if b.binding.show]
        shown = tuple((b.binding.key, b.binding.action, b.binding.description) for b in active)
        if shown != self._shown:
            self._shown = shown
            self.call_after_refresh(self.recompose)
            return
        enabled = {(b.binding.key, b.binding.action): b.enabled for b in active}
        for key in self.query(FooterKey):
            state = enabled.get((key.key, key.action))
            if state is not None and key._disabled == state:
                key._disabled = not state
                key.set_class(not state, "-disabled")
                key.refresh()
