"""Module signatures: `lkmfuzz sign` against openssl and the real scripts/sign-file, the
keyring's PKCS#7 verification against the kernel's errnos (the verdict tables measured on the real kernel),
a real Debian-signed module, and the signature mutators."""

import datetime
import errno
import glob
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SEEDS, seed_bytes
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7 as crypto_pkcs7
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st
from kstate import snapshot

from lkmfuzz import keys
from lkmfuzz.cli import main
from lkmfuzz.errors import errno_name
from lkmfuzz.kernel.crypto.api import DEBIAN_6_1, DEBIAN_6_1_NO_MODULES, WITH_ECDSA
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.kernel.keyring import Keyring, KeyringError
from lkmfuzz.kernel.profile import get_profile
from lkmfuzz.loader import finit_module
from lkmfuzz.loader.signing import MODULE_SIG_STRING, PKEY_ID_PKCS7, split_signature
from lkmfuzz.mutate import signature as M
from lkmfuzz.oracle.kit import debian_cache
from lkmfuzz.sign import Signer, der_children, der_read, pkcs7_sign, sign_module

DATA = Path(__file__).resolve().parent / "data"
DEBIAN_MODULE = DATA / "crc7.ko"
DEBIAN_CERT_SHA256 = "e10cdfe6ca9402f53845865d09305a63eef0fdfeb3d92a28cafca181326008ed"
CACHE = debian_cache()
HELLO = seed_bytes("hello")
STANDALONE_SEEDS = [s for s in SEEDS if s != "consumer"]     # consumer needs hello loaded first


# --- keys -------------------------------------------------------------------------------

def make_cert(key, name: str) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


class KeyPair:
    """A key pair made for this test session and written to tmp (never committed)."""

    def __init__(self, directory: Path, key, name: str):
        self.key, self.cert = key, make_cert(key, name)
        self.signer = Signer.from_certificate(key, self.cert)
        self.key_path, self.cert_path = directory / f"{name}.key", directory / f"{name}.pem"
        self.key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        self.cert_path.write_bytes(x509.load_der_x509_certificate(self.cert).public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="session")
def test_key(tmp_path_factory) -> KeyPair:
    return KeyPair(tmp_path_factory.mktemp("keys"), rsa.generate_private_key(public_exponent=65537, key_size=2048),
                   "lkmfuzz-test-rsa")


@pytest.fixture(scope="session")
def ec_key(tmp_path_factory) -> KeyPair:
    return KeyPair(tmp_path_factory.mktemp("eckeys"), ec.generate_private_key(ec.SECP256R1()), "lkmfuzz-test-ec")


def trusting(test_key: KeyPair, crypto=DEBIAN_6_1) -> Keyring:
    """Debian's keyring plus the test key (as if enrolled in the secondary keyring)."""
    keyring = Keyring(list(Keyring.default().certificates), crypto)
    keyring.add_certificate(test_key.cert)
    return keyring


def kernel_for(test_key: KeyPair, profile: str = "linux-6.1", sig_enforce: bool = False) -> Kernel:
    kernel = Kernel(get_profile(profile, sig_enforce=sig_enforce))
    kernel.keyring = trusting(test_key)
    return kernel


def load(kernel: Kernel, data: bytes):
    before = snapshot(kernel)
    result = finit_module(kernel, data)
    if not result.ok:
        assert snapshot(kernel) == before, f"a refused load must leave no trace ({result})"
    return result


@pytest.fixture(scope="session")
def signed_hello(test_key) -> bytes:
    return sign_module(HELLO, test_key.signer)


# --- the layout sign-file writes ----------------------------------------------------------

