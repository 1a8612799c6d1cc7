"""lib/oid_registry.c: ``look_up_OID()`` over the registry entries that the PKCS#7 and
X.509 parsers compare (named as in ``enum OID``, include/linux/oid_registry.h), and the DER
encoding of an OBJECT IDENTIFIER, which ``lkmfuzz.sign`` writes with too.
"""


def encode_oid(dotted: str) -> bytes:
    """The DER content octets of an OBJECT IDENTIFIER (what look_up_OID() is given)."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        out += bytes(reversed(chunk))
    return bytes(out)


OIDS = {
    "data": "1.2.840.113549.1.7.1", "signed_data": "1.2.840.113549.1.7.2",
    "msIndirectData": "1.3.6.1.4.1.311.2.1.4", "msStatementType": "1.3.6.1.4.1.311.2.1.11",
    "msSpOpusInfo": "1.3.6.1.4.1.311.2.1.12",
    "contentType": "1.2.840.113549.1.9.3", "messageDigest": "1.2.840.113549.1.9.4",
    "signingTime": "1.2.840.113549.1.9.5", "smimeCapabilites": "1.2.840.113549.1.9.15",
    "md4": "1.2.840.113549.2.4", "md5": "1.2.840.113549.2.5", "sha1": "1.3.14.3.2.26",
    "sha256": "2.16.840.1.101.3.4.2.1", "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3", "sha224": "2.16.840.1.101.3.4.2.4",
    "sm3": "1.2.156.10197.1.401", "gost2012Digest256": "1.2.643.7.1.1.2.2",
    "gost2012Digest512": "1.2.643.7.1.1.2.3",
    "rsaEncryption": "1.2.840.113549.1.1.1",
    "md4WithRSAEncryption": "1.2.840.113549.1.1.4", "sha1WithRSAEncryption": "1.2.840.113549.1.1.5",
    "sha256WithRSAEncryption": "1.2.840.113549.1.1.11", "sha384WithRSAEncryption": "1.2.840.113549.1.1.12",
    "sha512WithRSAEncryption": "1.2.840.113549.1.1.13", "sha224WithRSAEncryption": "1.2.840.113549.1.1.14",
    "id_ecdsa_with_sha1": "1.2.840.10045.4.1", "id_ecdsa_with_sha224": "1.2.840.10045.4.3.1",
    "id_ecdsa_with_sha256": "1.2.840.10045.4.3.2", "id_ecdsa_with_sha384": "1.2.840.10045.4.3.3",
    "id_ecdsa_with_sha512": "1.2.840.10045.4.3.4",
    "SM2_with_SM3": "1.2.156.10197.1.501", "sm2": "1.2.156.10197.1.301",
    "gost2012PKey256": "1.2.643.7.1.1.1.1", "gost2012PKey512": "1.2.643.7.1.1.1.2",
    "gost2012Signature256": "1.2.643.7.1.1.3.2", "gost2012Signature512": "1.2.643.7.1.1.3.3",
    "id_ecPublicKey": "1.2.840.10045.2.1", "id_prime192v1": "1.2.840.10045.3.1.1",
    "id_prime256v1": "1.2.840.10045.3.1.7", "id_ansip384r1": "1.3.132.0.34",
    "subjectKeyIdentifier": "2.5.29.14", "authorityKeyIdentifier": "2.5.29.35",
}
OID_BY_DER = {encode_oid(dotted): name for name, dotted in OIDS.items()}


def look_up_oid(value: bytes) -> str | None:
    """look_up_OID(): the registry name, or None for OID__NR (an exact byte match)."""
    return OID_BY_DER.get(bytes(value))
