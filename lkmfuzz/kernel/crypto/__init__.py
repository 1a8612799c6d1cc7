"""The kernel's crypto behind module signature verification, one module per kernel file:
``oid`` (lib/oid_registry.c), ``asn1`` (lib/asn1_decoder.c), ``pkcs7_grammar``
(crypto/asymmetric_keys/pkcs7.asn1, compiled), ``public_key`` (public_key.c and the RSA
and ECDSA akciphers under crypto/), ``x509`` (x509_cert_parser.c, x509_public_key.c),
``pkcs7`` (pkcs7_parser.c), ``pkcs7_verify`` (pkcs7_verify.c), ``pkcs7_trust``
(pkcs7_trust.c) and ``api`` (which algorithms crypto/api.c can find).  The system
keyring that calls them (certs/system_keyring.c) is ``lkmfuzz.kernel.keyring``."""
