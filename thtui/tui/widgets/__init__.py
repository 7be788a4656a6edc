"""Reusable widgets. They only draw what they are given: no core calls, no I/O."""
