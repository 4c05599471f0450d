"""A fake OCI Object Storage + Vault + Secrets server for the real ``oci`` SDK.

Shaped like moto: ``models.py`` holds state, ``responses.py`` speaks HTTP,
``server.py`` runs it on loopback. Point any SDK client at ``server.endpoint``::

    with start_fake_oci() as server:
        server.model.create_bucket("movies")
        client = oci.object_storage.ObjectStorageClient(config, service_endpoint=server.endpoint)
"""

from .credentials import (
    FAKE_COMPARTMENT,
    FAKE_TENANCY,
    FAKE_USER,
    mint_resource_principal_env,
    write_oci_config,
)
from .models import (
    FakeOCIModel,
    ListPage,
    ObjectInfo,
    OCIError,
    Par,
    RequestRecord,
    Secret,
    filler_bytes,
    guess_content_type,
    numbered_entries,
)
from .responses import SECRETS_BASE, VAULT_BASE, FakeOCIResponses
from .server import FakeOCIServer, start_fake_oci

__all__ = [
    "FAKE_COMPARTMENT",
    "FAKE_TENANCY",
    "FAKE_USER",
    "SECRETS_BASE",
    "VAULT_BASE",
    "FakeOCIModel",
    "FakeOCIResponses",
    "FakeOCIServer",
    "ListPage",
    "OCIError",
    "ObjectInfo",
    "Par",
    "RequestRecord",
    "Secret",
    "filler_bytes",
    "guess_content_type",
    "mint_resource_principal_env",
    "numbered_entries",
    "start_fake_oci",
    "write_oci_config",
]
