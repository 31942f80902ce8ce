"""The ``keys create|list|revoke`` commands: the API keys in the live state (never shown again, stored hashed)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from islandcover.cli._common import Parser, open_store, state_args
from islandcover.clock import beijing_text

__all__ = ["add_commands", "cmd_keys_create", "cmd_keys_list", "cmd_keys_revoke"]


def _key_id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18 and int(text) > 0):
        raise argparse.ArgumentTypeError(f"'{text}' is not a key id (a whole number from `islandcover keys list`)")
    return int(text)


def cmd_keys_create(args: argparse.Namespace) -> int:
    """Create an API key; print it once (only its hash is stored)."""
    store = open_store(args)
    try:
        key = store.create_key(args.role, label=args.label)
        where = store.engine.url.render_as_string(hide_password=True)
    finally:
        store.close()
    print(key)
    print(f"  {args.role} key created in {where}; it is shown only now (only its SHA-256 is stored). "
          "Send it as the X-API-Key header.", file=sys.stderr)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    """List the API keys: id, role, label, created, revoked (never the key, which is not stored)."""
    store = open_store(args)
    try:
        keys = store.list_keys()
    finally:
        store.close()
    if args.json:
        print(json.dumps([k.to_dict() for k in keys], ensure_ascii=False, indent=2))
        return 0
    if not keys:
        print("no API keys (create one with `islandcover keys create --role dispatcher|planner`)")
        return 0
    def when(t: str | None) -> str:
        return beijing_text(t, year=True, zone=False) if t else "-"

    rows = [(str(k.id), k.role, k.label or "", when(k.created_at), when(k.revoked_at)) for k in keys]
    head = ("id", "role", "label", "created (BJT)", "revoked (BJT)")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    """Revoke an API key by id: from then on the API answers it with 401."""
    store = open_store(args)
    try:
        key, now = store.revoke_key(args.id)
    finally:
        store.close()
    label = f" ({key.label})" if key.label else ""
    if now:
        print(f"revoked {key.role} key {key.id}{label}; requests with it now get 401")
    else:
        revoked = beijing_text(key.revoked_at, year=True) if key.revoked_at else "an unknown time"
        print(f"{key.role} key {key.id}{label} was already revoked at {revoked}")
    return 0


def add_commands(sub: Any) -> None:
    """Register ``keys`` on the subparsers object ``sub``."""
    p = sub.add_parser("keys", help="API keys")
    keys = p.add_subparsers(dest="keys_command", required=True, parser_class=Parser)
    p = keys.add_parser("create", help="create an API key and print it once")
    p.add_argument("--role", choices=("dispatcher", "planner"), required=True,
                   help="dispatcher: incidents and teams; planner: scenarios and siting")
    p.add_argument("--label", default=None, help="a note on whose key it is")
    state_args(p)
    p.set_defaults(func=cmd_keys_create)
    p = keys.add_parser("list", help="list the API keys: id, role, label, created, revoked (never the key)")
    p.add_argument("--json", action="store_true", help="print JSON")
    state_args(p)
    p.set_defaults(func=cmd_keys_list)
    p = keys.add_parser("revoke", help="revoke an API key by id (see `keys list`); the API then answers it with 401")
    p.add_argument("id", type=_key_id, metavar="ID", help="the key's id, from `islandcover keys list`")
    state_args(p)
    p.set_defaults(func=cmd_keys_revoke)
