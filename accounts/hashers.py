"""Password hashing at OWASP's minimum for Argon2id (m=19 MiB, t=2, p=1), not Django's default (100 MiB, p=8).

Django's default costs about 165 ms of CPU a sign-in on this 2-core machine (8 lanes on 2 cores); a shift
change signs a whole outlet in at once, and the wait showed up as 0.8–1.1 s sign-ins under load. OWASP's
Password Storage Cheat Sheet lists m=19456 KiB, t=2, p=1 as a sufficient Argon2id configuration: about 17 ms.
Hashes made with other parameters are re-hashed to these at the next sign-in (Django's must_update).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idOwaspHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
