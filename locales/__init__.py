"""The gettext catalogs: messages.pot and <lang>/LC_MESSAGES/messages.po, shipped as package data
with their compiled .mo (compiled when the package is built, see setup.py)."""
