"""Generate the JSON test vectors in tests/ledger/vectors/ (run once; the files are committed).

    .venv/bin/python tests/ledger/make_vectors.py

Each case carries "wantErr": false for the happy path, otherwise true (proofs) or the expected
problem (notes, checkpoints). Everything is deterministic (Ed25519 signatures are, per RFC 8032),
so test_vectors.py also checks that this script still reproduces the committed files byte for
byte: a change in the ledger code that changes any vector fails loudly.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.hashing import leaf_hash
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.note import NoteSigner, cosign_note, sign_note
from showclear.ledger.proof import consistency_proof, inclusion_proof

VECTORS = Path(__file__).parent / "vectors"

TREE_SIZE = 300
LEAF_RULE = 'leaf hash i = SHA-256(0x00 || UTF-8 "vector leaf <i>"), i from 0'


def _leaves() -> list[bytes]:
    return [leaf_hash(f"vector leaf {i}".encode()) for i in range(TREE_SIZE)]


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def _spare_bit(b64: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = b64.rstrip("=")
    digit = alphabet[alphabet.index(last[-1]) ^ 1]
    return last[:-1] + digit + b64[len(last) :]


def _hexes(values: list[bytes]) -> list[str]:
    return [value.hex() for value in values]


def _signer(label: str) -> NoteSigner:
    # Test-only keys derived from a public label: never use such a key for anything real.
    seed = hashlib.sha256(f"showclear test vector key: {label}".encode()).digest()
    return NoteSigner(label, Ed25519PrivateKey.from_private_bytes(seed))


def inclusion_cases(tree: MerkleTree) -> list[dict[str, Any]]:
    claims = [(0, 1), (0, 8), (5, 8), (6, 7), (12, 13), (63, 64), (100, 257), (299, 300)]
    return [case for index, size in claims for case in _inclusion_cases(tree, index, size)]


def _inclusion_cases(tree: MerkleTree, index: int, size: int) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    proof = inclusion_proof(tree, index, size)
    leaf, root = tree.leaf(index), tree.root(size)

    def case(name: str, **changes: Any) -> None:
        values: dict[str, Any] = {
            "leafIndex": index,
            "treeSize": size,
            "leafHash": leaf.hex(),
            "proof": _hexes(proof),
            "root": root.hex(),
        }
        values.update(changes)
        cases.append({"name": f"{index}-of-{size}/{name}", **values, "wantErr": name != "ok"})

    case("ok")
    case("wrong-leaf", leafHash=tree.leaf((index + 1) % TREE_SIZE).hex())
    case("wrong-root", root=tree.root(size % TREE_SIZE + 1).hex())
    case("leaf-bit-@0", leafHash=_flip(leaf, 0).hex())
    case("root-bit-@255", root=_flip(root, 255).hex())
    case("index-plus-one", leafIndex=index + 1)
    case("size-times-two", treeSize=size * 2)
    case("trailing-garbage", proof=[*_hexes(proof), leaf.hex()])
    if proof:
        case("leaf-as-root-empty-proof", proof=[], root=leaf.hex())
        case("index-minus-one-mod-size", leafIndex=(index - 1) % size)
        case("truncated", proof=_hexes(proof[:-1]))
        for position in sorted({0, len(proof) - 1}):
            for bit in (3, 200):
                tampered = list(proof)
                tampered[position] = _flip(tampered[position], bit)
                case(f"modified-proof[{position}]-bit-@{bit}", proof=_hexes(tampered))
        case("short-hash", proof=[proof[0].hex()[:-2], *_hexes(proof[1:])])
    return cases


def consistency_cases(tree: MerkleTree) -> list[dict[str, Any]]:
    forked = MerkleTree([leaf_hash(b"rewritten"), *tree.levels[0][1:]])
    pairs = [(1, 2), (1, 8), (2, 5), (3, 7), (4, 8), (6, 8), (7, 300), (128, 257), (5, 5), (0, 5)]
    return [case for old, new in pairs for case in _consistency_cases(tree, forked, old, new)]


def _consistency_cases(
    tree: MerkleTree, forked: MerkleTree, old: int, new: int
) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    proof = consistency_proof(tree, old, new)
    old_root, new_root = tree.root(old), tree.root(new)

    def case(name: str, want_err: bool = True, **changes: Any) -> None:
        values: dict[str, Any] = {
            "size1": old,
            "size2": new,
            "root1": old_root.hex(),
            "root2": new_root.hex(),
            "proof": _hexes(proof),
        }
        values.update(changes)
        cases.append({"name": f"{old}-to-{new}/{name}", **values, "wantErr": want_err})

    case("ok", want_err=False)
    case("root1-bit-@7", root1=_flip(old_root, 7).hex())
    # The empty tree is a prefix of every tree, so any new root is consistent with it.
    case("root2-bit-@128", want_err=old > 0, root2=_flip(new_root, 128).hex())
    case("trailing-garbage", proof=[*_hexes(proof), old_root.hex()])
    if old > 0:
        case("forked-history", root1=forked.root(old).hex())
    if old < new:
        case("sizes-swapped", size1=new, size2=old, root1=new_root.hex(), root2=old_root.hex())
    if proof:
        case("truncated", proof=_hexes(proof[:-1]))
        case("empty-proof", proof=[])
        for position in sorted({0, len(proof) - 1}):
            tampered = list(proof)
            tampered[position] = _flip(tampered[position], 100)
            case(f"modified-proof[{position}]-bit-@100", proof=_hexes(tampered))
    return cases


def checkpoint_cases(tree: MerkleTree) -> list[dict[str, Any]]:
    root = tree.root(8)
    root_b64 = base64.b64encode(root).decode()
    good = Checkpoint("showclear.test/production/demo", 8, root).body()
    cases: list[dict[str, Any]] = [
        {
            "name": "ok",
            "body": good,
            "want": {"origin": "showclear.test/production/demo", "size": 8, "root": root.hex()},
            "wantErr": False,
        },
        {
            "name": "ok-with-extension-line",
            "body": good + "time 2025-03-01T10:00:00Z\n",
            "want": {"origin": "showclear.test/production/demo", "size": 8, "root": root.hex()},
            "wantErr": False,
        },
    ]
    bad = {
        "missing-final-newline": good[:-1],
        "two-lines": f"origin\n8\n{root_b64}\n".split("\n", 1)[1],
        "empty-origin": f"\n8\n{root_b64}\n",
        "leading-zero-size": f"o\n08\n{root_b64}\n",
        "signed-size": f"o\n+8\n{root_b64}\n",
        "hex-root": f"o\n8\n{root.hex()}\n",
        "unpadded-root": f"o\n8\n{root_b64.rstrip('=')}\n",
        "short-root": f"o\n8\n{base64.b64encode(root[:31]).decode()}\n",
        # The last base64 digit before "=" carries 2 unused bits; setting one changes nothing
        # decoded, so only the canonical spelling is accepted: one state, one body.
        "non-canonical-root-bits": f"o\n8\n{_spare_bit(root_b64)}\n",
        "empty-extension-line": good + "\n",
        "crlf": good.replace("\n", "\r\n"),
    }
    cases += [{"name": name, "body": body, "wantErr": True} for name, body in bad.items()]
    return cases


def note_cases() -> dict[str, Any]:
    node, studio, stranger = _signer("set-node"), _signer("studio"), _signer("stranger")
    body = Checkpoint("showclear.test/production/demo", 3, leaf_hash(b"x")).body()
    signed = sign_note(body, node)
    cosigned = cosign_note(signed, studio)
    both = [node.verifier.vkey(), studio.verifier.vkey()]
    sig_line = signed[len(body) + 1 :]

    def case(
        name: str, note: str, keys: list[str], want: list[str] | str, text: str = body
    ) -> dict[str, Any]:
        if isinstance(want, str):
            return {"name": name, "note": note, "verifierKeys": keys, "wantErr": want}
        return {
            "name": name,
            "note": note,
            "verifierKeys": keys,
            "wantBody": text,
            "wantSigners": want,
            "wantErr": False,
        }

    # The example note of golang.org/x/mod/sumdb/note (key, text and signature from its docs):
    # opening it proves the format is byte-compatible with the Go ecosystem.
    go_text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    go_note = (
        go_text + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
        "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    go_key = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    return {
        "keys": {
            "set-node": node.verifier.vkey(),
            "studio": studio.verifier.vkey(),
            "stranger": stranger.verifier.vkey(),
        },
        "cases": [
            case("ok", signed, [node.verifier.vkey()], ["set-node"]),
            case("ok-cosigned", cosigned, both, ["set-node", "studio"]),
            case("ok-cosigned-only-studio-trusted", cosigned, both[1:], ["studio"]),
            case("ok-unknown-extra-signature", cosign_note(signed, stranger), both, ["set-node"]),
            case("edited-body", signed.replace("\n3\n", "\n4\n"), both, "bad_signature"),
            case("edited-signature", signed[:-5] + "AAAA\n", both, "bad_signature"),
            case("wrong-key", signed, [stranger.verifier.vkey()], "unknown_key"),
            case("no-trusted-keys", cosigned, [], "unknown_key"),
            case("hyphen-not-em-dash", signed.replace("\u2014", "-"), both, "malformed"),
            case("no-blank-line", body + sig_line, both, "malformed"),
            case("no-signatures", body + "\n", both, "malformed"),
            case("signature-not-base64", signed[:-3] + "!!\n", both, "malformed"),
            case("control-character", signed.replace("demo", "de\tmo"), both, "malformed"),
            case("go-sumdb-note-example", go_note, [go_key], ["PeterNeumann"], go_text),
        ],
    }


def build() -> dict[str, str]:
    """File name -> exact file content."""
    tree = MerkleTree(_leaves())
    documents: dict[str, Any] = {
        "inclusion.json": {
            "description": "RFC 9162 §2.1.3 inclusion proofs; " + LEAF_RULE,
            "cases": inclusion_cases(tree),
        },
        "consistency.json": {
            "description": "RFC 9162 §2.1.4 consistency proofs; " + LEAF_RULE,
            "cases": consistency_cases(tree),
        },
        "checkpoint.json": {
            "description": "C2SP tlog-checkpoint bodies; roots from " + LEAF_RULE,
            "cases": checkpoint_cases(tree),
        },
        "note.json": {
            "description": "C2SP signed notes with Ed25519 (test-only keys)",
            **note_cases(),
        },
    }
    return {
        name: json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        for name, document in documents.items()
    }


def main() -> None:
    VECTORS.mkdir(exist_ok=True)
    for name, content in build().items():
        (VECTORS / name).write_text(content, encoding="utf-8")
        print(f"wrote {VECTORS / name}")


if __name__ == "__main__":
    main()
