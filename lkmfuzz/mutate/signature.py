"""Signature mutators: targeted damage to a module's appended signature.

Each mutator is a pure, deterministic function ``bytes -> bytes`` aimed at one check
of ``module_sig_check()`` / ``verify_pkcs7_signature()``; its docstring says which,
and the verdict Linux 6.1 gives (with the signer trusted, unless it says otherwise).
A mutator that needs a signature to damage signs an unsigned input first, with
``lkmfuzz.keys.unknown_signer()`` — a fixed RSA key derived from a seed, so results
replay exactly, and a key no keyring trusts.  On input an earlier mutation already broke,
a structural edit that cannot find its target damages a byte of the PKCS#7 instead:
every mutator returns bytes, and changes them (``strip_signature`` of an unsigned
module is the one exception: there is nothing to strip).

``SIGNATURE_MUTATORS`` lists them; ``signature_operator`` adapts them to the
``(data, rng, ctx)`` protocol of ``mutate.structured``.
"""

import dataclasses
import hashlib
import random
from dataclasses import dataclass

from ..keys import unknown_certificate, unknown_signer
from ..loader.signing import MODULE_SIG_STRING, MODULE_SIGNATURE, ModuleSignature, split_signature
from ..sign import (
    TAG_CONTEXT_0,
    TAG_INTEGER,
    TAG_OCTET_STRING,
    TAG_OID,
    TAG_SEQUENCE,
    TAG_SET,
    der_length,
    der_oid,
    der_read,
    pkcs7_sign,
    signer_info,
)

MARKER_LEN = len(MODULE_SIG_STRING)
TRAILER_LEN = MODULE_SIGNATURE.size
MAX_TREE_DEPTH = 24                   # deeper than any real PKCS#7; bounds recursion on junk
ASN1_MAX_DATALEN = 65535              # asn1_ber_decoder(): larger is EMSGSIZE
TAG_CONTEXT_1, TAG_LONG_FORM = 0xA1, 0x3F
PKEY_ID_PGP, PKEY_ID_X509 = 0, 1

OID = {name: der_oid(dotted)[2:] for name, dotted in {
    "data": "1.2.840.113549.1.7.1", "signed_data": "1.2.840.113549.1.7.2",
    "sha512_224": "2.16.840.1.101.3.4.2.5", "sm3": "1.2.156.10197.1.401", "md5": "1.2.840.113549.2.5",
    "sha256WithRSAEncryption": "1.2.840.113549.1.1.11", "ecdsa_with_sha256": "1.2.840.10045.4.3.2",
    "contentType": "1.2.840.113549.1.9.3", "messageDigest": "1.2.840.113549.1.9.4",
    "signingTime": "1.2.840.113549.1.9.5"}.items()}

# --- the signed module: module | pkcs7 | trailer | marker ------------------------------

DEFAULT_TRAILER = ModuleSignature(0, 0, 2, 0, 0, b"\0\0\0", 0)


def _split(data: bytes) -> tuple[bytes, ModuleSignature, bytes]:
    """(module, trailer, pkcs7); an input that is not a well-formed signed module is
    treated as the module and signed with the unknown key."""
    parts = split_signature(data)
    if parts is not None:
        return parts
    return data, DEFAULT_TRAILER, pkcs7_sign(data, unknown_signer())


def _join(module: bytes, trailer: ModuleSignature, pkcs7: bytes, sig_len: int | None = None) -> bytes:
    """Reassemble, keeping the trailer's other fields (mutations compose)."""
    trailer = dataclasses.replace(trailer, sig_len=len(pkcs7) if sig_len is None else sig_len)
    return module + pkcs7 + trailer.pack() + MODULE_SIG_STRING


def _signed(data: bytes) -> bytes:
    """data if it ends in a marker with room for a trailer, else data signed by the unknown key."""
    if data.endswith(MODULE_SIG_STRING) and len(data) >= MARKER_LEN + TRAILER_LEN:
        return data
    return _join(*_split(data))


def _set_trailer(data: bytes, **fields) -> bytes:
    """Rewrite fields of struct module_signature in place (even where sig_len is already bad)."""
    data = _signed(data)
    at = len(data) - MARKER_LEN - TRAILER_LEN
    trailer = dataclasses.replace(ModuleSignature.unpack(data[at:at + TRAILER_LEN]), **fields)
    return data[:at] + trailer.pack() + MODULE_SIG_STRING


