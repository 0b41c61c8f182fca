"""Services: plain Python domain logic, no Telegram types."""
