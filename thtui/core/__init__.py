"""All of thtui's logic. Never imports Textual: the CLI and the TUI are thin twins over this package."""