def _modlen(data: bytes) -> int:
    """info->len once the marker is cut off: what mod_check_sig() measures sig_len against."""
    return len(data) - MARKER_LEN


# --- trailer and marker ----------------------------------------------------------------

def strip_signature(data: bytes) -> bytes:
    """The module alone, as if never signed: ENODATA — loads tainted E, EKEYREJECTED under
    sig_enforce."""
    parts = split_signature(data)
    return parts[0] if parts else data


def truncate_marker(data: bytes) -> bytes:
    """Drop the marker's final newline: the marker no longer matches, so the module is
    unsigned (ENODATA) and carries its signature as trailing garbage."""
    return _signed(data)[:-1]


def damage_marker(data: bytes) -> bytes:
    """"~Module" -> "~module": memcmp() of the marker fails; unsigned (ENODATA)."""
    data = _signed(data)
    at = len(data) - MARKER_LEN + 1
    return data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1:]


def drop_trailer(data: bytes) -> bytes:
    """Remove struct module_signature but keep the marker: the last 12 bytes of the PKCS#7
    are read as the struct (usually EBADMSG or ENOPKG from mod_check_sig)."""
    data = _signed(data)
    at = len(data) - MARKER_LEN - TRAILER_LEN
    return data[:at] + MODULE_SIG_STRING


