"""The conversation vocabulary (inputs and outputs) and, from #4, the pure flow engine.

Nothing here imports Telegram, handlers or storage.
"""
