"""crypto/asymmetric_keys/pkcs7.asn1, compiled: what ``scripts/asn1_compiler`` writes to
pkcs7.asn1.c and pkcs7.asn1.h — the action numbers (``enum pkcs7_actions``) and the
bytecode ``PKCS7_MACHINE`` that ``asn1.Asn1Decoder`` runs.  The actions are
pkcs7_parser.c's (``pkcs7.py``).
"""

from enum import IntEnum

from .asn1 import CONS, CONT, INT, OID, OTS, PRIM, SEQ, SET, UNIV, Op, asn1_tag


class A(IntEnum):
    """enum pkcs7_actions, as asn1_compiler numbers them (alphabetical)."""
    check_content_type = 0
    extract_cert = 1
    note_OID = 2
    note_certificate_list = 3
    note_content = 4
    note_data = 5
    note_signed_info = 6
    note_signeddata_version = 7
    note_signerinfo_version = 8
    sig_note_authenticated_attr = 9
    sig_note_digest_algo = 10
    sig_note_issuer = 11
    sig_note_pkey_algo = 12
    sig_note_serial = 13
    sig_note_set_of_authattrs = 14
    sig_note_signature = 15
    sig_note_skid = 16


# The output of `scripts/asn1_compiler crypto/asymmetric_keys/pkcs7.asn1` (6.1.192),
# one instruction per line; the number is the byte offset (= the C array index).
PKCS7_MACHINE = (
    Op.MATCH, asn1_tag(UNIV, CONS, SEQ),                               # 0 PKCS7ContentInfo
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, OID), A.note_OID,               # 2   contentType
    Op.ACT, A.check_content_type,                                  # 5
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 0), 12,                # 7   content [0] -> SignedData
    Op.END_SEQ,                                                    # 10
    Op.COMPLETE,                                                   # 11
    Op.MATCH, asn1_tag(UNIV, CONS, SEQ),                               # 12 SignedData
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, INT), A.note_signeddata_version,  # 14 version
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(UNIV, CONS, SET), 61,              # 17  digestAlgorithms daSet
    Op.COND_MATCH_JUMP_OR_SKIP, asn1_tag(UNIV, CONS, SEQ), 67,         # 20  daSequence
    Op.COND_FAIL,                                                  # 23
    Op.MATCH, asn1_tag(UNIV, CONS, SEQ),                               # 24  ContentInfo
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, OID), A.note_OID,               # 26   contentType
    Op.ACT, A.note_OID,                                            # 29
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 0), 73,                # 31   content [0] -> Data
    Op.END_SEQ,                                                    # 34
    Op.ACT, A.note_content,                                        # 35
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 0), 77,                # 37  certificates certSet
    Op.COND_MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 2), 85,           # 40  certSequence
    Op.ACT, A.note_certificate_list,                               # 43
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 1), 90,                # 45  crls crlSet
    Op.COND_MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 3), 96,           # 48  crlSequence
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(UNIV, CONS, SET), 102,             # 51  signerInfos siSet
    Op.COND_MATCH_JUMP_OR_SKIP, asn1_tag(UNIV, CONS, SEQ), 108,        # 54  siSequence
    Op.COND_FAIL,                                                  # 57
    Op.END_SEQ,                                                    # 58
    Op.END_SEQ,                                                    # 59
    Op.RETURN,                                                     # 60
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 114,                     # 61 daSet: DigestAlgorithmIdentifier
    Op.END_SET_OF, 61,                                             # 64
    Op.RETURN,                                                     # 66
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 114,                     # 67 daSequence: DigestAlgorithmIdentifier
    Op.END_SEQ_OF, 67,                                             # 70
    Op.RETURN,                                                     # 72
    Op.MATCH_ANY_ACT, A.note_data,                                 # 73 Data
    Op.END_SEQ,                                                    # 75
    Op.RETURN,                                                     # 76
    Op.MATCH_ANY_ACT_OR_SKIP, A.extract_cert,                      # 77 certSet: Certificate
    Op.COND_MATCH_ANY_ACT_OR_SKIP, A.extract_cert,                 # 79   or ExtendedCertificate
    Op.COND_FAIL,                                                  # 81
    Op.END_SET_OF, 77,                                             # 82
    Op.RETURN,                                                     # 84
    Op.MATCH_ANY_ACT, A.extract_cert,                              # 85 certSequence: Certificate
    Op.END_SEQ_OF, 85,                                             # 87
    Op.RETURN,                                                     # 89
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 120,                     # 90 crlSet: CertificateList
    Op.END_SET_OF, 90,                                             # 93
    Op.RETURN,                                                     # 95
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 120,                     # 96 crlSequence: CertificateList
    Op.END_SEQ_OF, 96,                                             # 99
    Op.RETURN,                                                     # 101
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 125,                     # 102 siSet: SignerInfo
    Op.END_SET_OF, 102,                                            # 105
    Op.RETURN,                                                     # 107
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 125,                     # 108 siSequence: SignerInfo
    Op.END_SEQ_OF, 108,                                            # 111
    Op.RETURN,                                                     # 113
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, OID), A.note_OID,               # 114 DigestAlgorithmIdentifier.algorithm
    Op.MATCH_ANY_OR_SKIP,                                          # 117   parameters
    Op.END_SEQ,                                                    # 118
    Op.RETURN,                                                     # 119
    Op.MATCH_ANY_ACT, A.extract_cert,                              # 120 CertificateList: Certificate
    Op.END_SEQ_OF, 120,                                            # 122
    Op.RETURN,                                                     # 124
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, INT), A.note_signerinfo_version,  # 125 SignerInfo.version
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(UNIV, CONS, SEQ), 169,             # 128  sid issuerAndSerialNumber
    Op.COND_MATCH_ACT_OR_SKIP, asn1_tag(CONT, PRIM, 0), A.sig_note_skid,  # 131  or subjectKeyIdentifier
    Op.COND_FAIL,                                                  # 134
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 114,                     # 135  digestAlgorithm
    Op.ACT, A.sig_note_digest_algo,                                # 138
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 0), 192,               # 140  authenticatedAttributes aaSet
    Op.MAYBE_ACT, A.sig_note_set_of_authattrs,                     # 143
    Op.COND_MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 2), 198,          # 145  aaSequence
    Op.MATCH, asn1_tag(UNIV, CONS, SEQ),                               # 148  digestEncryptionAlgorithm
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, OID), A.note_OID,               # 150   algorithm
    Op.MATCH_ANY_OR_SKIP,                                          # 153   parameters
    Op.END_SEQ,                                                    # 154
    Op.ACT, A.sig_note_pkey_algo,                                  # 155
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, OTS), A.sig_note_signature,     # 157  encryptedDigest
    Op.MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 1), 207,               # 160  unauthenticatedAttributes uaSet
    Op.COND_MATCH_JUMP_OR_SKIP, asn1_tag(CONT, CONS, 3), 213,          # 163  uaSequence
    Op.END_SEQ_ACT, A.note_signed_info,                            # 166
    Op.RETURN,                                                     # 168
    Op.MATCH, asn1_tag(UNIV, CONS, SEQ),                               # 169 IssuerAndSerialNumber.issuer: Name
    Op.MATCH, asn1_tag(UNIV, CONS, SET),                               # 171  RelativeDistinguishedName
    Op.MATCH, asn1_tag(UNIV, CONS, SEQ),                               # 173   AttributeValueAssertion
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, OID), A.note_OID,               # 175    attributeType
    Op.MATCH_ANY,                                                  # 178    attributeValue
    Op.END_SEQ,                                                    # 179
    Op.END_SET_OF, 173,                                            # 180
    Op.END_SEQ_OF, 171,                                            # 182
    Op.ACT, A.sig_note_issuer,                                     # 184
    Op.MATCH, asn1_tag(UNIV, PRIM, INT),                               # 186 serialNumber
    Op.ACT, A.sig_note_serial,                                     # 188
    Op.END_SEQ,                                                    # 190
    Op.RETURN,                                                     # 191
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 219,                     # 192 aaSet: AuthenticatedAttribute
    Op.END_SET_OF, 192,                                            # 195
    Op.RETURN,                                                     # 197
    Op.MATCH, asn1_tag(UNIV, CONS, SEQ),                               # 198 aaSequence
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 219,                     # 200  AuthenticatedAttribute
    Op.END_SEQ_OF, 200,                                            # 203
    Op.END_SEQ,                                                    # 205
    Op.RETURN,                                                     # 206
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 230,                     # 207 uaSet: UnauthenticatedAttribute
    Op.END_SET_OF, 207,                                            # 210
    Op.RETURN,                                                     # 212
    Op.MATCH_JUMP, asn1_tag(UNIV, CONS, SEQ), 230,                     # 213 uaSequence: UnauthenticatedAttribute
    Op.END_SEQ_OF, 213,                                            # 216
    Op.RETURN,                                                     # 218
    Op.MATCH_ACT, asn1_tag(UNIV, PRIM, OID), A.note_OID,               # 219 AuthenticatedAttribute.type
    Op.MATCH, asn1_tag(UNIV, CONS, SET),                               # 222  values
    Op.MATCH_ANY_ACT, A.sig_note_authenticated_attr,               # 224
    Op.END_SET_OF, 224,                                            # 226
    Op.END_SEQ,                                                    # 228
    Op.RETURN,                                                     # 229
    Op.MATCH, asn1_tag(UNIV, PRIM, OID),                               # 230 UnauthenticatedAttribute.type
    Op.MATCH, asn1_tag(UNIV, CONS, SET),                               # 232  values
    Op.MATCH_ANY,                                                  # 234
    Op.END_SET_OF, 234,                                            # 235
    Op.END_SEQ,                                                    # 237
    Op.RETURN,                                                     # 238
)
