"""Screens of the wizard: start, questions, checklist, rule-base errors, and small dialogs."""
