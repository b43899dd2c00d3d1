"""Widgets of the wizard: question inputs, answers sidebar, progress, route preview, checklist parts."""
