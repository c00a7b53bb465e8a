"""The deployment's signing key: an ES256 key and a self-signed two-certificate chain, made on first run.

Files live in ``<home>/keys/``: ``root.crt`` (the deployment's own CA, the trust anchor
``generec verify`` checks against), ``signer.crt`` + ``signer.key`` (the leaf that signs
C2PA manifests; EKU emailProtection as C2PA requires) and ``chain.pem`` (leaf then
root, as the signer wants it). The root's private key is not kept: nothing but this
one leaf ever needs to be issued, and a key that does not exist cannot leak.

Example
-------
>>> import tempfile
>>> from generec.fidelity.keys import DeploymentKeys
>>> keys = DeploymentKeys.ensure(tempfile.mkdtemp())
>>> keys.chain_pem.count(b"BEGIN CERTIFICATE")
2
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from pathlib import Path

from generec.fidelity.base import FidelityError

_ORG = "GeneRec deployment"


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG)]
    )


def _key_usage(sign: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not sign, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=sign, crl_sign=sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _make_chain(years: int = 10) -> tuple[bytes, bytes, bytes]:
    """(root PEM, leaf PEM, leaf private key PEM), freshly generated."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=365 * years)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder().subject_name(_name("GeneRec root")).issuer_name(_name("GeneRec root"))
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(_name("GeneRec signer")).issuer_name(root.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return root.public_bytes(pem), leaf.public_bytes(pem), key_pem


def _write_private(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


@dataclasses.dataclass(frozen=True)
class DeploymentKeys:
    """The signing material of one deployment (see the module docstring for the files)."""

    directory: Path
    root_pem: bytes
    signer_pem: bytes
    key_pem: bytes

    @property
    def chain_pem(self) -> bytes:
        return self.signer_pem + self.root_pem

    @property
    def signer_serial(self) -> str:
        """The leaf certificate's serial number, as C2PA readers print it (decimal)."""
        from cryptography import x509

        return str(x509.load_pem_x509_certificate(self.signer_pem).serial_number)

    @classmethod
    def load(cls, home: str | os.PathLike[str]) -> DeploymentKeys:
        """Load the keys of the deployment at ``home``; :class:`FidelityError` if there are none."""
        d = Path(home) / "keys"
        files = [d / "root.crt", d / "signer.crt", d / "signer.key"]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise FidelityError(
                f"{d}: no signing keys ({', '.join(missing)} missing); they are made on first run by "
                "DeploymentKeys.ensure(home) or any command that signs media"
            )
        return cls(d, *(f.read_bytes() for f in files))

    @classmethod
    def ensure(cls, home: str | os.PathLike[str]) -> DeploymentKeys:
        """Load the keys at ``home``, creating them (once) if this deployment has none yet."""
        d = Path(home) / "keys"
        if (d / "signer.key").is_file():
            return cls.load(home)
        d.parent.mkdir(parents=True, exist_ok=True)
        # Write the set into a private temporary folder, then rename it into place in one step:
        # two processes starting at once end up sharing one complete set, never a mix of two.
        tmp = d.with_name(f".keys.{os.getpid()}.tmp")
        tmp.mkdir(exist_ok=True)
        root, leaf, key = _make_chain()
        _write_private(tmp / "root.crt", root, 0o644)
        _write_private(tmp / "signer.crt", leaf, 0o644)
        _write_private(tmp / "signer.key", key, 0o600)
        try:
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
            os.rename(tmp, d)
        except OSError:  # another process won the race (or the folder holds other files): use what is there
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
        return cls.load(home)
