"""Methods that send files: voice, audio, photo, document."""

from __future__ import annotations

import mimetypes
from typing import Any

from .messages import caption_content, post_from_bot
from .protocol import Call, Handler, Upload, bad_request, method

# kind -> (mime type when the upload names none, extra fields taken from the call)
MEDIA = {
    "voice": ("audio/ogg", ("duration",)),
    "audio": ("audio/mpeg", ("duration", "title", "performer")),
    "document": ("application/octet-stream", ()),
    "photo": ("image/jpeg", ()),
}


def _mime_type(kind: str, upload: Upload | None, name: str | None) -> str | None:
    """Telegram sniffs the type itself; clients often just say application/octet-stream."""
    if kind == "voice":
        return None  # voice notes are always OGG/Opus
    if upload and upload.content_type not in ("", "application/octet-stream"):
        return upload.content_type
    return mimetypes.guess_type(name or "")[0]


def _upload(call: Call, kind: str, upload: Upload | None, name: str | None) -> Any:
    """Register a new file, uploaded or fetched by URL, and return its Telegram object."""
    files = call.world.files
    data = upload.data if upload else None
    if kind == "photo":
        return files.new_photo(data)
    default_mime, fields = MEDIA[kind]
    meta: dict[str, Any] = {"mime_type": _mime_type(kind, upload, name) or default_mime}
    if kind in ("document", "audio") and name:
        meta["file_name"] = name
    for field in fields:
        if call.get(field) is not None:
            meta[field] = call.get(field)
    if kind in ("voice", "audio"):
        meta.setdefault("duration", 1)  # Telegram reads it from the file; tests rarely care
    return files.new(kind, data, **meta)


def _known(call: Call, kind: str, file_id: str) -> Any:
    stored = call.world.files.find(file_id)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
    return stored.group if stored.group is not None else stored.meta


def resolve_file(call: Call, kind: str) -> Any:
    """The file object for `kind`: an upload, an attach:// part, a URL or a known file_id."""
    value = call.get(kind)
    if value is None or value == "":
        raise bad_request(f"there is no {kind} in the request")
    if isinstance(value, str) and value.startswith("attach://"):
        value = call.get(value.removeprefix("attach://"))
        if not isinstance(value, Upload):
            raise bad_request("wrong HTTP URL specified")
    if isinstance(value, Upload):
        return _upload(call, kind, value, value.filename)
    if not isinstance(value, str):
        raise bad_request(f"wrong type of the {kind} field")
    if value.startswith(("http://", "https://")):
        return _upload(call, kind, None, value.rstrip("/").rsplit("/", 1)[-1])
    return _known(call, kind, value)


def _sender(kind: str) -> Handler:
    async def send_media(call: Call) -> dict[str, Any]:
        chat = call.world.writable_chat(call.require("chat_id"))
        content = {kind: resolve_file(call, kind), **caption_content(call)}
        return post_from_bot(call, chat, content)

    send_media.__doc__ = f"send{kind.title()}: a message with a {kind}."
    return send_media


for _kind in MEDIA:
    method(f"send{_kind.title()}")(_sender(_kind))


@method("getFile")
async def get_file(call: Call) -> dict[str, Any]:
    """A file's path for downloading under /file/bot<token>/<path>."""
    file_id = str(call.require("file_id"))
    stored = call.world.files.find(file_id)
    if stored is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    meta = stored.meta
    return {
        "file_id": file_id,
        "file_unique_id": meta["file_unique_id"],
        "file_size": meta["file_size"],
        "file_path": f"{stored.kind}s/{file_id}",
    }
