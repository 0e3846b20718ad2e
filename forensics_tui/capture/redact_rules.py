"""The data of redaction: which key names are secret, and which value shapes are secrets.

Kept apart from ``redact`` (the machinery) so the tables can grow without the logic moving.
Every value rule carries anchors: substrings that must occur for the rule to run at all, so a
string with no anchor costs one combined regex search instead of a scan per rule.
"""

from __future__ import annotations

__all__ = [
    "COUNT_WORDS",
    "FLAG_WORDS",
    "PAIR_ANCHORS",
    "QUALIFIED_TAILS",
    "QUALIFIER_WORDS",
    "SECRET_EXACT",
    "STRONG_TAILS",
    "SUFFIX_TAILS",
    "VALUE_RULES",
    "WEAK_TAILS",
]

# Last word(s) of a key that make it secret whatever comes before (``page_access_token``).
STRONG_TAILS = frozenset(
    {
        "authorization",
        "cookie",
        "cookies",
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "credential",
        "credentials",
        "creds",
        "apikey",
        "apitoken",
        "privatekey",
        "secretkey",
        "accesskey",
        "signingkey",
        "encryptionkey",
        "masterkey",
        "clientkey",
        "authkey",
        "sessionkey",
        "webhookkey",
        "licensekey",
        "subscriptionkey",
        "functionskey",
        "functionkey",
        "applicationkey",
        "appkey",
        "accountkey",
        "sharedkey",
        "hostkey",
        "sessionid",
        "sessiontoken",
        "accesstoken",
        "authtoken",
        "refreshtoken",
        "idtoken",
        "bearertoken",
        "csrftoken",
        "xsrftoken",
        "securitytoken",
        "signature",
        "jwt",
    }
)
# Tails that are secret unless a qualifier comes right before (``page_token`` is a cursor).
WEAK_TAILS = frozenset({"token"})
# Whole keys that are secret on their own.
SECRET_EXACT = frozenset({"auth", "session", "bearer", "apikey", "setcookie", "xapikey", "sig"})
# Tails that are secret only after another word ("db_pwd"), never bare ("PWD" is a directory).
QUALIFIED_TAILS = frozenset({"pwd", "pass"})
# One-word keys ending like this are secret too (``PGPASSWORD``, ``MYSERVICEAPIKEY``).
SUFFIX_TAILS = ("password", "passwd", "passphrase", "secret", "apikey", "accesstoken", "authtoken")
# Any of these words makes a key a flag or a counter, never a secret (``has_password``).
FLAG_WORDS = frozenset({"is", "has", "use", "require", "requires", "required", "enable"})
COUNT_WORDS = frozenset({"max", "min", "num", "count", "total", "used", "limit"})
# Right before a weak tail, these make it a counter or a cursor (``next_page_token``).
QUALIFIER_WORDS = frozenset(
    {
        "prompt",
        "completion",
        "cached",
        "reasoning",
        "input",
        "output",
        "page",
        "next",
        "prev",
        "previous",
        "continuation",
        "pagination",
        "cursor",
        "sync",
        "resume",
    }
)

# (pattern, group to replace or 0 for the whole match, case-sensitive anchors, lowercase
# anchors).  A rule runs on a string only if one of its anchors occurs in it.  All anchors are
# also searched at once in lowered text on every call, so they avoid first letters no other
# anchor has ("a29." for "ya29.", "pm_" for "npm_"): each new first letter is one more place
# the scan stops in ordinary text (a "y" anchor made a 5 KB "yyyy..." blob 25% slower).
VALUE_RULES: list[tuple[str, int, tuple[str, ...], tuple[str, ...]]] = [
    (
        r"(?i:bearer)\s+([A-Za-z0-9\-._~+/]*[0-9\-._~+/][A-Za-z0-9\-._~+/]*=*)",
        1,
        (),
        ("bearer",),
    ),
    (r"(?i:basic)\s+([A-Za-z0-9+/]{4,}={0,2})", 1, (), ("basic",)),
    # An Authorization header's whole credential, whatever its scheme: ``Token X``, ``Digest
    # ...``, inside shell commands, ``curl -v`` output and ``Authorization=Token X``.
    (
        r"(?i:authorization)[\"']?\s*[:=]\s*[\"']?([A-Za-z][A-Za-z0-9_-]*[ \t]+[^\s\"'&;,]+)",
        1,
        (),
        ("authorization",),
    ),
    (r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", 0, ("eyJ",), ()),
    (r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", 0, ("AKIA", "ASIA"), ()),
    (
        r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        0,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        (),
    ),
    (r"\bglpat-[A-Za-z0-9_-]{20,}", 0, ("glpat-",), ()),
    (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", 0, ("xox",), ()),
    (r"\bsk-[A-Za-z0-9_-]{20,}", 0, ("sk-",), ()),
    (r"\bAIza[0-9A-Za-z_-]{30,}", 0, ("AIza",), ()),
    (r"\bya29\.[0-9A-Za-z_-]{20,}", 0, ("a29.",), ()),
    (r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}", 0, ("k_live_", "k_test_"), ()),
    (r"\bnpm_[A-Za-z0-9]{36}\b", 0, ("pm_",), ()),
    (r"\bpypi-AgE[A-Za-z0-9_-]{40,}", 0, ("pypi-",), ()),
    (r"\bhf_[A-Za-z0-9]{30,}", 0, ("f_",), ()),
    (r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", 0, ("SG.",), ()),
    (r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", 0, ("shp",), ()),
    (r"\bdo[por]_v1_[a-f0-9]{64}", 0, ("_v1_",), ()),
    (r"\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,}", 0, ("sq0",), ()),
    (
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)",
        0,
        ("PRIVATE KEY",),
        (),
    ),
    # ``scheme://user:password@`` and ``scheme://:password@`` (redis)
    (r"\b[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s\x00]*:([^@/?#\s\x00]+)@", 1, ("@",), ()),
    # Secrets in URL paths: bot tokens end up in tool names, file names and replay.url.
    (r"\bbot(\d{6,12}:[A-Za-z0-9_-]{30,})", 1, (), ("bot",)),
    (r"\b\d{8,12}:AA[A-Za-z0-9_-]{30,}", 0, (":AA",), ()),
    (r"hooks\.slack\.com/services/([A-Za-z0-9/_-]{20,})", 1, (), ("slack.com",)),
    (r"discord(?:app)?\.com/api/webhooks/(\d+/[A-Za-z0-9_-]{20,})", 1, (), ("api/webhooks",)),
]
# Lowercase substrings that make the name=value / "name": "value" scans worth running.
PAIR_ANCHORS = (
    "auth",
    "cookie",
    "token",
    "secret",
    "pass",
    "pwd",
    "key",
    "session",
    "cred",
    "jwt",
    "sig",
)