def test_signed_module_has_sign_files_layout(test_key, signed_hello):
    module, trailer, pkcs7 = split_signature(signed_hello)
    assert module == HELLO and signed_hello.endswith(MODULE_SIG_STRING)
    assert (trailer.algo, trailer.hash, trailer.id_type, trailer.signer_len, trailer.key_id_len, trailer.pad,
            trailer.sig_len) == (0, 0, PKEY_ID_PKCS7, 0, 0, b"\0\0\0", len(pkcs7))
    root = der_read(pkcs7, 0)
    assert root.end == len(pkcs7)
    content_type, wrapper = der_children(pkcs7, root)
    assert pkcs7[content_type.value:content_type.end] == bytes.fromhex("2a864886f70d010702")   # signedData
    signed_data = der_children(pkcs7, der_children(pkcs7, wrapper)[0])
    assert [e.tag for e in signed_data] == [0x02, 0x31, 0x30, 0x31], "version, digests, content, signers: no certs"
    encap = der_children(pkcs7, signed_data[2])
    assert len(encap) == 1, "detached: no eContent"
    (signer,) = der_children(pkcs7, signed_data[3])
    assert [e.tag for e in der_children(pkcs7, signer)] == [0x02, 0x30, 0x30, 0x30, 0x04], "no signed attributes"


def test_signing_is_deterministic_for_rsa(test_key):
    assert sign_module(HELLO, test_key.signer) == sign_module(HELLO, test_key.signer)


