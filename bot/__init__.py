"""Tussen In bot: wiring of settings, storage, services and the Telegram application."""
