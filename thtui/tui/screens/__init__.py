"""Screens: thin views over thtui.core, fed by the App's state and signals."""
