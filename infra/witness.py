"""A witness (issue 16 item 2): another party's process that co-signs the log's checkpoints
after checking, over the HTTP API alone, that the log grew consistently from what it saw.

The county audit bureau runs one (`supervision witness run`) with an auditor's token, the
log's public key (obtained out of band) and a key of its own. Each round it reads the newest
chained checkpoint, checks its signature, and — against its own record of the last one it
co-signed (a file beside its key, never in the service's database) — that it names the same
log, is not older, and that the RFC 9162 consistency proof the service answers leads from
the root it co-signed to the new signed root. Only then does it sign the checkpoint's digest
and post the co-signature. A rewritten, cut or forked log gets none, and the refusal is
logged. Verifiers can then demand M of N named witnesses (docs/audit.md §9).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NoReturn

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.chain import hasher
from infra.checkpoints import SignerState
from infra.merkle import verify_consistency
from infra.signing import cosign, key_id, message_of, public_key_raw, timestamp, verify_checkpoint

log = logging.getLogger(__name__)
PAGE = 200


class WitnessRefused(RuntimeError):
    """The log does not extend what this witness co-signed before: nothing is co-signed."""


class WitnessUnreachable(RuntimeError):
    """The service could not be asked (down, a bad token, an unexpected answer)."""


def refuse(problem: str) -> NoReturn:
    log.error("witness refused to co-sign", extra={"problem": problem})
    raise WitnessRefused(problem)


class Witness:
    """One witness: its HTTP client (base URL and an auditor's token), the log's pinned key,
    its own key, and its record of what it co-signed last."""

    def __init__(
        self, client: httpx.Client, log_key: bytes, key: Ed25519PrivateKey, record: Path
    ) -> None:
        self.client, self.log_key, self.key = client, log_key, key
        self.record = SignerState(record)
        self.key_id = key_id(public_key_raw(key))

    def ask(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise WitnessUnreachable(f"{method} {path}: {error}") from None
        if answer.status_code >= 300:
            raise WitnessUnreachable(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def newest(self) -> dict[str, Any] | None:
        """The newest chained checkpoint the service lists, if any."""
        newest, cursor = None, None
        while True:
            params: dict[str, Any] = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            page = self.ask("GET", "/api/v1/audit/checkpoints", params=params)
            newest = next((cp for cp in reversed(page["items"]) if cp["version"] == 2), newest)
            cursor = page["next_cursor"]
            if cursor is None:
                return newest

    def round(self) -> dict[str, Any] | None:
        """Check the newest checkpoint and co-sign it; the co-signature posted, or None when
        there is nothing new. Raises WitnessRefused, WitnessUnreachable."""
        cp = self.newest()
        if cp is None:
            return None
        if not verify_checkpoint(cp, self.log_key):
            refuse(f"checkpoint {cp['seq']} is not signed by the log's key")
        digest = hasher(cp["algorithm"])(message_of(cp)).hex()
        last = self.record.load()
        if last is None:
            log.warning(
                "the witness trusts the log on first use",
                extra={"seq": cp["seq"], "size": cp["index"]},
            )
        elif self.extends(last, cp, digest):
            return None  # co-signed already
        made = cosign(self.key, digest, timestamp())
        body = {k: made[k] for k in ("public_key", "signature", "signed_at")}
        self.ask("POST", f"/api/v1/audit/checkpoints/{cp['seq']}/cosignatures", json=body)
        self.record.write(
            {"log_id": cp["log_id"], "seq": cp["seq"], "index": cp["index"], "root": cp["root"],
             "digest": digest, "algorithm": cp["algorithm"], "signed_at": made["signed_at"]}
        )  # fmt: skip
        log.info("witness co-signed", extra={"seq": cp["seq"], "size": cp["index"]})
        return {"seq": cp["seq"], **made}

    def extends(self, last: dict[str, Any], cp: dict[str, Any], digest: str) -> bool:
        """Refuse unless checkpoint `cp` extends the one co-signed last; True when it is that
        very one (nothing to do)."""
        if cp["log_id"] != last["log_id"]:
            refuse(f"checkpoint {cp['seq']} names another log than the one this witness follows")
        if cp["seq"] < last["seq"] or cp["index"] < last["index"]:
            refuse(
                f"the newest checkpoint is number {cp['seq']} at size {cp['index']}, but this "
                f"witness co-signed number {last['seq']} at size {last['index']}: the log or its "
                "checkpoints went back"
            )
        if cp["seq"] == last["seq"]:
            if digest != last["digest"]:
                refuse(f"checkpoint {cp['seq']} changed since this witness co-signed it")
            return True
        h = hasher(cp["algorithm"])
        old_root, new_root = bytes.fromhex(last["root"]), bytes.fromhex(cp["root"])
        if cp["index"] == last["index"]:
            if old_root != new_root:
                refuse(f"checkpoint {cp['seq']} signs another tree of the same size: a fork")
            return False
        proof = self.ask(
            "GET",
            "/api/v1/audit/proofs/consistency",
            params={"from": last["index"], "to": cp["index"]},
        )
        nodes = [bytes.fromhex(node) for node in proof["proof"]]
        if not verify_consistency(h, last["index"], cp["index"], old_root, new_root, nodes):
            refuse(
                f"the log of checkpoint {cp['seq']} (size {cp['index']}) does not extend the one "
                f"this witness co-signed (size {last['index']}): it was rewritten"
            )
        return False
