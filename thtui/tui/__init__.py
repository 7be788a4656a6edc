"""The Textual UI: a thin layer over thtui.core (same APIs and events as the CLI)."""