def test_openssl_cms_verifies_lkmfuzz_sign_output(test_key, tmp_path):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl not installed: apt-get install openssl")
    module_path = tmp_path / "hello.ko"
    module_path.write_bytes(HELLO)
    for hash_name in ("sha256", "sha384", "sha512"):
        out = tmp_path / f"hello.{hash_name}.ko"
        assert main(["sign", str(test_key.key_path), str(test_key.cert_path), str(module_path),
                     "--hash", hash_name, "-o", str(out)]) == 0
        module, _trailer, pkcs7 = split_signature(out.read_bytes())
        (tmp_path / "content").write_bytes(module)
        (tmp_path / "sig.p7").write_bytes(pkcs7)
        proc = subprocess.run([openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.p7"),
                               "-content", str(tmp_path / "content"), "-certfile", str(test_key.cert_path),
                               "-CAfile", str(test_key.cert_path), "-purpose", "any", "-noverify",
                               "-out", os.devnull], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "Verification successful" in proc.stderr


def test_cli_sign_writes_dot_signed_and_keeps_the_input(test_key, tmp_path, capsys):
    module_path = tmp_path / "hello.ko"
    module_path.write_bytes(HELLO)
    assert main(["sign", str(test_key.key_path), str(test_key.cert_path), str(module_path)]) == 0
    assert capsys.readouterr().out == f"signed {module_path}.signed\n"
    assert module_path.read_bytes() == HELLO
    assert Path(f"{module_path}.signed").read_bytes() == sign_module(HELLO, test_key.signer)


@pytest.mark.parametrize("swap", ["key is a certificate", "certificate of another key", "missing module"])
def test_cli_sign_bad_input_is_one_line_exit_2(test_key, ec_key, tmp_path, capsys, swap):
    module_path = tmp_path / "hello.ko"
    module_path.write_bytes(HELLO)
    argv = {"key is a certificate": [test_key.cert_path, test_key.cert_path, module_path],
            "certificate of another key": [test_key.key_path, ec_key.cert_path, module_path],
            "missing module": [test_key.key_path, test_key.cert_path, tmp_path / "nope.ko"]}[swap]
    assert main(["sign", *map(str, argv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lkmfuzz: error: ") and err.count("\n") == 1


# --- the real scripts/sign-file ------------------------------------------------------------

@pytest.fixture(scope="session")
def sign_file(tmp_path_factory) -> Path:
    debs = sorted(glob.glob(str(CACHE / "linux-kbuild-6.1_*.deb")))
    if not debs:
        pytest.skip(f"linux-kbuild-6.1 .deb not cached in {CACHE} (`lkmfuzz oracle setup` fetches it, "
                    "as does corpus/fetch-symvers.sh)")
    if not shutil.which("dpkg-deb"):
        pytest.skip("dpkg-deb not installed (a Debian tool: apt-get install dpkg)")
    root = tmp_path_factory.mktemp("kbuild")
    subprocess.run(["dpkg-deb", "-x", debs[-1], str(root)], check=True)
    found = list(root.glob("usr/lib/linux-kbuild-*/scripts/sign-file"))
    if not found:
        pytest.skip(f"no scripts/sign-file in {debs[-1]}")
    return found[0]


def run_sign_file(sign_file: Path, hash_name: str, key: KeyPair, module: bytes, tmp_path: Path) -> bytes:
    src, dest = tmp_path / "in.ko", tmp_path / "out.ko"
    src.write_bytes(module)
    try:
        subprocess.run([str(sign_file), hash_name, str(key.key_path), str(key.cert_path), str(src), str(dest)],
                       check=True, capture_output=True)
    except OSError as e:
        pytest.skip(f"cannot run Debian's sign-file here ({e}); it needs libcrypto.so.3 (apt-get install libssl3)")
    return dest.read_bytes()


def test_real_sign_file_output_is_accepted(sign_file, test_key, tmp_path):
    signed = run_sign_file(sign_file, "sha256", test_key, HELLO, tmp_path)
    module, _trailer, pkcs7 = split_signature(signed)
    assert trusting(test_key).verify_pkcs7_signature(module, pkcs7) == 0
    result = load(kernel_for(test_key, sig_enforce=True), signed)
    assert result.ok and result.module.sig_ok and "E" not in result.module.taint_letters


@pytest.mark.parametrize("hash_name", ["sha256", "sha512"])
def test_lkmfuzz_sign_is_byte_identical_to_sign_file_for_rsa(sign_file, test_key, tmp_path, hash_name):
    assert sign_module(HELLO, test_key.signer, hash_name) == run_sign_file(sign_file, hash_name, test_key, HELLO,
                                                                           tmp_path)


def test_real_sign_file_ecdsa_needs_an_ecdsa_kernel(sign_file, ec_key, tmp_path):
    signed = run_sign_file(sign_file, "sha384", ec_key, HELLO, tmp_path)
    module, _trailer, pkcs7 = split_signature(signed)
    assert trusting(ec_key, WITH_ECDSA).verify_pkcs7_signature(module, pkcs7) == 0
    # Debian's 6.1 has no ECDSA: it cannot even check the certificate's self-signature.
    with pytest.raises(KeyringError, match="ENOENT"):
        Keyring().add_certificate(ec_key.cert)


# --- Debian's own signed module and certificate ---------------------------------------------

def test_default_keyring_is_debians_build_key():
    (cert,) = Keyring.default().certificates
    assert hashlib.sha256(cert.der).hexdigest() == DEBIAN_CERT_SHA256
    assert cert.subject == "CN=Build time autogenerated kernel key"
    assert cert.self_signed and cert.pub.pkey_algo == "rsa"


def test_debian_signed_module_verifies_with_the_default_keyring():
    module, trailer, pkcs7 = split_signature(DEBIAN_MODULE.read_bytes())
    assert Keyring.default().verify_pkcs7_signature(module, pkcs7) == 0
    flipped = module[:2000] + bytes([module[2000] ^ 1]) + module[2001:]
    assert Keyring.default().verify_pkcs7_signature(flipped, pkcs7) == errno.EKEYREJECTED
    assert Keyring().verify_pkcs7_signature(module, pkcs7) == errno.ENOKEY


@pytest.mark.parametrize("profile", ["linux-6.1", "hardened"])
def test_debian_signed_module_loads_untainted_under_sig_enforce(profile):
    kernel = Kernel(get_profile(profile, sig_enforce=True))
    kernel.keyring = Keyring.default()
    result = load(kernel, DEBIAN_MODULE.read_bytes())
    assert result.ok and result.name == "crc7" and result.module.sig_ok
    assert "E" not in result.module.taint_letters


# --- verdict tables measured on the real kernel ----------------------------------------------------

def flip_content(data: bytes) -> bytes:
    module, trailer, pkcs7 = split_signature(data)
    at = len(module) // 2
    return M._join(module[:at] + bytes([module[at] ^ 1]) + module[at + 1:], trailer, pkcs7)


def flip_rsa_byte(data: bytes) -> bytes:
    module, trailer, pkcs7 = split_signature(data)
    at = len(pkcs7) - 100                      # inside the 256-byte RSA signature, the last element
    return M._join(module, trailer, pkcs7[:at] + bytes([pkcs7[at] ^ 0x10]) + pkcs7[at + 1:])


CASES = {
    "trusted, intact": lambda signed, key: signed,
    "trusted, content flipped": lambda signed, key: flip_content(signed),
    "trusted, RSA byte flipped": lambda signed, key: flip_rsa_byte(signed),
    "unknown key": lambda signed, key: sign_module(HELLO, keys.unknown_signer()),
    "stripped": lambda signed, key: HELLO,
    "sig_len corrupt": lambda signed, key: M.sig_len_huge(signed),
}
#            case:                       (sig_enforce=0,      sig_enforce=1)
VERDICTS = {"trusted, intact": ("loaded", "loaded"),
            "trusted, content flipped": ("EKEYREJECTED", "EKEYREJECTED"),
            "trusted, RSA byte flipped": ("EKEYREJECTED", "EKEYREJECTED"),
            "unknown key": ("loaded E", "EKEYREJECTED"),
            "stripped": ("loaded E", "EKEYREJECTED"),
            "sig_len corrupt": ("EBADMSG", "EBADMSG")}


@pytest.mark.parametrize("sig_enforce", [False, True], ids=["sig_enforce=0", "sig_enforce=1"])
@pytest.mark.parametrize("case", VERDICTS)
def test_design_verdict_table(profile, test_key, signed_hello, case, sig_enforce):
    result = load(kernel_for(test_key, profile, sig_enforce), CASES[case](signed_hello, test_key))
    expected = VERDICTS[case][sig_enforce]
    if expected.startswith("loaded"):
        assert result.ok, str(result)
        assert result.module.sig_ok == (expected == "loaded")
        assert ("E" in result.module.taint_letters) == expected.endswith("E")
    else:
        assert (result.kind, result.verdict.step) == (expected, "module_sig_check")


def test_unknown_key_is_enokey_at_the_keyring(test_key):
    module, _trailer, pkcs7 = split_signature(sign_module(HELLO, keys.unknown_signer()))
    assert trusting(test_key).verify_pkcs7_signature(module, pkcs7) == errno.ENOKEY


# --- the keyring's errno mapping beyond the table ---------------------------------------------

def test_cryptography_pkcs7_builder_output_verifies(test_key):
    """An independent encoder (NULL digest parameters, unlike sign-file) is accepted too."""
    options = [crypto_pkcs7.PKCS7Options.DetachedSignature, crypto_pkcs7.PKCS7Options.NoCerts,
               crypto_pkcs7.PKCS7Options.NoAttributes, crypto_pkcs7.PKCS7Options.Binary]
    pkcs7 = (crypto_pkcs7.PKCS7SignatureBuilder().set_data(HELLO)
             .add_signer(x509.load_der_x509_certificate(test_key.cert), test_key.key, hashes.SHA256())
             .sign(serialization.Encoding.DER, options))
    assert pkcs7 != pkcs7_sign(HELLO, test_key.signer)
    assert trusting(test_key).verify_pkcs7_signature(HELLO, pkcs7) == 0


@pytest.mark.parametrize("hash_name", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_every_sign_file_hash_verifies_on_debian(test_key, hash_name):
    assert trusting(test_key).verify_pkcs7_signature(HELLO, pkcs7_sign(HELLO, test_key.signer, hash_name)) == 0


def test_sha512_is_enopkg_without_loadable_crypto_modules(test_key):
    """CONFIG_CRYPTO_SHA512=m: a kernel booted without /lib/modules cannot digest sha512."""
    pkcs7 = pkcs7_sign(HELLO, test_key.signer, "sha512")
    assert trusting(test_key, DEBIAN_6_1_NO_MODULES).verify_pkcs7_signature(HELLO, pkcs7) == errno.ENOPKG
    assert trusting(test_key, DEBIAN_6_1_NO_MODULES).verify_pkcs7_signature(
        HELLO, pkcs7_sign(HELLO, test_key.signer, "sha256")) == 0


def test_ecdsa_verifies_only_where_the_kernel_has_ecdsa(ec_key):
    module, _trailer, pkcs7 = split_signature(sign_module(HELLO, ec_key.signer, "sha384"))
    assert trusting(ec_key, WITH_ECDSA).verify_pkcs7_signature(module, pkcs7) == 0
    assert trusting(ec_key, WITH_ECDSA).verify_pkcs7_signature(module + b"x", pkcs7) == errno.EKEYREJECTED


@pytest.mark.parametrize("blob, err", [
    (b"", errno.EBADMSG),
    (b"\x30", errno.EBADMSG),
    (b"\x30\x80", errno.EBADMSG),
    (b"\x30\x03\x02\x01\x00", errno.EBADMSG),                      # the old placeholder: not a PKCS#7
    (bytes.fromhex("300b06092a864886f70d010701"), errno.EINVAL),  # ContentInfo{data}: not signedData
    (bytes.fromhex("300b06092a864886f70d010702"), errno.EINVAL),  # signedData without content: no signer
    (b"\x30\x82\xff\xff" + bytes(65532), errno.EMSGSIZE),
])
def test_malformed_pkcs7_errnos(blob, err):
    assert Keyring.default().verify_pkcs7_signature(HELLO, blob) == err


@given(st.binary(max_size=700))
@settings(max_examples=300, deadline=None)
def test_any_blob_gets_an_errno(blob):
    assert Keyring.default().verify_pkcs7_signature(HELLO, blob) in VERIFY_ERRNOS


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_any_damage_to_a_real_pkcs7_gets_an_errno(data):
    _module, _trailer, pkcs7 = split_signature(DEBIAN_MODULE.read_bytes())
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(pkcs7) - 1), st.integers(0, 255)), min_size=1,
                               max_size=4))
    damaged = bytearray(pkcs7)
    for at, value in edits:
        damaged[at] = value
    assert Keyring.default().verify_pkcs7_signature(HELLO, bytes(damaged)) in VERIFY_ERRNOS


ERRNO_NAMES = {errno_name(e) for e in errno.errorcode}
VERIFY_ERRNOS = {0, errno.EBADMSG, errno.EINVAL, errno.ENOPKG, errno.ENOKEY, errno.EKEYREJECTED, errno.EMSGSIZE,
                 errno.ENOENT}


# --- the signature mutators --------------------------------------------------------------------

# What Linux 6.1 answers (sig_enforce=0, the signer trusted) for each mutator applied to
# a freshly signed hello.ko: "loaded" (signature good), "loaded E" (soft error), or an errno.
MUTATOR_VERDICTS = {
    "strip_signature": "loaded E", "truncate_marker": "loaded E", "damage_marker": "loaded E",
    "drop_trailer": "EBADMSG", "truncate_pkcs7": "EBADMSG",
    "sig_len_zero": "EBADMSG", "sig_len_one": "EBADMSG", "sig_len_huge": "EBADMSG",
    "sig_len_minus_one": "EBADMSG", "sig_len_plus_one": "EBADMSG", "sig_len_whole_file": "EBADMSG",
    "sig_len_max_fit": "EBADMSG", "id_type_pgp": "loaded E", "id_type_x509": "loaded E",
    "nonzero_algo": "EBADMSG", "nonzero_hash": "EBADMSG", "nonzero_signer_len": "EBADMSG",
    "nonzero_key_id_len": "EBADMSG", "nonzero_pad": "EBADMSG",
    "pkcs7_outer_length_plus_one": "EBADMSG", "pkcs7_signer_info_length_minus_one": "EBADMSG",
    "pkcs7_long_form_length": "EBADMSG", "pkcs7_ber_indefinite": "loaded",
    "pkcs7_ber_indefinite_algorithm": "EBADMSG", "pkcs7_content_type_data": "EINVAL",
    "pkcs7_inner_content_type": "EINVAL", "pkcs7_digest_unknown": "loaded E", "pkcs7_digest_sm3": "loaded E",
    "pkcs7_digest_md5": "EKEYREJECTED", "pkcs7_pkey_sha256_with_rsa": "loaded E",
    "pkcs7_pkey_ecdsa": "EKEYREJECTED", "pkcs7_signeddata_version": "EINVAL",
    "pkcs7_signerinfo_version": "EBADMSG", "pkcs7_versions_3": "EINVAL",
    "pkcs7_flip_signature": "EKEYREJECTED", "pkcs7_flip_issuer": "loaded E", "pkcs7_flip_serial": "loaded E",
    "pkcs7_signer_infos_sequence": "loaded", "pkcs7_version_tag": "EBADMSG", "pkcs7_long_tag": "EBADMSG",
    "pkcs7_no_signer_infos": "EBADMSG", "pkcs7_no_content": "EINVAL", "pkcs7_attached_content": "EBADMSG",
    "pkcs7_signed_attributes": "EKEYREJECTED", "pkcs7_unsigned_attributes": "loaded",
    "pkcs7_embedded_certificate": "loaded", "pkcs7_trailing_garbage": "loaded", "pkcs7_oversize": "EMSGSIZE",
    "resign_unknown_key": "loaded E", "alter_content": "EKEYREJECTED", "duplicate_signature_block": "EKEYREJECTED",
    "sign_again_unknown": "loaded E", "add_unknown_signer": "loaded", "unknown_signer_first": "loaded",
    "duplicate_signer_info": "loaded",
}


def test_every_mutator_has_an_expected_verdict_and_a_docstring():
    assert [m.__name__ for m in M.SIGNATURE_MUTATORS] == list(MUTATOR_VERDICTS)
    assert all(m.__doc__ and m.__doc__.strip() for m in M.SIGNATURE_MUTATORS)


@pytest.mark.parametrize("mutator", M.SIGNATURE_MUTATORS, ids=lambda m: m.__name__)
def test_mutator_changes_bytes_deterministically(mutator, signed_hello):
    out = mutator(signed_hello)
    assert isinstance(out, bytes) and out != signed_hello
    assert mutator(signed_hello) == out


@pytest.mark.parametrize("mutator", M.SIGNATURE_MUTATORS, ids=lambda m: m.__name__)
def test_mutator_verdict(mutator, test_key, signed_hello):
    result = load(kernel_for(test_key), mutator(signed_hello))
    expected = MUTATOR_VERDICTS[mutator.__name__]
    if expected.startswith("loaded"):
        assert result.ok, str(result)
        assert ("E" in result.module.taint_letters) == (expected == "loaded E")
    else:
        assert result.kind == expected, str(result)


def test_mutators_sign_unsigned_input_with_the_unknown_key():
    module, _trailer, pkcs7 = split_signature(M.pkcs7_flip_signature(HELLO))
    assert module == HELLO
    assert keys.unknown_certificate() == keys.unknown_certificate()
    assert Keyring.default().verify_pkcs7_signature(HELLO, pkcs7) == errno.ENOKEY


@pytest.fixture(scope="session")
def signed_seeds(test_key) -> dict:
    return {name: sign_module(seed_bytes(name), test_key.signer) for name in STANDALONE_SEEDS}


@given(name=st.sampled_from(STANDALONE_SEEDS),
       chain=st.lists(st.sampled_from(M.SIGNATURE_MUTATORS), min_size=1, max_size=4),
       profile=st.sampled_from(["hardened", "linux-6.1"]), sig_enforce=st.booleans())
@settings(deadline=None)
def test_any_composition_of_mutators_gives_a_verdict(test_key, signed_seeds, name, chain, profile, sig_enforce):
    data = signed_seeds[name]
    for mutator in chain:
        data = mutator(data)
    result = load(kernel_for(test_key, profile, sig_enforce), data)
    allowed = ERRNO_NAMES | {"loaded"} | ({"kernel-fault"} if profile == "linux-6.1" else set())
    assert result.kind in allowed, str(result)


def test_signature_operator_fits_the_structured_protocol(signed_hello):
    import random
    out = M.signature_operator(signed_hello, random.Random(7), None)
    assert isinstance(out, bytes) and out != signed_hello
