"""The coordinators' console: a web workplace served by the bot's own aiohttp server under
/console. Another face on the same services as the Telegram handlers (it never imports
`handlers/` nor Telegram types); it shows aliases, languages, topics, states and times, never
a parent's identity and never message content."""
