"""Everything that talks to Oracle Cloud, in one place.

- `policy`   how patient each call is (timeouts, bounded retries, no circuit breaker)
- `errors`   an OCI failure as one sentence (`describe_error`, `call`)
- `auth`     sign-in: config file, session token, instance or resource principals
- `client`   the one way to build a signed-in client from Settings; namespace and bucket
             checks; pagination
- `storage`  the Object Storage backend of the app (listings, small reads, PARs, PAR sweep)
- `transfer` uploading a folder to a prefix (parallel, resumable, playlist last)
- `vault`    settings from a compartment's Vault secrets

Importing this package does not import the `oci` SDK; its modules do.
"""