def truncate_pkcs7(data: bytes) -> bytes:
    """Keep the first half of the PKCS#7 with sig_len saying so: consistent framing,
    truncated DER — EBADMSG from asn1_ber_decoder."""
    module, trailer, pkcs7 = _split(data)
    return _join(module, trailer, pkcs7[:len(pkcs7) // 2])


def _sig_len(data: bytes) -> int:
    """The sig_len of a signed module's trailer."""
    return ModuleSignature.unpack(data[-MARKER_LEN - TRAILER_LEN:-MARKER_LEN]).sig_len


def sig_len_zero(data: bytes) -> bytes:
    """sig_len = 0: an empty PKCS#7 and 12 bytes of module parsed as one — EBADMSG."""
    return _set_trailer(data, sig_len=0)


def sig_len_one(data: bytes) -> bytes:
    """sig_len = 1: one byte is not a DER element — EBADMSG."""
    return _set_trailer(data, sig_len=1)


def sig_len_huge(data: bytes) -> bytes:
    """sig_len = 0xffffffff: larger than the file — EBADMSG (mod_check_sig)."""
    return _set_trailer(data, sig_len=0xFFFFFFFF)


def sig_len_minus_one(data: bytes) -> bytes:
    """sig_len one short: the PKCS#7 loses its first byte to the module — EBADMSG."""
    data = _signed(data)
    return _set_trailer(data, sig_len=max(_sig_len(data) - 1, 0))


def sig_len_plus_one(data: bytes) -> bytes:
    """sig_len one long: the module's last byte is read as the PKCS#7's tag — EBADMSG."""
    data = _signed(data)
    return _set_trailer(data, sig_len=(_sig_len(data) + 1) & 0xFFFFFFFF)


def sig_len_whole_file(data: bytes) -> bytes:
    """sig_len = modlen - 12, the first value mod_check_sig() refuses — EBADMSG."""
    data = _signed(data)
    return _set_trailer(data, sig_len=max(_modlen(data) - TRAILER_LEN, 0))


def sig_len_max_fit(data: bytes) -> bytes:
    """sig_len = modlen - 13, the largest that fits: the ELF header becomes the PKCS#7
    (0x7f is a long-form tag) — EBADMSG from the decoder, not mod_check_sig."""
    data = _signed(data)
    return _set_trailer(data, sig_len=max(_modlen(data) - TRAILER_LEN - 1, 0))


def id_type_pgp(data: bytes) -> bytes:
    """id_type = PKEY_ID_PGP: "not signed with expected PKCS#7 message" — ENOPKG (soft)."""
    return _set_trailer(data, id_type=PKEY_ID_PGP)


def id_type_x509(data: bytes) -> bytes:
    """id_type = PKEY_ID_X509 — ENOPKG (soft)."""
    return _set_trailer(data, id_type=PKEY_ID_X509)


def nonzero_algo(data: bytes) -> bytes:
    """module_signature.algo = 1 — EBADMSG ("unexpected non-zero params")."""
    return _set_trailer(data, algo=1)


def nonzero_hash(data: bytes) -> bytes:
    """module_signature.hash = 4 — EBADMSG."""
    return _set_trailer(data, hash=4)


def nonzero_signer_len(data: bytes) -> bytes:
    """module_signature.signer_len = 0xff — EBADMSG."""
    return _set_trailer(data, signer_len=0xFF)


def nonzero_key_id_len(data: bytes) -> bytes:
    """module_signature.key_id_len = 20 — EBADMSG."""
    return _set_trailer(data, key_id_len=20)


def nonzero_pad(data: bytes) -> bytes:
    """A non-zero byte in module_signature.__pad — EBADMSG."""
    return _set_trailer(data, pad=b"\0\0\x01")


# --- the PKCS#7 as a DER tree -----------------------------------------------------------

@dataclass
class Node:
    """One DER element: primitive (value) or constructed (children), and how to encode it."""
    tag: int
    value: bytes = b""
    children: list["Node"] | None = None
    indefinite: bool = False          # BER 0x80 ... 00 00 (constructed only)
    length_bytes: int = 0             # force the long form with this many length octets
    length_delta: int = 0             # lie about the length by this much

    def encode(self) -> bytes:
        body = self.value if self.children is None else b"".join(c.encode() for c in self.children)
        if self.indefinite and self.children is not None:
            return bytes([self.tag, 0x80]) + body + b"\0\0"
        length = max(len(body) + self.length_delta, 0)
        if self.length_bytes:
            head = bytes([0x80 | self.length_bytes]) + length.to_bytes(self.length_bytes, "big")
        else:
            head = der_length(length)
        return bytes([self.tag]) + head + body


def parse_tree(data: bytes, start: int = 0, end: int | None = None, depth: int = 0) -> Node:
    """The DER element at start as a Node tree; ValueError if it is not definite-length DER."""
    return _parse_element(data, der_read(data, start, end), depth)


def _parse_element(data: bytes, elem, depth: int) -> Node:
    if depth > MAX_TREE_DEPTH:
        raise ValueError("nested too deeply")
    if not elem.tag & 0x20:
        return Node(elem.tag, data[elem.value:elem.end])
    children: list[Node] = []
    pos = elem.value
    while pos < elem.end:
        child = der_read(data, pos, elem.end)
        children.append(_parse_element(data, child, depth + 1))
        pos = child.end
    return Node(elem.tag, children=children)


def _child(node: Node, index: int, tag: int | None = None) -> Node:
    if node.children is None or not -len(node.children) <= index < len(node.children):
        raise ValueError("no such child")
    child = node.children[index]
    if tag is not None and child.tag != tag:
        raise ValueError(f"tag {child.tag:#x}, expected {tag:#x}")
    return child


def _elements(node: Node) -> list[Node]:
    """A constructed node's children; ValueError (as from _child) for a primitive one."""
    if node.children is None:
        raise ValueError(f"tag {node.tag:#x} is not constructed")
    return node.children


def signed_data(root: Node) -> Node:
    """ContentInfo.content [0] -> SignedData."""
    return _child(_child(root, 1, TAG_CONTEXT_0), 0, TAG_SEQUENCE)


def signer_infos(root: Node) -> Node:
    infos = _child(signed_data(root), -1)
    if infos.children is None:
        raise ValueError("SignerInfos is not constructed")
    return infos


def first_signer_info(root: Node) -> Node:
    return _child(signer_infos(root), 0, TAG_SEQUENCE)


def _signer_field(root: Node, tag: int, nth: int = 0) -> Node:
    """The nth child of the first SignerInfo with this tag (after version and sid)."""
    matches = [c for c in _elements(first_signer_info(root))[2:] if c.tag == tag]
    if len(matches) <= nth:
        raise ValueError("SignerInfo field not found")
    return matches[nth]


def _damage(pkcs7: bytes) -> bytes:
    """The fallback edit: flip the middle byte (or produce one byte if there are none)."""
    if not pkcs7:
        return b"\0"
    mid = len(pkcs7) // 2
    return pkcs7[:mid] + bytes([pkcs7[mid] ^ 0xFF]) + pkcs7[mid + 1:]


def _edit_tree(data: bytes, edit) -> bytes:
    """Apply edit(root) to the PKCS#7 tree and reassemble the module around it."""
    module, trailer, pkcs7 = _split(data)
    try:
        root = parse_tree(pkcs7)
        edit(root)
        new = root.encode() + pkcs7[der_read(pkcs7, 0).end:]       # keep any trailing bytes
    except ValueError:
        new = _damage(pkcs7)
    if new == pkcs7:
        new = _damage(pkcs7)
    return _join(module, trailer, new)


def _flip_last(node: Node) -> None:
    if not node.value:
        raise ValueError("empty value")
    node.value = node.value[:-1] + bytes([node.value[-1] ^ 0x01])


# --- PKCS#7 structure -------------------------------------------------------------------

def pkcs7_outer_length_plus_one(data: bytes) -> bytes:
    """ContentInfo claims one byte more than there is — EBADMSG (data overrun)."""
    return _edit_tree(data, lambda root: setattr(root, "length_delta", 1))


def pkcs7_signer_info_length_minus_one(data: bytes) -> bytes:
    """A SignerInfo one byte shorter than its contents — EBADMSG (cons length error)."""
    return _edit_tree(data, lambda root: setattr(first_signer_info(root), "length_delta", -1))


def pkcs7_long_form_length(data: bytes) -> bytes:
    """The ContentInfo length in three octets: valid BER, but asn1_ber_decoder() takes at
    most two — EBADMSG ("Unsupported length")."""
    return _edit_tree(data, lambda root: setattr(root, "length_bytes", 3))


def _indefinite(node: Node, keep: list[Node]) -> None:
    if node.children is None or any(node is k for k in keep):
        return
    node.indefinite = True
    for child in node.children:
        _indefinite(child, keep)


def _algorithm_identifiers(root: Node) -> list[Node]:
    digests = _child(signed_data(root), 1, TAG_SET)
    signer = first_signer_info(root)
    return [*_elements(digests), *(c for c in _elements(signer)[2:] if c.tag == TAG_SEQUENCE)]


def pkcs7_ber_indefinite(data: bytes) -> bytes:
    """BER indefinite lengths on every constructed element but the signer's
    IssuerAndSerialNumber (whose raw bytes must match the certificate) and the
    AlgorithmIdentifiers (see pkcs7_ber_indefinite_algorithm): the kernel decodes
    BER — unchanged verdict (0 with the signer trusted)."""
    def edit(root):
        _indefinite(root, keep=[_child(first_signer_info(root), 1), *_algorithm_identifiers(root)])
    return _edit_tree(data, edit)


def pkcs7_ber_indefinite_algorithm(data: bytes) -> bytes:
    """The SignerInfo's digest AlgorithmIdentifier (no parameters) with indefinite length:
    its optional ``parameters ANY`` is matched against the end-of-contents octets, since
    asn1_ber_decoder() only sees the end of *definite* elements — EBADMSG."""
    return _edit_tree(data, lambda root: setattr(_signer_field(root, TAG_SEQUENCE, 0), "indefinite", True))


def pkcs7_content_type_data(data: bytes) -> bytes:
    """Outer contentType data instead of signedData — EINVAL (pkcs7_check_content_type)."""
    return _edit_tree(data, lambda root: setattr(_child(root, 0, TAG_OID), "value", OID["data"]))


def pkcs7_inner_content_type(data: bytes) -> bytes:
    """encapContentInfo type signedData instead of data — EINVAL (pkcs7_note_content)."""
    def edit(root):
        _child(_child(signed_data(root), 2, TAG_SEQUENCE), 0, TAG_OID).value = OID["signed_data"]
    return _edit_tree(data, edit)


def _set_digest_oid(name: str):
    def edit(root):
        _child(_signer_field(root, TAG_SEQUENCE, 0), 0, TAG_OID).value = OID[name]
    return edit


def pkcs7_digest_unknown(data: bytes) -> bytes:
    """SignerInfo digest sha512/224, an OID the kernel does not know — ENOPKG (soft) at parse."""
    return _edit_tree(data, _set_digest_oid("sha512_224"))


def pkcs7_digest_sm3(data: bytes) -> bytes:
    """SignerInfo digest SM3: known, but Debian's crypto API has none — ENOPKG (soft)
    from pkcs7_digest()."""
    return _edit_tree(data, _set_digest_oid("sm3"))


def pkcs7_digest_md5(data: bytes) -> bytes:
    """SignerInfo digest MD5 over a SHA-256 signature: the PKCS#1 DigestInfo no longer
    matches — EKEYREJECTED (ENOKEY if the signer is unknown)."""
    return _edit_tree(data, _set_digest_oid("md5"))


def pkcs7_pkey_sha256_with_rsa(data: bytes) -> bytes:
    """signatureAlgorithm sha256WithRSAEncryption: only rsaEncryption is accepted in a
    SignerInfo — ENOPKG (soft) at parse."""
    def edit(root):
        _child(_signer_field(root, TAG_SEQUENCE, 1), 0, TAG_OID).value = OID["sha256WithRSAEncryption"]
    return _edit_tree(data, edit)


def pkcs7_pkey_ecdsa(data: bytes) -> bytes:
    """signatureAlgorithm ecdsa-with-SHA256 on an RSA signature: the trusted RSA key
    refuses an "ecdsa" signature — EKEYREJECTED (ENOKEY if the signer is unknown)."""
    def edit(root):
        algorithm = _signer_field(root, TAG_SEQUENCE, 1)
        algorithm.children = [Node(TAG_OID, OID["ecdsa_with_sha256"])]
    return _edit_tree(data, edit)


def pkcs7_signeddata_version(data: bytes) -> bytes:
    """SignedData version 2 — EINVAL ("Unsupported SignedData version")."""
    return _edit_tree(data, lambda root: setattr(_child(signed_data(root), 0, TAG_INTEGER), "value", b"\x02"))


def pkcs7_signerinfo_version(data: bytes) -> bytes:
    """SignerInfo version 3 under SignedData version 1 — EBADMSG (version mismatch)."""
    return _edit_tree(data, lambda root: setattr(_child(first_signer_info(root), 0, TAG_INTEGER), "value", b"\x03"))


def pkcs7_versions_3(data: bytes) -> bytes:
    """Both versions 3 (CMS, signer by SKID) while the sid is still issuer+serial: the
    key ID is the empty SKID, and find_asymmetric_key("ex:") fails — EINVAL."""
    def edit(root):
        _child(signed_data(root), 0, TAG_INTEGER).value = b"\x03"
        _child(first_signer_info(root), 0, TAG_INTEGER).value = b"\x03"
    return _edit_tree(data, edit)


def pkcs7_flip_signature(data: bytes) -> bytes:
    """Flip the last bit of the RSA signature — EKEYREJECTED (ENOKEY if unknown signer)."""
    return _edit_tree(data, lambda root: _flip_last(_signer_field(root, TAG_OCTET_STRING)))


def _issuer_value(root: Node) -> Node:
    """The last attribute value of the signer's issuer Name (e.g. the CN string)."""
    issuer = _child(_child(first_signer_info(root), 1, TAG_SEQUENCE), 0, TAG_SEQUENCE)
    return _child(_child(_child(issuer, -1, TAG_SET), -1, TAG_SEQUENCE), -1)


def pkcs7_flip_issuer(data: bytes) -> bytes:
    """One bit of the issuer's name: no trusted key has that issuer+serial — ENOKEY."""
    return _edit_tree(data, lambda root: _flip_last(_issuer_value(root)))


def pkcs7_flip_serial(data: bytes) -> bytes:
    """One bit of the serial number — ENOKEY."""
    def edit(root):
        _flip_last(_child(_child(first_signer_info(root), 1, TAG_SEQUENCE), 1, TAG_INTEGER))
    return _edit_tree(data, edit)


def pkcs7_signer_infos_sequence(data: bytes) -> bytes:
    """SignerInfos as a SEQUENCE instead of a SET: the grammar allows both — unchanged
    verdict."""
    return _edit_tree(data, lambda root: setattr(signer_infos(root), "tag", TAG_SEQUENCE))


def pkcs7_version_tag(data: bytes) -> bytes:
    """The SignedData version as an OCTET STRING — EBADMSG (unexpected tag)."""
    return _edit_tree(data, lambda root: setattr(_child(signed_data(root), 0), "tag", TAG_OCTET_STRING))


def pkcs7_long_tag(data: bytes) -> bytes:
    """SignedData's tag in the long (multi-byte) form — EBADMSG ("Long tag not supported")."""
    return _edit_tree(data, lambda root: setattr(signed_data(root), "tag", TAG_LONG_FORM))


def pkcs7_no_signer_infos(data: bytes) -> bytes:
    """An empty SignerInfos SET: a SET OF's element is not optional to the decoder — EBADMSG."""
    return _edit_tree(data, lambda root: setattr(signer_infos(root), "children", []))


def pkcs7_no_content(data: bytes) -> bytes:
    """A ContentInfo with only its contentType (the SignedData is OPTIONAL in the grammar):
    parsed, but there is no SignerInfo — EINVAL (pkcs7_check_authattrs)."""
    return _edit_tree(data, lambda root: setattr(root, "children", [_child(root, 0, TAG_OID)]))


def pkcs7_attached_content(data: bytes) -> bytes:
    """Content inside the message (not detached) — EBADMSG (verify_pkcs7_message_sig)."""
    def edit(root):
        encap = _child(signed_data(root), 2, TAG_SEQUENCE)
        encap.children = [_child(encap, 0), Node(TAG_CONTEXT_0, children=[Node(TAG_OCTET_STRING, b"lkmfuzz")])]
    return _edit_tree(data, edit)


def _authattrs(module: bytes) -> Node:
    digest = hashlib.sha256(module).digest()
    attribute = lambda oid, value: Node(TAG_SEQUENCE, children=[Node(TAG_OID, OID[oid]),   # noqa: E731
                                                                 Node(TAG_SET, children=[value])])
    return Node(TAG_CONTEXT_0, children=[attribute("contentType", Node(TAG_OID, OID["data"])),
                                         attribute("messageDigest", Node(TAG_OCTET_STRING, digest))])


def pkcs7_signed_attributes(data: bytes) -> bytes:
    """contentType + messageDigest as authenticated attributes: module signatures must not
    have them — EKEYREJECTED ("Invalid module sig (has authattrs)")."""
    module = _split(data)[0]

    def edit(root):
        signer = first_signer_info(root)
        _elements(signer).insert(3, _authattrs(module))
    return _edit_tree(data, edit)


def pkcs7_unsigned_attributes(data: bytes) -> bytes:
    """An unauthenticated attribute (signingTime): parsed and ignored — unchanged verdict."""
    def edit(root):
        when = Node(0x17, b"240101000000Z")
        attribute = Node(TAG_SEQUENCE, children=[Node(TAG_OID, OID["signingTime"]), Node(TAG_SET, children=[when])])
        _elements(first_signer_info(root)).append(Node(TAG_CONTEXT_1, children=[attribute]))
    return _edit_tree(data, edit)


def pkcs7_embedded_certificate(data: bytes) -> bytes:
    """The unknown key's certificate in the message's certificates: parsed, but it is not
    the signer's and not trusted — unchanged verdict."""
    cert = parse_tree(unknown_certificate())

    def edit(root):
        sd = signed_data(root)
        _elements(sd).insert(3, Node(TAG_CONTEXT_0, children=[cert]))
    return _edit_tree(data, edit)


def pkcs7_trailing_garbage(data: bytes) -> bytes:
    """Bytes after the ContentInfo, inside sig_len: the decoder never checks for them —
    unchanged verdict."""
    module, trailer, pkcs7 = _split(data)
    return _join(module, trailer, pkcs7 + b"\xa5" * 16)


def pkcs7_oversize(data: bytes) -> bytes:
    """A PKCS#7 blob over 64 KiB (padded after the ContentInfo) — EMSGSIZE."""
    module, trailer, pkcs7 = _split(data)
    return _join(module, trailer, pkcs7 + bytes(max(ASN1_MAX_DATALEN + 1 - len(pkcs7), 1)))


# --- keys and content -------------------------------------------------------------------

def resign_unknown_key(data: bytes) -> bytes:
    """The same module, signed instead by a key no keyring has — ENOKEY (soft)."""
    module, trailer, _pkcs7 = _split(data)
    return _join(module, trailer, pkcs7_sign(module, unknown_signer()))


def alter_content(data: bytes) -> bytes:
    """Flip one byte of the module, keep its signature — EKEYREJECTED."""
    module, trailer, pkcs7 = _split(data)
    if not module:
        return _join(b"\0", trailer, pkcs7)
    at = len(module) // 2
    return _join(module[:at] + bytes([module[at] ^ 0x01]) + module[at + 1:], trailer, pkcs7)


def duplicate_signature_block(data: bytes) -> bytes:
    """Append the signature block again: the outer signature now covers module+signature —
    EKEYREJECTED (ENOKEY if unknown signer)."""
    data = _signed(data)
    module = _split(data)[0]
    return data + data[len(module):]


def sign_again_unknown(data: bytes) -> bytes:
    """sign-file run twice, the second time with an unknown key: the outer signature is
    checked, the inner one is trailing garbage — ENOKEY (soft)."""
    data = _signed(data)
    return _join(data, DEFAULT_TRAILER, pkcs7_sign(data, unknown_signer()))


def _unknown_signer_info(module: bytes) -> Node:
    return parse_tree(signer_info(module, unknown_signer()))


def add_unknown_signer(data: bytes) -> bytes:
    """A second SignerInfo by an unknown key after the real one: one trusted signer is
    enough — unchanged verdict (ENOKEY for that signer is skipped)."""
    module = _split(data)[0]
    return _edit_tree(data, lambda root: _elements(signer_infos(root)).append(_unknown_signer_info(module)))


def unknown_signer_first(data: bytes) -> bytes:
    """The unknown key's SignerInfo before the real one — unchanged verdict."""
    module = _split(data)[0]
    return _edit_tree(data, lambda root: _elements(signer_infos(root)).insert(0, _unknown_signer_info(module)))


def duplicate_signer_info(data: bytes) -> bytes:
    """The same SignerInfo twice — unchanged verdict (each verifies on its own)."""
    def edit(root):
        infos = signer_infos(root)
        _elements(infos).append(parse_tree(_child(infos, 0).encode()))
    return _edit_tree(data, edit)


SIGNATURE_MUTATORS = (
    strip_signature, truncate_marker, damage_marker, drop_trailer, truncate_pkcs7,
    sig_len_zero, sig_len_one, sig_len_huge, sig_len_minus_one, sig_len_plus_one, sig_len_whole_file,
    sig_len_max_fit, id_type_pgp, id_type_x509,
    nonzero_algo, nonzero_hash, nonzero_signer_len, nonzero_key_id_len, nonzero_pad,
    pkcs7_outer_length_plus_one, pkcs7_signer_info_length_minus_one, pkcs7_long_form_length,
    pkcs7_ber_indefinite, pkcs7_ber_indefinite_algorithm, pkcs7_content_type_data, pkcs7_inner_content_type,
    pkcs7_digest_unknown, pkcs7_digest_sm3, pkcs7_digest_md5, pkcs7_pkey_sha256_with_rsa, pkcs7_pkey_ecdsa,
    pkcs7_signeddata_version, pkcs7_signerinfo_version, pkcs7_versions_3,
    pkcs7_flip_signature, pkcs7_flip_issuer, pkcs7_flip_serial,
    pkcs7_signer_infos_sequence, pkcs7_version_tag, pkcs7_long_tag, pkcs7_no_signer_infos, pkcs7_no_content,
    pkcs7_attached_content, pkcs7_signed_attributes, pkcs7_unsigned_attributes, pkcs7_embedded_certificate,
    pkcs7_trailing_garbage, pkcs7_oversize,
    resign_unknown_key, alter_content, duplicate_signature_block, sign_again_unknown,
    add_unknown_signer, unknown_signer_first, duplicate_signer_info,
)


def signature_operator(data: bytes, rng: random.Random, ctx=None) -> bytes:
    """One signature mutator chosen by rng, in mutate.structured's operator protocol."""
    return rng.choice(SIGNATURE_MUTATORS)(data)
