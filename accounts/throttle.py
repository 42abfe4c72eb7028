"""Failed sign-ins slow down progressively, and strangers' failures never lock a known device out (issue 12, point 3).

Three kinds of counter, in Redis:

- per username in one business (the normalised name: `kitchen `, `ｋｉｔｃｈｅｎ` and `KITCHEN` are one counter);
- per client address across every business (one address no longer gets a full allowance at each tenant);
- per known device and username: a registered till (accounts/devices.py), or a browser where that person signed
  in with their password before (a signed cookie). A try from a known device is counted there *instead* of the
  first two, so a guest on the café's Wi-Fi guessing names cannot make the tills or the owner's own computer
  refuse a correct password; a stolen laptop is still slowed down on its own counter.

After `free` failures on a counter, each further try must wait 1 s, 2 s, 4 s … (at most LOGIN_DELAY_MAX_SECONDS)
after the one before; a try inside the wait is answered at once (429, with the seconds to wait), without checking
the password and without sleeping in the worker. A try is claimed before the password is checked, for all its
counters at once in one Lua script, so guesses sent in parallel cannot slip past a limit. A correct password
clears the username's and the device's counters; the address only gets its own try back (else an attacker would
reset it with an account of their own). With Redis down the limits fail open, as RATELIMIT_FAIL_OPEN says for
django-ratelimit (which counts fixed windows per key: neither progressive waits nor one claim over several keys).

The counters live in the `global` cache alias (no tenant key function, so the address counts across tenants); the
per-tenant ones carry the schema name in their key explicitly.
"""

import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from .devices import browser_known_for, device_of
from .usernames import username_key

logger = logging.getLogger(__name__)
CACHE_ALIAS = "global"

# KEYS: the counters; ARGV: now, the longest wait, how long failures are remembered, then each counter's `free`.
# Returns 0 when the try is claimed (counted on every counter), else the seconds to wait (nothing counted).
_CLAIM = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local until_at = tonumber(redis.call('HGET', key, 'until') or '0')
  if until_at - now > wait then wait = until_at - now end
end
if wait > 0 then return math.ceil(wait) end
for i, key in ipairs(KEYS) do
  local n = redis.call('HINCRBY', key, 'n', 1)
  local free = tonumber(ARGV[3 + i])
  if n >= free then
    redis.call('HSET', key, 'until', tostring(now + math.min(2 ^ (n - free), tonumber(ARGV[2]))))
  end
  redis.call('EXPIRE', key, tonumber(ARGV[3]))
end
return 0
"""


# A right password: counters that reset are deleted; an address counter (ARGV[i] = its `free`, else "") gets back
# only the try just made, and with it any wait that try started.
_SUCCEEDED = """
for i, key in ipairs(KEYS) do
  if ARGV[i] == '' then
    redis.call('DEL', key)
  elseif redis.call('EXISTS', key) == 1 then
    local n = redis.call('HINCRBY', key, 'n', -1)
    if n < tonumber(ARGV[i]) then redis.call('HDEL', key, 'until') end
  end
end
return 0
"""


def _now() -> float:
    return time.time()


def client_address(request: HttpRequest) -> str:
    """The address the limits count (the one django-ratelimit uses: RATELIMIT_IP_META_KEY behind nginx), an IPv6
    client by its /64 (one customer's network)."""
    raw = request.META.get(getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR", "") or ""
    try:
        address = ipaddress.ip_address(raw.split(",")[0].strip())
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _mark(value: str) -> str:
    """Names and device ids go into keys hashed: no personal data in Redis key names."""
    return salted_hmac("accounts.throttle", value).hexdigest()[:20]


@dataclass(frozen=True)
class Counter:
    key: str
    free: int
    reset_on_success: bool = True  # an address counter only gets its own try back


@dataclass
class Claim:
    """A try that was let through; say how it went with `succeeded()` (a failure needs nothing more)."""

    counters: tuple[Counter, ...]

    def succeeded(self) -> None:
        if not self.counters:
            return
        keys = [counter.key for counter in self.counters]
        frees = ["" if counter.reset_on_success else counter.free for counter in self.counters]
        try:
            get_redis_connection(CACHE_ALIAS).eval(_SUCCEEDED, len(keys), *keys, *frees)
        except RedisError:
            logger.warning("sign-in counters not cleared: Redis unavailable", exc_info=True)


class Throttled(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = max(1, int(seconds))


def _key(*parts: str) -> str:
    return caches[CACHE_ALIAS].make_key("signin:" + ":".join(parts))


def _claim(counters: tuple[Counter, ...]) -> Claim:
    """Claim one try on every counter at once, or raise Throttled with the longest wait among them."""
    if not counters:
        return Claim(())
    args = [_now(), settings.LOGIN_DELAY_MAX_SECONDS, settings.LOGIN_FAILURE_MEMORY_SECONDS]
    args += [counter.free for counter in counters]
    try:
        client = get_redis_connection(CACHE_ALIAS)
        wait = int(client.eval(_CLAIM, len(counters), *[c.key for c in counters], *args))
    except RedisError:
        logger.warning("sign-in limits not applied: Redis unavailable", exc_info=True)
        return Claim(())
    if wait > 0:
        raise Throttled(wait)
    return Claim(counters)


def password_try(request: HttpRequest, username: str) -> Claim:
    """Before checking a password for `username` (as typed): claim the try, or raise Throttled."""
    name = _mark(f"{connection.schema_name}:{username_key(username)}")
    till = device_of(request)
    device = f"till:{till.uid}" if till is not None else None
    if device is None:
        browser = browser_known_for(request, username_key(username))
        device = f"browser:{browser}" if browser else None
    if device is not None:
        counters = (Counter(_key("device", _mark(f"{connection.schema_name}:{device}"), name),
                            settings.LOGIN_FREE_FAILURES),)  # fmt: skip
    else:
        counters = (
            Counter(_key("user", name), settings.LOGIN_FREE_FAILURES),
            Counter(
                _key("address", client_address(request)),
                settings.LOGIN_FREE_FAILURES_PER_ADDRESS,
                reset_on_success=False,
            ),  # fmt: skip
        )
    return _claim(counters)


def pin_try(request: HttpRequest, device_uid: str) -> Claim:
    """Before checking a PIN on a registered till (the lock screen, the time clock): one counter per device, so
    no address-wide count can stop the tills (only a registered till may try a PIN at all)."""
    key = _key("pin", _mark(f"{connection.schema_name}:{device_uid}"))
    return _claim((Counter(key, settings.PIN_FREE_FAILURES_PER_DEVICE),))


def wait_message(seconds: int) -> str:
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(seconds)d second.",
        "Too many failed sign-in attempts. Try again in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}
