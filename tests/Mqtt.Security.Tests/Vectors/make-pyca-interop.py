#!/usr/bin/env python3
"""Writes hpke-pyca-interop-p256.json: single-shot base-mode messages sealed by an independent
implementation (pyca/cryptography's hazmat.primitives.hpke, checked with version 48.0.0), so the
AES-256-GCM suite, which RFC 9180 has no P-256 vectors for, is tested against someone else's code.
pyca seals with an empty aad and returns enc || ct. Run it from this folder; the output is committed."""
import json
import os

import cryptography
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

cases = []
for aead_id, aead in ((1, AEAD.AES_128_GCM), (2, AEAD.AES_256_GCM)):
    suite = Suite(KEM.P256, KDF.HKDF_SHA256, aead)
    for pt_len in (0, 1, 16, 31, 300):
        sk = ec.generate_private_key(ec.SECP256R1())
        info = os.urandom(pt_len % 7)
        pt = os.urandom(pt_len)
        sealed = suite.encrypt(pt, sk.public_key(), info=info)
        assert suite.decrypt(sealed, sk, info=info) == pt
        cases.append({
            "aead_id": aead_id,
            "skRm": sk.private_numbers().private_value.to_bytes(32, "big").hex(),
            "info": info.hex(),
            "pt": pt.hex(),
            "enc": sealed[:65].hex(),
            "ct": sealed[65:].hex(),
        })

with open("hpke-pyca-interop-p256.json", "w") as f:
    json.dump({"source": "pyca/cryptography " + cryptography.__version__ + " Suite(KEM.P256, KDF.HKDF_SHA256, aead).encrypt, base mode, empty aad",
               "cases": cases}, f, indent=1)
