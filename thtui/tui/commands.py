"""Command palette (ctrl+p): every screen, every key-bound action of every screen, and per-solution
commands ("Install sadtalker"). Generated from the bindings, so a new key is searchable automatically."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from thtui.tui.app import ThtuiApp

SOLUTION_ACTIONS = (
    ("install", "Install", "clone, create its env, download weights, verify"),
    ("reinstall", "Reinstall", "redo every setup step from scratch"),
    ("verify", "Verify", "re-check the env imports, weights and a smoke test"),
    ("uninstall", "Uninstall", "delete its clone, env and private weights"),
)


class ThtuiCommands(Provider):
    @property
    def tapp(self) -> ThtuiApp:
        return cast("ThtuiApp", self.app)

    def commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = self.tapp
        for title_mode, cls in app.MODES.items():
            title = title_mode.capitalize()
            yield f"Go to {title}", f"switch to the {title} screen", partial(app.switch_mode, title_mode)
            for binding in Binding.make_bindings(getattr(cls, "BINDINGS", [])):
                if not binding.description:
                    continue
                yield (
                    f"{title}: {binding.description}",
                    f"key {app.get_key_display(binding)} on the {title} screen",
                    partial(self._run_on_mode, title_mode, binding.action),
                )
        yield "Help", "list every key (F1 or ?)", app.action_help
        # No "Quit" here: Textual's system commands already list one, and it calls the app's action_quit,
        # which asks before stopping running work. Two entries read as two different ways out.
        for loaded in app.catalog:
            name = loaded.name
            if loaded.solution.kind == "builtin":
                continue
            for action, verb, why in SOLUTION_ACTIONS:
                yield f"{verb} {name}", why, partial(self._solution_action, name, action)
            yield f"Show install log of {name}", "the full setup log", partial(self._show_log, name)
            yield (
                f"Cancel install of {name}",
                "stop its running setup step",
                partial(app.cancel_install, name),
            )

    def _run_on_mode(self, mode: str, action: str) -> None:
        app = self.tapp
        if app.current_mode != mode:
            app.switch_mode(mode)
        app.call_after_refresh(app.screen.run_action, action)

    def _solution_action(self, name: str, action: str) -> None:
        self.tapp.switch_mode("solutions")
        self.tapp.call_after_refresh(self.tapp.screen.run_action, f"solution_action('{name}', '{action}')")

    def _show_log(self, name: str) -> None:
        self.tapp.switch_mode("solutions")
        self.tapp.call_after_refresh(self.tapp.screen.run_action, f"show_log('{name}')")

    async def discover(self) -> Hits:
        for title, help_text, callback in self.commands():
            if title.startswith("Go to") or title == "Help":
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
